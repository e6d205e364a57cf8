/**
 * The whole-machine part of the handshake bench: handshakes per second with one server
 * process per core, the load client on the same machine, nothing pinned:
 *   cluster-node-tls  node:cluster, a plain node:tls worker per core (cluster-server.ts),
 *   cluster-ours      node:cluster, ours (RSA+ECDSA, stapling) per core,
 *   nginx             nginx with `worker_processes <cores>`.
 * The load client is handshake-load.c, built here with the system's cc against the system
 * OpenSSL (it costs far less CPU per handshake than a Node client), run as BENCH_CLUSTER_CLIENTS
 * processes (default: one per core) keeping BENCH_CLUSTER_CONCURRENCY connections (default 32,
 * over all) going for BENCH_CLUSTER_SECONDS (5) per run; BENCH_CLUSTER_ROUNDS (3) interleaved
 * rounds, medians. The server processes' and the client's own CPU (from /proc and getrusage)
 * say how much of the machine each took: a client near its cores' worth limits the figure.
 * BENCH_CLUSTER_SCHED=none makes node:cluster workers accept themselves (Node's default on
 * Linux, `rr`, has the primary accept and pass each connection on).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { Child, OURS_FROM_SOURCE, removeTempDir, trackTempDir } from './children.js';
import type { ClusterReady } from './cluster-server.js';
import { envNumber } from './env.js';
import { buildLoadClient, type LoadResult, runLoadClient } from './load-client.js';
import { allCpus, cores, coreTimes, processCpuUs } from './proc.js';
import { type KeyType, median, type ServerConfig, type ServerStats } from './protocol.js';
import type { ClusterReport, ClusterRow } from './results.js';
import { startNginxServer } from './servers.js';

export interface ClusterContext {
  readonly benchDir: string;
  readonly packageDir: string;
  readonly config: ServerConfig;
  readonly key: KeyType;
  /** undefined: nginx not installed or BENCH_NGINX=0. */
  readonly nginxBin: string | undefined;
  readonly lifetimeMs: number;
  readonly warnings: string[];
}

const SECONDS = envNumber('BENCH_CLUSTER_SECONDS', 5, 1, 60);
const ROUNDS = Math.round(envNumber('BENCH_CLUSTER_ROUNDS', 3, 1, 20));
// Enough handshakes for our workers' JIT to settle (see handshake.bench.ts).
const WARMUP_SECONDS = 5;
const CONCURRENCY = Math.round(envNumber('BENCH_CLUSTER_CONCURRENCY', 32, 1, 1024));
const CLIENTS = Math.round(envNumber('BENCH_CLUSTER_CLIENTS', cores, 1, 64));
const SCHED = process.env['BENCH_CLUSTER_SCHED'] === 'none' ? 'none' : 'rr';

interface ClusterServer {
  readonly mode: ClusterRow['mode'];
  readonly label: string;
  readonly port: number;
  readonly staples: boolean;
  /** Every process of the server (primary/master and workers). */
  readonly pids: readonly number[];
  /** Handshakes the server counted (nginx: connections accepted). */
  handshakes(): Promise<number>;
  stop(): Promise<void>;
}

async function startNodeCluster(
  mode: 'node-tls' | 'ours-rsa-ecdsa',
  context: ClusterContext,
): Promise<ClusterServer> {
  const child = new Child<ClusterReady | ServerStats>(`cluster ${mode}`, {
    // Its workers inherit these flags (cluster.fork uses process.execArgv).
    sourceConditions: OURS_FROM_SOURCE,
    script: join(context.benchDir, 'cluster-server.ts'),
    args: [mode, context.key, String(cores)],
    cpus: allCpus,
    cwd: context.packageDir,
    env: {
      ...process.env,
      BENCH_SERVER_CONFIG: JSON.stringify(context.config),
      BENCH_SERVER_LIFETIME_MS: String(context.lifetimeMs),
      BENCH_CLUSTER_SCHED: SCHED,
    },
  });
  const ready = (await child.next(120_000)) as ClusterReady;
  if (ready.type !== 'ready') throw new Error(`cluster ${mode}: expected ready`);
  return {
    mode: mode === 'node-tls' ? 'cluster-node-tls' : 'cluster-ours',
    label:
      mode === 'node-tls'
        ? `node:cluster × ${cores}, node:tls, no stapling`
        : `node:cluster × ${cores}, ours RSA+ECDSA, stapling`,
    port: ready.port,
    staples: mode !== 'node-tls',
    pids: [ready.pid, ...ready.workerPids],
    async handshakes() {
      const stats = (await child.request('stats', 10_000)) as ServerStats;
      if (stats.type !== 'stats') throw new Error(`cluster ${mode}: expected stats`);
      if (stats.clientErrors > 0) {
        throw new Error(
          `cluster ${mode}: ${stats.clientErrors} tlsClientError: ${stats.lastError}`,
        );
      }
      return stats.handshakes;
    },
    stop: () => child.stop(),
  };
}

async function startNginxCluster(bin: string, context: ClusterContext): Promise<ClusterServer> {
  const dir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-nginx-cluster-')));
  const server = await startNginxServer(context.key, {
    bin,
    dir,
    cpus: allCpus,
    config: context.config,
    workers: cores,
    lifetimeMs: context.lifetimeMs,
  });
  return {
    mode: 'nginx',
    label: `nginx, worker_processes ${cores}`,
    port: server.port,
    staples: true,
    pids: [server.nginx.masterPid, ...server.nginx.workerPids],
    async handshakes() {
      return (await server.snapshot()).handshakes;
    },
    async stop() {
      await server.stop();
      removeTempDir(dir);
    },
  };
}

interface ClusterRun {
  readonly mode: ClusterRow['mode'];
  readonly completed: number;
  readonly handshakesPerSecond: number;
  readonly serverCpuUs: number;
  readonly clientCpuUs: number;
  readonly wallUs: number;
  readonly machineBusy: number;
  readonly p50: number;
  readonly p99: number;
}

async function measureCluster(
  server: ClusterServer,
  bin: string,
  key: KeyType,
  seconds: number,
): Promise<ClusterRun> {
  const countBefore = await server.handshakes();
  const cpu = () => server.pids.reduce((sum, pid) => sum + processCpuUs(pid), 0);
  const coresBefore = coreTimes();
  const cpuBefore = cpu();
  const t0 = performance.now();
  const results = await runLoadClient(bin, {
    port: server.port,
    key,
    version: 'TLSv1.3',
    seconds,
    max: 2_000_000,
    clients: CLIENTS,
    concurrency: CONCURRENCY,
    expectStaple: server.staples,
    cpus: allCpus,
  });
  const wallUs = (performance.now() - t0) * 1000;
  const serverCpuUs = cpu() - cpuBefore;
  const coresAfter = coreTimes();
  const counted = (await server.handshakes()) - countBefore;
  const sum = (f: (r: LoadResult) => number) => results.reduce((s, r) => s + f(r), 0);
  const completed = sum((r) => r.completed);
  const what = `cluster ${server.mode}`;
  if (sum((r) => r.failed) > 0) {
    throw new Error(`${what}: failed handshakes ${JSON.stringify(results.map((r) => r.errors))}`);
  }
  if (sum((r) => r.stapled) !== (server.staples ? completed : 0)) {
    throw new Error(`${what}: ${sum((r) => r.stapled)} of ${completed} handshakes stapled`);
  }
  if (sum((r) => r.wrongStaple) > 0) {
    throw new Error(`${what}: ${sum((r) => r.wrongStaple)} staples for the wrong certificate`);
  }
  if (sum((r) => r.reused) > 0) throw new Error(`${what}: sessions were resumed`);
  // The server's count may include handshakes whose close the client saw after its deadline.
  if (Math.abs(counted - completed) > CONCURRENCY) {
    throw new Error(`${what}: the server counted ${counted}, the clients ${completed}`);
  }
  const busy = (t: { busy: number }[]) => t.reduce((s, c) => s + c.busy, 0);
  const elapsedMs = Math.max(...results.map((r) => r.elapsedMs));
  return {
    mode: server.mode,
    completed,
    handshakesPerSecond: (completed / elapsedMs) * 1000,
    serverCpuUs,
    clientCpuUs: sum((r) => r.cpuUs),
    wallUs,
    machineBusy: (busy(coresAfter) - busy(coresBefore)) / (wallUs * cores),
    p50: median(results.map((r) => r.handshakeMs.p50)),
    p99: Math.max(...results.map((r) => r.handshakeMs.p99)),
  };
}

export async function runCluster(context: ClusterContext): Promise<ClusterReport | null> {
  const { warnings } = context;
  const dir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-load-')));
  const servers: ClusterServer[] = [];
  try {
    const built = buildLoadClient(context.benchDir, dir);
    if ('error' in built) {
      console.warn(`NOTE: whole-machine part skipped: ${built.error}`);
      warnings.push(`whole-machine part skipped: ${built.error}`);
      return null;
    }
    const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout?.trim() ?? '?';
    servers.push(await startNodeCluster('node-tls', context));
    servers.push(await startNodeCluster('ours-rsa-ecdsa', context));
    if (context.nginxBin) servers.push(await startNginxCluster(context.nginxBin, context));
    console.log(
      `\nwhole machine: ${servers.map((s) => `${s.mode} pids ${s.pids.join(',')}`).join('; ')}; ` +
        `${CLIENTS} C client processes × ${Math.max(1, Math.round(CONCURRENCY / CLIENTS))} ` +
        `connections, TLS 1.3 ${context.key}, node:cluster scheduling ${SCHED}`,
    );
    for (const s of servers) await measureCluster(s, built.bin, context.key, WARMUP_SECONDS);
    const runs: ClusterRun[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const r = await measureCluster(s, built.bin, context.key, SECONDS);
        runs.push(r);
        console.log(
          `whole machine round ${round + 1} ${s.mode}: ${r.handshakesPerSecond.toFixed(0)}/s, ` +
            `server ${(r.serverCpuUs / r.wallUs).toFixed(2)} cores, client ` +
            `${(r.clientCpuUs / r.wallUs).toFixed(2)} cores, machine busy ` +
            `${(r.machineBusy * 100).toFixed(0)}%`,
        );
      }
    }
    const rows: ClusterRow[] = servers.map((s) => {
      const mine = runs.filter((r) => r.mode === s.mode);
      const m = (f: (r: ClusterRun) => number) => median(mine.map(f));
      const serverUs = m((r) => r.serverCpuUs / r.completed);
      return {
        mode: s.mode,
        label: s.label,
        handshakesPerSecond: m((r) => r.handshakesPerSecond),
        perRound: mine.map((r) => Math.round(r.handshakesPerSecond)),
        serverCores: m((r) => r.serverCpuUs / r.wallUs),
        serverCpuUsPerHandshake: serverUs,
        clientCores: m((r) => r.clientCpuUs / r.wallUs),
        clientCpuUsPerHandshake: m((r) => r.clientCpuUs / r.completed),
        clientShare: m((r) => r.clientCpuUs / (r.clientCpuUs + r.serverCpuUs)),
        machineBusy: m((r) => r.machineBusy),
        serverOnlyEstimate: (cores * 1e6) / serverUs,
        handshakeP50Ms: m((r) => r.p50),
        handshakeP99Ms: m((r) => r.p99),
      };
    });
    const paired = (a: ClusterRow['mode'], b: ClusterRow['mode']) => {
      const x = runs.filter((r) => r.mode === a);
      const y = runs.filter((r) => r.mode === b);
      if (x.length === 0 || x.length !== y.length) return null;
      return median(x.map((r, i) => r.handshakesPerSecond / y[i]!.handshakesPerSecond));
    };
    const report: ClusterReport = {
      version: 'TLSv1.3',
      key: context.key,
      workers: cores,
      schedulingPolicy: SCHED,
      client: { kind: 'c-openssl', openssl, processes: CLIENTS, concurrency: CONCURRENCY },
      secondsPerRun: SECONDS,
      rounds: ROUNDS,
      rows,
      ratios: {
        oursVsNodeTls: paired('cluster-ours', 'cluster-node-tls'),
        oursVsNginx: paired('cluster-ours', 'nginx'),
      },
    };
    printCluster(report);
    return report;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    removeTempDir(dir);
  }
}

function printCluster(report: ClusterReport): void {
  console.log(
    `\nWhole machine (${report.workers} cores, nothing pinned), TLS 1.3 ${report.key}, ` +
      `${report.client.processes} C client processes, ${report.client.concurrency} connections, ` +
      `${report.rounds} interleaved rounds × ${report.secondsPerRun} s, medians:\n`,
  );
  console.log(
    '| server | handshakes/s | per round | server cores | server µs/hs | client cores | client µs/hs | client share | machine busy | if the client were free | p50 ms | p99 ms |',
  );
  console.log('|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of report.rows) {
    console.log(
      `| ${r.label} | ${r.handshakesPerSecond.toFixed(0)} | ${r.perRound.join(' ')} | ` +
        `${r.serverCores.toFixed(2)} | ${r.serverCpuUsPerHandshake.toFixed(0)} | ` +
        `${r.clientCores.toFixed(2)} | ${r.clientCpuUsPerHandshake.toFixed(0)} | ` +
        `${(r.clientShare * 100).toFixed(0)}% | ${(r.machineBusy * 100).toFixed(0)}% | ` +
        `≤ ${r.serverOnlyEstimate.toFixed(0)}/s | ${r.handshakeP50Ms.toFixed(2)} | ${r.handshakeP99Ms.toFixed(2)} |`,
    );
  }
  const f = (x: number | null) => (x === null ? '–' : `${x.toFixed(3)}x`);
  console.log(
    `\nhandshakes/s: ours/node:tls = ${f(report.ratios.oursVsNodeTls)}, ours/nginx = ` +
      `${f(report.ratios.oursVsNginx)}`,
  );
}
