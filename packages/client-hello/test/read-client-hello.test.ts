import { connect, createServer, type Server, type Socket } from 'node:net';
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
