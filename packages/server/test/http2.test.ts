/**
 * createHttp2Server: HTTP/2 over ALPN `h2` with the staple of the certificate served, from curl
 * (`--http2 --cert-status`, which verifies the staple) and Node's http2 client, RSA and ECDSA
 * chosen per client as for HTTP/1.1; HTTP/1.1 clients served by the same server; getStapleInfo
 * through an HTTP/2 request's socket.
 */
import * as http2 from 'node:http2';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttp2Server, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  curlHttps,
  HOST,
  listen,
  serialOfPeer,
  stapleSerial,
  startEnv,
  type TestEnv,
  withTimeout,
} from './helpers.js';

interface Reply {
  readonly httpVersion: string;
  readonly keyType: string | undefined;
  readonly serial: string | undefined;
  readonly stapled: boolean | undefined;
}

/** The body of a GET on an HTTP/2 session. */
function get(session: http2.ClientHttp2Session, path: string): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      session.on('error', reject);
      const request = session.request({ ':path': path });
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (d: string) => {
        body += d;
      });
      request.on('end', () => resolve(body));
      request.on('error', reject);
      request.end();
    }),
    5_000,
    `HTTP/2 GET ${path}`,
  );
}

/** One GET over HTTP/2 with Node's client, on a TLS connection made here (to see its staple). */
async function h2Get(
  port: number,
  ca: string,
  options: tls.ConnectionOptions = {},
): Promise<{ reply: Reply; peer: tls.PeerCertificate; staple: Buffer | undefined }> {
  let socket: tls.TLSSocket | undefined;
  let staple: Buffer | undefined;
  const session = http2.connect(`https://localhost:${port}`, {
    createConnection: () => {
      socket = tls.connect({
        ...options,
        host: HOST,
        port,
        servername: 'localhost',
        ca,
        ALPNProtocols: ['h2'],
        requestOCSP: true,
      } as tls.ConnectionOptions);
      socket.on('OCSPResponse', (response: Buffer) => {
        staple = response;
      });
      return socket;
    },
  });
  try {
    const text = await get(session, '/');
    return { reply: JSON.parse(text) as Reply, peer: socket!.getPeerCertificate(), staple };
  } finally {
    session.close();
  }
}

describe('createHttp2Server', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    server = createHttp2Server(
      { certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']) },
      (req, res) => {
        const info = getStapleInfo(req.socket);
        const reply: Reply = {
          httpVersion: req.httpVersion,
          keyType: info?.keyType,
          serial: info?.certificate.serialNumber,
          stapled: info?.stapled,
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(reply));
      },
    );
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('curl --http2 --cert-status: HTTP/2, the ECDSA certificate, its staple verified by curl', async () => {
    const result = await curlHttps(env, port, ['--http2', '--cert-status']);
    expect(result.code, result.stderr).toBe(0);
    const reply = JSON.parse(result.stdout) as Reply;
    expect(reply).toEqual({
      httpVersion: '2.0',
      keyType: 'ecdsa',
      serial: env.pki.leaf('ecdsa').serialNumber,
      stapled: true,
    });
  });

  it('curl --http1.1 --cert-status on the same server: HTTP/1.1, stapled', async () => {
    const result = await curlHttps(env, port, ['--http1.1', '--cert-status']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ httpVersion: '1.1', stapled: true });
  });

  for (const [kind, options] of [
    ['ecdsa', {}],
    ['rsa', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }],
  ] as const) {
    it(`Node's http2 client, ${kind}: that certificate, and a staple for it`, async () => {
      const leaf = env.pki.leaf(kind);
      const { reply, peer, staple } = await h2Get(port, env.pki.rootPem, options);
      expect(serialOfPeer(peer)).toBe(leaf.serialNumber);
      expect(reply).toEqual({
        httpVersion: '2.0',
        keyType: kind,
        serial: leaf.serialNumber,
        stapled: true,
      });
      expect(staple).toBeInstanceOf(Buffer);
      expect(stapleSerial(staple!)).toBe(leaf.serialNumber);
    });
  }
});

describe('createHttp2Server: events and close', () => {
  it("emits Node's stream and session events; close() ends an idle session and calls back", async () => {
    const env = await startEnv();
    const server = createHttp2Server({ certificates: certificatesOf(env.pki, ['ecdsa']) });
    try {
      const sessions: http2.ServerHttp2Session[] = [];
      server.on('session', (session: http2.ServerHttp2Session) => sessions.push(session));
      server.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
        stream.respond({ ':status': 200 });
        stream.end(`stream ${headers[':path']}`);
      });
      await server.ready();
      const port = await listen(server);
      const client = http2.connect(`https://localhost:${port}`, { ca: env.pki.rootPem });
      expect(await get(client, '/x')).toBe('stream /x');
      expect(sessions).toHaveLength(1);
      // The client keeps its session open; the server's close() must not wait for it.
      const clientClosed = new Promise((resolve) => client.once('close', resolve));
      await withTimeout(
        new Promise<void>((resolve) => server.close(() => resolve())),
        5_000,
        'close with an idle HTTP/2 session',
      );
      await withTimeout(clientClosed, 5_000, 'the client session closing');
      expect(sessions[0]!.closed).toBe(true);
    } finally {
      await closeServer(server);
      await env.close();
    }
  });
});
