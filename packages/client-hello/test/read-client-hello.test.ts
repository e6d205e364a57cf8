import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ClientHelloErrorCode,
  isClientHelloError,
  type ReadClientHelloOptions,
  readClientHello,
  readClientHelloWith,
} from '../src/index.js';
import { helloRecords, modernHello } from './build-hello.js';

// readClientHello on real loopback sockets: whatever way the bytes arrive, it returns exactly
// what was read, leaves the socket paused, and leaves no timer or listener behind.

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(options: ReadClientHelloOptions = {}) {
  const results: Promise<{
    result?: Awaited<ReturnType<typeof readClientHello>>;
    error?: unknown;
    socket: Socket;
  }>[] = [];
  const server = createServer((socket) => {
    results.push(
      readClientHello(socket, options).then(
        (result) => ({ result, socket }),
        (error: unknown) => ({ error, socket }),
      ),
    );
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const client = () => connect(port, '127.0.0.1');
  const next = async () => {
    while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
    return results.shift()!;
  };
  return { client, next };
}

async function writeSlowly(socket: Socket, bytes: Uint8Array, size: number) {
  socket.setNoDelay(true);
  for (let i = 0; i < bytes.length; i += size) {
    socket.write(bytes.subarray(i, i + size));
    await new Promise((r) => setTimeout(r, 1));
  }
}

const codeOf = (error: unknown): ClientHelloErrorCode | 'not a ClientHelloError' =>
  isClientHelloError(error) ? error.code : 'not a ClientHelloError';

describe('readClientHello', () => {
  it('reads a hello sent one byte per TCP write, and returns exactly the bytes read', async () => {
    const { client, next } = await serve();
    const bytes = helloRecords(modernHello());
    const socket = client();
    await new Promise((r) => socket.once('connect', r));
    await writeSlowly(socket, bytes, 1);
    const { result, socket: server } = await next();
    expect(result!.hello.serverName).toBe('example.test');
    expect(Buffer.compare(result!.bytes, Buffer.from(bytes))).toBe(0);
    expect(server.isPaused()).toBe(true);
    expect(server.listenerCount('data')).toBe(0);
    socket.destroy();
    server.destroy();
  });

  it('reads a hello split across two TLS records, sent in odd-sized segments', async () => {
    const { client, next } = await serve();
    const bytes = helloRecords(modernHello(), 60);
    const socket = client();
    await new Promise((r) => socket.once('connect', r));
    await writeSlowly(socket, bytes, 7);
    const { result, socket: server } = await next();
    expect(result!.hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(result!.bytes).toHaveLength(bytes.length);
    socket.destroy();
    server.destroy();
  });

  it('leaves later bytes unread for the TLS server, and unshift replays them all', async () => {
    const { client, next } = await serve();
    const bytes = helloRecords(modernHello());
    const socket = client();
    socket.write(bytes);
    const { result, socket: server } = await next();
    socket.write('more');
    await new Promise((r) => setTimeout(r, 30));
    server.unshift(result!.bytes);
    const replayed: Buffer[] = [];
    server.on('data', (d: Buffer) => replayed.push(d));
    server.resume();
    await new Promise((r) => setTimeout(r, 30));
    expect(Buffer.concat(replayed).subarray(0, bytes.length).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.concat(replayed).subarray(bytes.length).toString()).toBe('more');
    socket.destroy();
    server.destroy();
  });

  it('a client that sends 5 bytes and stops is dropped at the time limit, leaving nothing behind', async () => {
    const { client, next } = await serve({ timeoutMs: 200 });
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const socket = client();
    socket.write(helloRecords(modernHello()).subarray(0, 5));
    const started = Date.now();
    const { error, socket: server } = await next();
    expect(codeOf(error)).toBe('ERR_CLIENT_HELLO_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(server.listenerCount('data')).toBe(0);
    expect(server.listenerCount('close')).toBe(0);
    server.destroy();
    socket.destroy();
    await new Promise((r) => setTimeout(r, 10));
    expect(
      process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length,
    ).toBeLessThanOrEqual(before);
  });

  it('slow clients with different limits each time out at their own limit, and a second read on one socket is refused', async () => {
    // One shared timer serves every read: a short limit started after a long one still fires
    // on time, and the long one is still dropped after it.
    const results: { code: string; ms: number }[] = [];
    const started = Date.now();
    const secondRead: unknown[] = [];
    const server = createServer((socket) => {
      const limit = results.length === 0 && secondRead.length === 0 ? 600 : 150;
      readClientHelloWith(socket, { timeoutMs: limit }, (error) => {
        results.push({ code: codeOf(error), ms: Date.now() - started });
        socket.destroy();
      });
      try {
        readClientHelloWith(socket, {}, () => {});
      } catch (error) {
        secondRead.push(error);
      }
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const slow = connect(port, '127.0.0.1');
    slow.write(helloRecords(modernHello()).subarray(0, 5));
    await new Promise((r) => setTimeout(r, 50));
    const fast = connect(port, '127.0.0.1');
    fast.write(helloRecords(modernHello()).subarray(0, 5));
    while (results.length < 2) await new Promise((r) => setTimeout(r, 10));
    slow.destroy();
    fast.destroy();
    expect(results.map((r) => r.code)).toEqual([
      'ERR_CLIENT_HELLO_TIMEOUT',
      'ERR_CLIENT_HELLO_TIMEOUT',
    ]);
    expect(results[0]!.ms).toBeLessThan(550);
    expect(results[1]!.ms).toBeGreaterThanOrEqual(550);
    expect(secondRead).toHaveLength(2);
    expect(secondRead[0]).toBeInstanceOf(TypeError);
  });

  const refusals: [string, Uint8Array | string, ClientHelloErrorCode, ReadClientHelloOptions?][] = [
    [
      'an HTTP request on the TLS port',
      'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n',
      'ERR_CLIENT_HELLO_NOT_TLS',
    ],
    [
      'an SSLv2-style hello',
      Uint8Array.from([0x80, 0x2e, 0x01, 0x03, 0x01, 0, 0x15]),
      'ERR_CLIENT_HELLO_SSLV2',
    ],
    ['an alert record', Uint8Array.from([21, 3, 3, 0, 2, 2, 40]), 'ERR_CLIENT_HELLO_NOT_TLS'],
    [
      'a hello bigger than maxBytes',
      helloRecords(modernHello([[0xffce, new Uint8Array(3000)]])),
      'ERR_CLIENT_HELLO_TOO_LARGE',
      { maxBytes: 2048 },
    ],
  ];
  for (const [label, payload, code, options] of refusals) {
    it(`refuses ${label} with ${code}`, async () => {
      const { client, next } = await serve(options);
      const socket = client();
      socket.write(payload);
      const { error, socket: server } = await next();
      expect(codeOf(error)).toBe(code);
      socket.destroy();
      server.destroy();
    });
  }

  it('a connection closed half-way is ERR_CLIENT_HELLO_CLOSED', async () => {
    const { client, next } = await serve();
    const socket = client();
    socket.end(helloRecords(modernHello()).subarray(0, 50));
    const { error, socket: server } = await next();
    expect(codeOf(error)).toBe('ERR_CLIENT_HELLO_CLOSED');
    expect((error as { offset?: number }).offset).toBe(50);
    server.destroy();
  });
});

// forTls: the hello read straight from the socket's handle into a shared buffer (the mechanism
// of net.connect's `onread`), for sockets that go to TLS next.
describe('readClientHelloWith with forTls', () => {
  const read = (socket: Socket, options: ReadClientHelloOptions = {}) =>
    new Promise<{ error?: unknown; bytes?: Buffer; hello?: unknown }>((resolve) => {
      readClientHelloWith(socket, { ...options, forTls: true }, (error, hello, bytes) =>
        resolve({ error, hello, bytes }),
      );
    });

  async function listen(onSocket: (socket: Socket) => void) {
    const server = createServer(onSocket);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as { port: number }).port;
  }

  it('reads a real TLS client hello in pieces, and TLS takes the connection from there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'staple-fortls-'));
    try {
      const made = spawnSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:P-256',
          '-nodes',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
          '-days',
          '1',
          '-subj',
          '/CN=fortls.test',
          '-addext',
          'subjectAltName=DNS:fortls.test',
        ],
        { encoding: 'utf8' },
      );
      expect(made.status, made.stderr).toBe(0);
      const cert = readFileSync(join(dir, 'cert.pem'));
      const tlsServer = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
      tlsServer.on('secureConnection', (tlsSocket) => tlsSocket.pipe(tlsSocket));
      const reads: {
        hello?: unknown;
        bytes?: Buffer;
        paused: boolean;
        dataListeners: number;
        handleReading: unknown;
      }[] = [];
      const port = await listen((socket) => {
        void read(socket).then(({ hello, bytes }) => {
          reads.push({
            hello,
            bytes,
            paused: socket.isPaused(),
            dataListeners: socket.listenerCount('data'),
            // TLS reads on from the handle without a stop and a restart of its reading.
            handleReading: (socket as unknown as { _handle?: { reading?: unknown } })._handle
              ?.reading,
          });
          socket.unshift(bytes!);
          tlsServer.emit('connection', socket);
        });
      });
      // Through a relay that passes the client's bytes on 7 at a time: the hello arrives in
      // many reads.
      const relay = createServer((inbound) => {
        const outbound = connect(port, '127.0.0.1');
        outbound.setNoDelay(true);
        inbound.on('data', async (chunk: Buffer) => {
          inbound.pause();
          for (let i = 0; i < chunk.length; i += 7) {
            outbound.write(chunk.subarray(i, i + 7));
            await new Promise((r) => setTimeout(r, 1));
          }
          inbound.resume();
        });
        outbound.pipe(inbound);
        inbound.on('close', () => outbound.destroy());
      });
      servers.push(relay);
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      const client = tlsConnect({
        port: (relay.address() as { port: number }).port,
        host: '127.0.0.1',
        servername: 'fortls.test',
        ca: cert,
      });
      await new Promise((resolve, reject) => {
        client.once('secureConnect', resolve);
        client.once('error', reject);
      });
      client.write('ping over TLS');
      const [echo] = (await once(client, 'data')) as [Buffer];
      expect(echo.toString()).toBe('ping over TLS');
      expect(reads).toHaveLength(1);
      expect((reads[0]!.hello as { serverName?: string }).serverName).toBe('fortls.test');
      expect(reads[0]!.paused).toBe(true);
      expect(reads[0]!.dataListeners).toBe(0);
      expect(reads[0]!.handleReading).toBe(true);
      client.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns exactly the bytes read, keeps what arrives after them in order, and the end comes', async () => {
    const results: Promise<{ error?: unknown; bytes?: Buffer; socket: Socket }>[] = [];
    const port = await listen((socket) => {
      results.push(read(socket).then((r) => ({ ...r, socket })));
    });
    const bytes = helloRecords(modernHello());
    const socket = connect(port, '127.0.0.1');
    socket.write(bytes);
    while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
    const { bytes: got, socket: server } = await results[0]!;
    expect(Buffer.compare(got!, Buffer.from(bytes))).toBe(0);
    expect(server.isPaused()).toBe(true);
    socket.end('more');
    // Nobody took the handle: 'more' lands in the socket's buffer, behind the hello put back.
    while (server.readableLength === 0) await new Promise((r) => setTimeout(r, 2));
    server.unshift(got!);
    const seen: Buffer[] = [];
    server.on('data', (d: Buffer) => seen.push(d));
    server.resume();
    await once(server, 'end');
    expect(Buffer.concat(seen).toString('latin1')).toBe(
      Buffer.concat([Buffer.from(bytes), Buffer.from('more')]).toString('latin1'),
    );
    server.destroy();
  });

  it('after a refusal, plain reads are dropped and the end still comes (a refused socket drained)', async () => {
    const results: Promise<{ error?: unknown; socket: Socket }>[] = [];
    const port = await listen((socket) => {
      results.push(read(socket).then((r) => ({ ...r, socket })));
    });
    const socket = connect(port, '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\n\r\n');
    while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
    const { error, socket: server } = await results[0]!;
    expect(codeOf(error)).toBe('ERR_CLIENT_HELLO_NOT_TLS');
    const seen: Buffer[] = [];
    server.on('data', (d: Buffer) => seen.push(d));
    server.resume();
    socket.end('more');
    await once(server, 'end');
    expect(seen).toEqual([]);
    server.destroy();
  });

  for (const [label, payload, code, options] of [
    ['an HTTP request', 'GET / HTTP/1.1\r\n\r\n', 'ERR_CLIENT_HELLO_NOT_TLS', {}],
    [
      'a hello bigger than maxBytes',
      helloRecords(modernHello([[0xffce, new Uint8Array(3000)]])),
      'ERR_CLIENT_HELLO_TOO_LARGE',
      { maxBytes: 2048 },
    ],
    [
      '5 bytes, then nothing',
      helloRecords(modernHello()).subarray(0, 5),
      'ERR_CLIENT_HELLO_TIMEOUT',
      { timeoutMs: 100 },
    ],
  ] as const) {
    it(`refuses ${label} with ${code}, leaving no listener`, async () => {
      const results: Promise<{ error?: unknown; socket: Socket }>[] = [];
      const port = await listen((socket) => {
        results.push(read(socket, options).then((r) => ({ ...r, socket })));
      });
      const socket = connect(port, '127.0.0.1');
      socket.write(payload);
      while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
      const { error, socket: server } = await results[0]!;
      expect(codeOf(error)).toBe(code);
      expect(server.listenerCount('close')).toBe(0);
      expect(server.listenerCount('error')).toBe(0);
      socket.destroy();
      server.destroy();
    });
  }

  it('a connection closed half-way is ERR_CLIENT_HELLO_CLOSED', async () => {
    const results: Promise<{ error?: unknown }>[] = [];
    const port = await listen((socket) => {
      results.push(read(socket).finally(() => socket.destroy()));
    });
    connect(port, '127.0.0.1').end(helloRecords(modernHello()).subarray(0, 50));
    while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
    const { error } = await results[0]!;
    expect(codeOf(error)).toBe('ERR_CLIENT_HELLO_CLOSED');
    expect((error as { offset?: number }).offset).toBe(50);
  });

  it('a socket read as a stream already is read that way, its listener seeing the bytes too', async () => {
    const results: Promise<{ bytes?: Buffer; seen: Buffer[] }>[] = [];
    const port = await listen((socket) => {
      const seen: Buffer[] = [];
      socket.on('data', (d: Buffer) => seen.push(d));
      results.push(read(socket).then((r) => ({ ...r, seen })));
    });
    const bytes = helloRecords(modernHello());
    const socket = connect(port, '127.0.0.1');
    socket.write(bytes);
    while (results.length === 0) await new Promise((r) => setTimeout(r, 2));
    const { bytes: got, seen } = await results[0]!;
    expect(Buffer.compare(got!, Buffer.from(bytes))).toBe(0);
    expect(Buffer.compare(Buffer.concat(seen), Buffer.from(bytes))).toBe(0);
    socket.destroy();
  });
});
