/**
 * One server under test, alone in its process so that its CPU time is its own. Started by
 * handshake.bench.ts as `handshake-server.ts <mode> <key>` with BENCH_SERVER_CONFIG (and by
 * cluster-server.ts as a node:cluster worker, which shares the port); prints
 * `{type:'ready', port}` once listening on 127.0.0.1, answers `stats` with its cumulative
 * process.cpuUsage() and handshake count, and exits on `exit`, when stdin closes, or after
 * BENCH_SERVER_LIFETIME_MS.
 */
import { readFileSync } from 'node:fs';
import type * as net from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import * as tls from 'node:tls';
import {
  KEY_TYPES,
  type KeyType,
  NODE_SERVER_MODES,
  type NodeServerMode,
  onStdinLines,
  type ServerConfig,
  type ServerMessage,
  send,
} from './protocol.js';

function fail(message: string): never {
  send({ type: 'error', message } satisfies ServerMessage);
  process.stderr.write(`handshake-server: ${message}\n`);
  process.exit(1);
}

const mode = process.argv[2] as NodeServerMode;
if (!NODE_SERVER_MODES.includes(mode)) fail(`unknown mode ${JSON.stringify(process.argv[2])}`);
const key = process.argv[3] as KeyType;
if (!KEY_TYPES.includes(key)) fail(`unknown key type ${JSON.stringify(process.argv[3])}`);
const configText = process.env['BENCH_SERVER_CONFIG'];
if (!configText) fail('BENCH_SERVER_CONFIG is not set');
const config = JSON.parse(configText) as ServerConfig;
const lifetimeMs = Number(process.env['BENCH_SERVER_LIFETIME_MS'] ?? 600_000);

// Bounded life whatever happens to the parent.
setTimeout(() => fail(`lifetime of ${lifetimeMs} ms exceeded`), lifetimeMs).unref();

let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

let handshakes = 0;
let clientErrors = 0;
let socketErrors = 0;
let lastError: string | undefined;

const clockTicks = Number(process.env['BENCH_CLK_TCK'] ?? 100);

/** utime + stime of this process's main thread, µs (clock-tick resolution). */
function mainThreadUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Voluntary context switches of the main thread: how often it went to sleep. */
function mainThreadSleeps(): number {
  try {
    const status = readFileSync(`/proc/self/task/${process.pid}/status`, 'utf8');
    return Number(/voluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

function describe(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return `${e.code ?? 'error'}: ${e.message ?? String(error)}`;
}

function onSecureConnection(socket: tls.TLSSocket): void {
  handshakes++;
  socket.on('error', (error) => {
    socketErrors++;
    lastError = describe(error);
  });
  // The client ends right after its handshake; reading lets 'end' arrive, and the default
  // allowHalfOpen=false ends our side too.
  socket.resume();
}

function onClientError(error: unknown): void {
  clientErrors++;
  lastError = describe(error);
}

let server: net.Server;
let staples: { serial: string; stapling: boolean }[] | undefined;
let closeServer: () => Promise<void>;
let loader: 'tsc' | 'tsx' | undefined;

if (mode === 'node-tls' || mode === 'node-tls-ocsp') {
  const plain = tls.createServer({ key: config[key].key, cert: config[key].cert });
  if (mode === 'node-tls-ocsp') {
    const staple = Buffer.from(config[key].staple, 'base64');
    if (staple.length === 0) fail('no staple in the config');
    plain.on(
      'OCSPRequest',
      (_certificate: Buffer, _issuer: Buffer, done: (e: Error | null, r?: Buffer) => void) => {
        done(null, staple);
      },
    );
  }
  server = plain;
  closeServer = () => new Promise((resolve) => plain.close(() => resolve()));
} else {
  // Our packages as they ship (`dist`, built by the bench first: build-ours.ts) when this
  // process runs without the `source` condition; their sources through tsx with it.
  const { createTlsServer } = await import('@staple/server');
  // Which code is under test: tsx's esbuild (keepNames) leaves __name calls, tsc does not.
  const { readClientHello } = await import('@staple/client-hello');
  loader = readClientHello.toString().includes('__name(') ? 'tsx' : 'tsc';
  const only = (c: ServerConfig[KeyType]) => ({ key: c.key, cert: c.cert });
  const certificates =
    mode === 'ours-rsa-ecdsa' || mode === 'ours-rsa-ecdsa-defer'
      ? [only(config.rsa), only(config.ecdsa)] /* RSA listed first */
      : [only(config[key])];
  const ours = createTlsServer({
    certificates,
    ...(mode === 'ours-single-direct' ? { clientHello: false } : {}),
    ...(mode.endsWith('-defer') ? { deferAccept: true } : {}),
  });
  await ours.ready();
  staples = (ours.stapler?.status() ?? []).map((s) => ({
    serial: s.serialNumber,
    stapling: s.stapling,
  }));
  if (staples.length !== certificates.length || !staples.every((s) => s.stapling)) {
    fail(`the stapler is not ready: ${JSON.stringify(ours.stapler?.status())}`);
  }
  server = ours;
  closeServer = () => new Promise((resolve) => ours.close(() => resolve()));
}

server.on('secureConnection', onSecureConnection);
server.on('tlsClientError', onClientError);
server.on('error', (error) => fail(`server error: ${describe(error)}`));

await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const address = server.address() as net.AddressInfo;
if (mode.endsWith('-defer') && (server as { deferringAccept?: boolean }).deferringAccept !== true) {
  fail('deferAccept is not in effect (is koffi installed?)');
}

async function exit(): Promise<void> {
  // Connections are all closed by the time the bench says exit; do not wait for stragglers.
  await Promise.race([closeServer(), new Promise((resolve) => setTimeout(resolve, 1_000))]);
  // process.exit (not a signal) so that --cpu-prof writes its profile.
  process.exit(0);
}

onStdinLines(
  (line) => {
    if (line === 'stats') {
      const cpu = process.cpuUsage();
      send({
        type: 'stats',
        user: cpu.user,
        system: cpu.system,
        monoUs: Number(process.hrtime.bigint() / 1000n),
        mainThreadUs: mainThreadUs(),
        mainThreadSleeps: mainThreadSleeps(),
        gcMs,
        handshakes,
        clientErrors,
        socketErrors,
        ...(lastError ? { lastError } : {}),
        rss: process.memoryUsage.rss(),
      } satisfies ServerMessage);
    } else if (line === 'exit') {
      void exit();
    } else {
      fail(`unknown command ${JSON.stringify(line)}`);
    }
  },
  () => void exit(),
);

send({
  type: 'ready',
  mode,
  key,
  port: address.port,
  pid: process.pid,
  ...(staples ? { staples } : {}),
  ...(loader ? { loader } : {}),
} satisfies ServerMessage);
