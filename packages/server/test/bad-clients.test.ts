/**
 * Bad clients on the TLS port: plain HTTP gets a 400 and a close (like nginx), garbage and
 * slow or oversized hellos are closed at the limit and counted, none of it disturbs a good
 * client on the same server, and no socket is left behind.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  HOST,
  listen,
  nodeHandshake,
  rawExchange as raw,
  run,
  sleep,
  stapleSerial,
  startEnv,
  type TestEnv,
  waitFor,
  withTimeout,
} from './helpers.js';

const getConnections = (server: net.Server) =>
  new Promise<number>((resolve, reject) =>
    server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );

describe('bad clients', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;
  const errors: { code?: string }[] = [];

  beforeAll(async () => {
    env = await startEnv({ pki: { leaves: [{ name: 'ecdsa', keyType: 'ecdsa-p256' }] } });
    server = createTlsServer(
      {
        certificates: certificatesOf(env.pki),
        clientHello: { timeoutMs: 300, maxBytes: 4096 },
      },
      endWith('ok'),
    );
    server.on('tlsClientError', (error: { code?: string }) => errors.push(error));
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  const good = async () => {
    const result = await nodeHandshake(port, env.pki.rootPem);
    expect(result.data).toBe('ok');
    expect(stapleSerial(result.ocsp!)).toBe(env.pki.leaf('ecdsa').serialNumber);
  };

  it('a plain HTTP request (raw socket) gets a 400 and the connection closes', async () => {
    const before = server.stats();
    const result = await raw(port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    expect(result.received).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(result.received).toContain('Connection: close');
    expect(result.received).toContain('This port speaks HTTPS');
    expect(result.elapsedMs).toBeLessThan(2_000);
    expect(server.stats().plainHttp).toBe(before.plainHttp + 1);
    expect(errors.at(-1)?.code).toBe('ERR_STAPLE_SERVER_PLAIN_HTTP');
  });

  it('curl http://127.0.0.1:PORT/ gets a 400', async () => {
    const result = await run('curl', [
      '--silent',
      '--max-time',
      '5',
      '--output',
      '/dev/null',
      '--write-out',
      '%{http_code}',
      `http://${HOST}:${port}/`,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('400');
  });

  it('a plain HTTP client that never closes its side: the server lets go of it (bounded)', async () => {
    const started = Date.now();
    // allowHalfOpen: reading the server's end does not end our side; the server must not keep
    // its socket waiting for us.
    const socket = net.connect({ port, host: HOST, allowHalfOpen: true }, () =>
      socket.write('POST /upload HTTP/1.1\r\nHost: x\r\n'),
    );
    try {
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        received += d;
      });
      socket.on('error', () => {});
      await withTimeout(
        new Promise<void>((resolve) => socket.once('end', () => resolve())),
        3_000,
        'the 400',
      );
      expect(received).toMatch(/^HTTP\/1\.1 400 /);
      expect(socket.destroyed).toBe(false);
      await waitFor(async () => (await getConnections(server)) === 0, 4_000, 'server lets go');
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      socket.destroy();
    }
  });

  it('a plain HTTP client that resets the connection after the 400 does not disturb the server', async () => {
    const before = server.stats();
    const socket = net.connect({ port, host: HOST, allowHalfOpen: true }, () =>
      socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'),
    );
    socket.on('error', () => {});
    const answered = new Promise<string>((resolve) =>
      socket.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))),
    );
    expect(await withTimeout(answered, 5_000, 'the 400')).toMatch(/^HTTP\/1\.1 400/);
    // While the server still reads what is left of the request: a reset (RST), as scanners do.
    socket.resetAndDestroy();
    await sleep(200);
    const { ocsp } = await nodeHandshake(port, env.pki.rootPem);
    expect(ocsp).toBeDefined();
    expect(server.stats().plainHttp).toBe(before.plainHttp + 1);
  });

  it('garbage bytes are closed at once and counted', async () => {
    const before = server.stats();
    const result = await raw(port, Buffer.from([0x00, 0xff, 0x13, 0x37, 0x42, 0x00, 0x01]));
    expect(result.received).toBe('');
    expect(result.elapsedMs).toBeLessThan(1_000);
    expect(server.stats().badHello).toBe(before.badHello + 1);
    expect(errors.at(-1)?.code).toBe('ERR_CLIENT_HELLO_NOT_TLS');
  });

  it('a slow hello (5 bytes, then nothing) is closed at the time limit; a good client meanwhile works', async () => {
    const before = server.stats();
    // A handshake record header announcing 512 bytes that never come.
    const slow = raw(port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await good();
    await good();
    const result = await slow;
    expect(result.received).toBe('');
    expect(result.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(result.elapsedMs).toBeLessThan(2_000);
    expect(server.stats().badHello).toBe(before.badHello + 1);
    expect(errors.at(-1)?.code).toBe('ERR_CLIENT_HELLO_TIMEOUT');
  });

  it('an oversized hello is closed at the size limit', async () => {
    const before = server.stats();
    const header = Buffer.from([0x16, 0x03, 0x01, 0x3f, 0xff]);
    const result = await raw(port, Buffer.concat([header, Buffer.alloc(5_000, 0x01)]));
    expect(result.received).toBe('');
    expect(result.elapsedMs).toBeLessThan(1_000);
    expect(server.stats().badHello).toBe(before.badHello + 1);
    expect(errors.at(-1)?.code).toBe('ERR_CLIENT_HELLO_TOO_LARGE');
  });

  it('a mixed crowd: 10 bad and 10 good clients at once; all good ones succeed, no socket leaks', async () => {
    const before = server.stats();
    const bad = Array.from({ length: 10 }, (_, i) =>
      i % 2 === 0
        ? raw(port, Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01]))
        : raw(port, Buffer.from('\x00garbage')),
    );
    await Promise.all(Array.from({ length: 10 }, () => good()));
    await Promise.all(bad);
    expect(server.stats().badHello).toBe(before.badHello + 10);
    expect(server.stats().handedToTls).toBe(before.handedToTls + 10);
    await waitFor(async () => (await getConnections(server)) === 0, 3_000, 'no connections left');
  });

  it('the counters add up', async () => {
    await waitFor(async () => (await getConnections(server)) === 0, 3_000, 'no connections left');
    const s = server.stats();
    expect(s.accepted).toBe(
      s.handedToTls + s.plainHttp + s.badHello + s.noCertificate + s.mustStapleRefused,
    );
    expect(s.plainHttp).toBe(4);
  });
});
