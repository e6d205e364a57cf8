import type { IncomingMessage } from 'node:http';
import { fromBase64 } from '@staple/ocsp-codec';

/** The same cap the client applies to responses (DESIGN.md §3); a request is far smaller. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type BodyResult = { ok: true; body: Uint8Array } | { ok: false; reason: 'too-large' };

/** @internal reads a POST body, refusing more than `limit` bytes before buffering them. */
export function readBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.resolve({ ok: false, reason: 'too-large' });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        chunks.length = 0;
        resolve({ ok: false, reason: 'too-large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolve({ ok: true, body: new Uint8Array(Buffer.concat(chunks)) });
    });
    req.on('error', (error) => {
      if (done) return;
      done = true;
      reject(error);
    });
  });
}

/**
 * @internal The request in an RFC 5019 §5 GET path: everything after the responder path, URL-
 * decoded, then base64. The base64 may itself hold `/`, so the rest of the path is taken whole,
 * and clients that forget to URL-encode `+` or `=` still work. `undefined` when it is not base64.
 */
export function requestFromPath(rest: string): Uint8Array | undefined {
  try {
    const der = fromBase64(decodeURIComponent(rest));
    return der.length > 0 ? der : undefined;
  } catch {
    return undefined;
  }
}
