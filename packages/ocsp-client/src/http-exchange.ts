import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { OcspClientError } from './errors.js';

export interface HttpExchange {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly body?: Uint8Array;
  readonly headers: Record<string, string>;
  readonly connectTimeoutMs: number;
  /** Deadline for the whole exchange (connect, headers and body). */
  readonly signal: AbortSignal;
  readonly maxBytes: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/**
 * One HTTP exchange with node:http(s), bounded in every way a responder could stall us: time to
 * connect, total time (the signal), and body size (counted as it streams, so a huge or endless
 * body is cut off at the limit, not buffered). node:http rather than fetch, because fetch has
 * no connect timeout of its own and reads redirects and bodies in ways we need to bound.
 */
export function exchange(req: HttpExchange): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const url = new URL(req.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    let connectTimer: ReturnType<typeof setTimeout> | undefined;
    const finish = (error: Error | undefined, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      req.signal.removeEventListener('abort', onAbort);
      if (error) {
        outgoing.destroy();
        reject(error);
      } else resolve(answer!);
    };
    const onAbort = () =>
      finish(
        req.signal.reason instanceof OcspClientError
          ? req.signal.reason
          : new OcspClientError('ERR_OCSP_CLIENT_ABORTED', 'the request was aborted', {
              cause: req.signal.reason,
            }),
      );

    const outgoing = send(url, {
      method: req.method,
      headers: {
        ...req.headers,
        ...(req.body ? { 'content-length': String(req.body.length) } : {}),
      },
      // A fresh connection per exchange: OCSP fetches are minutes apart, and a pooled socket
      // would keep the process alive after the stapler is closed.
      agent: false,
    });
    outgoing.on('socket', (socket) => {
      const connecting = (socket as { connecting?: boolean }).connecting;
      if (connecting === false) return;
      connectTimer = setTimeout(
        () =>
          finish(
            new OcspClientError(
              'ERR_OCSP_CLIENT_CONNECT_TIMEOUT',
              `no connection to ${url.host} within ${req.connectTimeoutMs} ms`,
            ),
          ),
        req.connectTimeoutMs,
      );
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () =>
        clearTimeout(connectTimer),
      );
    });
    outgoing.on('error', (cause) =>
      finish(
        new OcspClientError('ERR_OCSP_CLIENT_NETWORK', `${url.host}: ${cause.message}`, { cause }),
      ),
    );
    outgoing.on('response', (incoming) => {
      const declared = Number(incoming.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        incoming.resume();
        finish(tooLarge(req.maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      incoming.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > req.maxBytes) {
          finish(tooLarge(req.maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      incoming.on('error', (cause) =>
        finish(new OcspClientError('ERR_OCSP_CLIENT_NETWORK', 'response body failed', { cause })),
      );
      incoming.on('aborted', () =>
        finish(
          new OcspClientError('ERR_OCSP_CLIENT_NETWORK', 'the responder closed the connection'),
        ),
      );
      incoming.on('end', () =>
        finish(undefined, {
          status: incoming.statusCode ?? 0,
          headers: incoming.headers,
          body: new Uint8Array(Buffer.concat(chunks, size)),
        }),
      );
    });
    if (req.signal.aborted) {
      onAbort();
      return;
    }
    req.signal.addEventListener('abort', onAbort, { once: true });
    outgoing.end(
      req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.length) : undefined,
    );
  });
}

function tooLarge(maxBytes: number): OcspClientError {
  return new OcspClientError('ERR_OCSP_CLIENT_TOO_LARGE', `response body over ${maxBytes} bytes`);
}
