/**
 * One @staple/server TLS server in its own process: `server-process.ts <config.json>`.
 * The config (protocol.ts ServerConfig) says which certificates, whether to staple, and with
 * which store; prints `ready` once listening on 127.0.0.1 (and, when `warm`, once every
 * certificate has a staple); answers `status`, `sample` (memory after GC; start node with
 * --expose-gc) and `exit`.
 */
import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import { createRedisStore, type Logger, type RedisStore } from '@staple/ocsp-client';
import { createTlsServer } from '@staple/server';
import { fail, type ServerConfig, type ServerMessage, send, serveCommands } from './protocol.js';

const WHO = 'server-process';
const configPath = process.argv[2];
if (!configPath) fail(WHO, 'usage: server-process.ts <config.json>');
const config = JSON.parse(readFileSync(configPath, 'utf8')) as ServerConfig;

const logs: Record<string, number> = {};
const counter =
  (level: string) =>
  (objOrMessage: unknown, message?: string): void => {
    const text = typeof objOrMessage === 'string' ? objOrMessage : (message ?? '');
    const key = `${level}: ${text}`;
    logs[key] = (logs[key] ?? 0) + 1;
  };
const logger: Logger = {
  debug: () => {},
  info: counter('info'),
  warn: counter('warn'),
  error: counter('error'),
};

let store: RedisStore | undefined;
const stapling = config.stapling;
if (stapling !== false && stapling.redis) {
  store = createRedisStore({ path: stapling.redis.path, prefix: stapling.redis.prefix, logger });
}

const server = createTlsServer({
  certificates: config.certificates,
  logger,
  stapling:
    stapling === false
      ? false
      : {
          ...(store ? { store } : {}),
          ...(stapling.refresh ? { refresh: stapling.refresh } : {}),
          ...(stapling.retry ? { retry: stapling.retry } : {}),
          ...(stapling.lockPollMs ? { lockPollMs: stapling.lockPollMs } : {}),
          ...(stapling.fetchTimeoutMs
            ? { fetchOptions: { timeoutMs: stapling.fetchTimeoutMs } }
            : {}),
        },
});

let handshakes = 0;
let clientErrors = 0;
server.on('secureConnection', (socket) => {
  handshakes++;
  socket.on('error', () => {});
  // The clients end right after the handshake; reading lets 'end' arrive and close our side.
  socket.resume();
});
server.on('tlsClientError', () => {
  clientErrors++;
});
server.on('error', (error) => fail(WHO, `server error: ${error.message}`));

function staplingCount(): number {
  return (server.stapler?.status() ?? []).filter((s) => s.stapling).length;
}

if (config.warm && stapling !== false) {
  const deadline = Date.now() + (config.readyTimeoutMs ?? 60_000);
  await server.ready();
  while (staplingCount() < config.certificates.length) {
    if (Date.now() > deadline) {
      fail(
        WHO,
        `only ${staplingCount()} of ${config.certificates.length} certificates stapled in time`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

await new Promise<void>((resolve) =>
  server.listen({ port: 0, host: '127.0.0.1', backlog: config.backlog ?? 511 }, resolve),
);
const { port } = server.address() as net.AddressInfo;

async function sample(): Promise<ServerMessage> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    // Several passes, with turns of the loop between, so that finalizers and weak maps settle.
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const m = process.memoryUsage();
  return {
    type: 'sample',
    gc: gc !== undefined,
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    handshakes,
  };
}

async function exit(): Promise<void> {
  await Promise.race([
    new Promise((resolve) => server.close(() => resolve(undefined))),
    new Promise((resolve) => setTimeout(resolve, 1_000)),
  ]);
  await server.stapler?.close();
  await store?.close();
  process.exit(0);
}

serveCommands(WHO, (line) => {
  if (line === 'status') {
    send({
      type: 'status',
      certificates: (server.stapler?.status() ?? []).map((s) => ({
        serial: s.serialNumber,
        stapling: s.stapling,
        state: s.state,
        fetches: s.fetches,
        storeHits: s.storeHits,
        failures: s.failures,
        ...(s.source ? { source: s.source } : {}),
      })),
      handshakes,
      clientErrors,
      logs,
    } satisfies ServerMessage);
  } else if (line === 'sample') {
    void sample().then(send);
  } else if (line === 'exit') {
    void exit();
  } else {
    fail(WHO, `unknown command ${JSON.stringify(line)}`);
  }
});

send({
  type: 'ready',
  port,
  pid: process.pid,
  startupMs: Math.round(performance.now()),
  stapling: staplingCount(),
} satisfies ServerMessage);
