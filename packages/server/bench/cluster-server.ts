/**
 * A node:cluster of handshake-server.ts workers, for the whole-machine throughput part of the
 * handshake bench: `cluster-server.ts <mode> <key> <workers>` with BENCH_SERVER_CONFIG. The
 * primary forks the workers (they share one port on 127.0.0.1; scheduling policy from
 * BENCH_CLUSTER_SCHED: `rr`, Node's default on Linux, where the primary accepts and hands each
 * connection to a worker, or `none`, where the workers accept themselves), then prints one
 * `ready` line with the port and every pid. `stats` sums the workers' counters (and adds the
 * primary's CPU); `exit` or stdin closing stops them all. Workers exit when the primary goes
 * (their stdin and IPC channel close), and each has its own lifetime bound.
 */
import cluster, { type Worker } from 'node:cluster';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  type NodeServerMode,
  onStdinLines,
  type ServerReady,
  type ServerStats,
  send,
} from './protocol.js';

export interface ClusterReady {
  readonly type: 'ready';
  readonly port: number;
  readonly pid: number;
  readonly workerPids: readonly number[];
  readonly schedulingPolicy: 'rr' | 'none';
}

function fail(message: string): never {
  send({ type: 'error', message });
  process.stderr.write(`cluster-server: ${message}\n`);
  process.exit(1);
}

const [mode, key, count] = process.argv.slice(2) as [NodeServerMode, string, string];
const workers = Number(count);
if (!Number.isInteger(workers) || workers < 1 || workers > 64) fail(`bad worker count ${count}`);
const policy = process.env['BENCH_CLUSTER_SCHED'] === 'none' ? 'none' : 'rr';
const lifetimeMs = Number(process.env['BENCH_SERVER_LIFETIME_MS'] ?? 600_000);
setTimeout(() => fail(`lifetime of ${lifetimeMs} ms exceeded`), lifetimeMs).unref();

// Must be set before the first fork.
cluster.schedulingPolicy = policy === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
cluster.setupPrimary({
  exec: join(dirname(fileURLToPath(import.meta.url)), 'handshake-server.ts'),
  args: [mode, key],
  silent: true,
});

interface Running {
  readonly worker: Worker;
  readonly next: () => Promise<ServerReady | ServerStats>;
}

function start(): Running {
  const worker = cluster.fork();
  worker.process.stderr?.pipe(process.stderr);
  const queue: (ServerReady | ServerStats)[] = [];
  const waiting: ((m: ServerReady | ServerStats) => void)[] = [];
  createInterface({ input: worker.process.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as
      | ServerReady
      | ServerStats
      | { type: 'error'; message: string };
    if (message.type === 'error') fail(`worker ${worker.process.pid}: ${message.message}`);
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  worker.once('exit', (code, signal) => {
    if (!stopping) fail(`worker ${worker.process.pid} exited (code ${code}, signal ${signal})`);
  });
  const next = () => {
    const queued = queue.shift();
    return queued
      ? Promise.resolve(queued)
      : new Promise<ServerReady | ServerStats>((r) => waiting.push(r));
  };
  return { worker, next };
}

let stopping = false;
const running = Array.from({ length: workers }, start);
const readies = await Promise.all(running.map((r) => r.next()));
const ports = new Set(readies.map((r) => (r as ServerReady).port));
if (ports.size !== 1) fail(`workers listen on different ports: ${[...ports].join(', ')}`);

async function stats(): Promise<void> {
  const all = await Promise.all(
    running.map((r) => {
      r.worker.process.stdin!.write('stats\n');
      return r.next() as Promise<ServerStats>;
    }),
  );
  const own = process.cpuUsage();
  const sum = (f: (s: ServerStats) => number) => all.reduce((total, s) => total + f(s), 0);
  send({
    type: 'stats',
    user: sum((s) => s.user) + own.user,
    system: sum((s) => s.system) + own.system,
    monoUs: Number(process.hrtime.bigint() / 1000n),
    mainThreadUs: sum((s) => s.mainThreadUs),
    mainThreadSleeps: sum((s) => s.mainThreadSleeps),
    gcMs: sum((s) => s.gcMs),
    handshakes: sum((s) => s.handshakes),
    clientErrors: sum((s) => s.clientErrors),
    socketErrors: sum((s) => s.socketErrors),
    ...(all.find((s) => s.lastError) ? { lastError: all.find((s) => s.lastError)!.lastError } : {}),
    rss: sum((s) => s.rss) + process.memoryUsage.rss(),
  } satisfies ServerStats);
}

function exit(): void {
  stopping = true;
  for (const r of running) r.worker.process.kill('SIGTERM');
  setTimeout(() => process.exit(0), 200).unref();
}

onStdinLines((line) => {
  if (line === 'stats') void stats().catch((error: unknown) => fail(String(error)));
  else if (line === 'exit') exit();
  else fail(`unknown command ${JSON.stringify(line)}`);
}, exit);

send({
  type: 'ready',
  port: [...ports][0]!,
  pid: process.pid,
  workerPids: running.map((r) => r.worker.process.pid ?? -1),
  schedulingPolicy: policy,
} satisfies ClusterReady);
