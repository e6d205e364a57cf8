/**
 * deferAccept (TCP_DEFER_ACCEPT, set through koffi): the kernel holds a connection back until
 * its first bytes arrive. Seen from outside: a client that has connected and says nothing is
 * not accepted; its ClientHello brings the connection in, is read as the connection is
 * accepted, and the handshake is stapled. A hello in two parts, and plain HTTP, take the
 * ordinary ways.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createServer,
  createTlsServer,
  getStapleInfo,
  type StapleServer,
  StapleServerError,
} from '../src/index.js';
import {
  captureHello,
  certificatesOf,
  closeServer,
  curlHttps,
  HOST,
  listen,
  nodeHandshake,
  rawExchange,
  sleep,
  stapleSerial,
  startEnv,
  type TestEnv,
  waitFor,
  withTimeout,
} from './helpers.js';

function connected(port: number): Promise<net.Socket> {
  return withTimeout(
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(port, HOST, () => resolve(socket));
      socket.once('error', reject);
    }),
    5_000,
    'TCP connect',
  );
}

describe('deferAccept', () => {
  let env: TestEnv | undefined;
  let server: StapleServer | undefined;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    if (server) await closeServer(server);
    await env?.close();
    server = undefined;
    env = undefined;
  });

  /** An ECDSA server without stapling, deferring accept; its port. */
  async function startDeferring(): Promise<number> {
    env = await startEnv();
    server = createTlsServer({
      certificates: certificatesOf(env.pki, ['ecdsa']),
      stapling: false,
      deferAccept: true,
    });
    return listen(server);
  }

  it('holds a silent connection back until its ClientHello, which is then stapled', async () => {
    env = await startEnv();
    const names: (string | undefined)[] = [];
    server = createTlsServer(
      { certificates: certificatesOf(env.pki, ['ecdsa']), deferAccept: true },
      (tlsSocket) => {
        names.push(getStapleInfo(tlsSocket)?.hello?.serverName);
        tlsSocket.end();
      },
    );
    await server.ready();
    const port = await listen(server);
    expect(server.deferringAccept).toBe(true);
    const socket = await connected(port);
    sockets.push(socket);
    // Connected as far as the client can tell; the kernel has not handed it over.
    await sleep(300);
    expect(server.stats().accepted).toBe(0);
    // The handshake over the TCP connection made earlier.
    const { ocsp: staple } = await nodeHandshake(port, env.pki.rootPem, { socket, end: true });
    expect(server.stats().accepted).toBe(1);
    expect(staple).toBeDefined();
    expect(stapleSerial(staple!)).toBe(env.pki.leaf('ecdsa').serialNumber);
    // The hello was there when the connection was accepted, and was read there and then.
    expect(server.stats().helloAtAccept).toBe(1);
    expect(names).toEqual(['localhost']);
  });

  it('a hello that comes in two parts is read on from where the first part ends', async () => {
    const port = await startDeferring();
    const hello = await captureHello({ requestOCSP: true });
    const socket = await connected(port);
    sockets.push(socket);
    socket.on('error', () => {});
    const answer = new Promise<Buffer>((resolve) => socket.once('data', resolve));
    // The first part brings the connection in; the rest comes once it has been accepted.
    socket.write(hello.subarray(0, 40));
    await waitFor(() => server!.stats().accepted === 1, 5_000, 'accepted');
    await sleep(100);
    socket.write(hello.subarray(40));
    const first = await withTimeout(answer, 5_000, 'the server answers the hello');
    // A TLS handshake record: the ServerHello.
    expect(first[0]).toBe(0x16);
    expect(server!.stats()).toMatchObject({ handedToTls: 1, helloAtAccept: 0, badHello: 0 });
  });

  it('a plain HTTP request waiting at accept gets the 400', async () => {
    const port = await startDeferring();
    const { received } = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(server!.stats()).toMatchObject({ accepted: 1, plainHttp: 1, handedToTls: 0 });
  });

  it('HTTPS: curl --cert-status through a hello read at accept, keep-alive requests on it', async () => {
    env = await startEnv();
    const seen: string[] = [];
    server = createServer(
      { certificates: certificatesOf(env.pki), deferAccept: true },
      (req, res) => {
        const info = getStapleInfo(req.socket);
        seen.push(`${info?.keyType} ${info?.hello?.serverName}`);
        res.end('ok');
      },
    );
    await server.ready();
    const port = await listen(server);
    expect(server.deferringAccept).toBe(true);
    // Two requests on one connection: one hello, read at accept.
    const curl = await curlHttps(env, port, ['--cert-status', `https://localhost:${port}/again`]);
    expect(curl.stderr).toBe('');
    expect(curl.code).toBe(0);
    expect(curl.stdout).toBe('okok');
    expect(seen).toEqual(['ecdsa localhost', 'ecdsa localhost']);
    expect(server.stats()).toMatchObject({ accepted: 1, helloAtAccept: 1, handedToTls: 1 });
  });

  it('without it, the same silent connection is accepted at once', async () => {
    env = await startEnv();
    server = createTlsServer({ certificates: certificatesOf(env.pki, ['ecdsa']), stapling: false });
    const port = await listen(server);
    expect(server.deferringAccept).toBe(false);
    sockets.push(await connected(port));
    await waitFor(() => server!.stats().accepted === 1, 2_000, 'accepted');
  });

  it('a client that stays silent is handed over after the deferral and meets the hello limit', async () => {
    env = await startEnv();
    server = createTlsServer({
      certificates: certificatesOf(env.pki, ['ecdsa']),
      stapling: false,
      deferAccept: 1,
      clientHello: { timeoutMs: 300 },
    });
    const port = await listen(server);
    const socket = await connected(port);
    sockets.push(socket);
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.resume();
    await withTimeout(closed, 15_000, 'the server closes the silent connection');
    expect(server.stats().accepted).toBe(1);
    expect(server.stats().badHello).toBe(1);
  });

  it('on a Unix socket it is not set: a warning, and connections are accepted as usual', async () => {
    env = await startEnv();
    const warnings: unknown[] = [];
    server = createTlsServer({
      certificates: certificatesOf(env.pki, ['ecdsa']),
      stapling: false,
      deferAccept: true,
      logger: { warn: (fields: unknown) => warnings.push(fields) },
    });
    const dir = await mkdtemp(join(tmpdir(), 'staple-defer-'));
    try {
      const path = join(dir, 'server.sock');
      await new Promise<void>((resolve) => server!.listen(path, resolve));
      expect(server.deferringAccept).toBe(false);
      expect(warnings).toEqual([{ reason: 'not listening on a TCP port' }]);
      await closeServer(server);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not true, false or whole seconds', async () => {
    env = await startEnv();
    const certificates = certificatesOf(env.pki, ['ecdsa']);
    for (const deferAccept of [0, 0.5, -1, 3601, '1'] as unknown as number[]) {
      let error: unknown;
      try {
        createTlsServer({ certificates, stapling: false, deferAccept });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StapleServerError);
      expect(error).toMatchObject({ code: 'ERR_STAPLE_SERVER_INVALID_OPTIONS' });
      expect((error as Error).message).toMatch(/^deferAccept/);
    }
    for (const deferAccept of [true, false, 1, 60]) {
      createTlsServer({ certificates, stapling: false, deferAccept }).close();
    }
  });
});
