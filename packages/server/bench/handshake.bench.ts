/**
 * Server CPU time per full TLS handshake, at a fixed offered rate (open loop), for each TLS
 * version (1.3, 1.2) × key type (ECDSA P-256, RSA-2048: the client offers only that key's
 * signature algorithms), and these servers (servers.ts):
 *   1. node-tls        plain node:tls with the key type's certificate, no stapling (the ceiling),
 *      node-tls-ocsp   the same answering Node's own OCSPRequest with a fixed, real staple,
 *      ours-single     ours (createTlsServer) with that one certificate, stapling,
 *      ours-single-direct  the same with `clientHello: false` (no hello read),
 *   2. ours-rsa-ecdsa  ours with RSA and ECDSA certificates, stapling and selection,
 *      ours-single-defer, ours-rsa-ecdsa-defer  ours-single and ours-rsa-ecdsa with
 *                      `deferAccept: true` (TCP_DEFER_ACCEPT through koffi; Linux only),
 *   3. nginx           the Debian nginx, one worker, the key type's certificate,
 *                      `ssl_stapling_file` with the same fresh response, no session cache or
 *                      tickets (nginx.ts; skipped with a note when nginx is not installed).
 * Each server runs in its own processes (BENCH_REPLICAS of each Node server, their figures
 * summed; nginx: one worker) pinned to core 0 (taskset), the load client (handshake-client.ts,
 * Node) in another pinned to core 1, so each process's CPU time is its own. Every handshake is
 * full (no session offered; resumption is checked to be absent) and sends status_request; the
 * client checks that every handshake of a stapling server carries a staple, and on the first
 * ones that it names the certificate served.
 *
 * A round is one run against all the servers at once: BENCH_SLICE handshakes to one at the
 * offered rate, then the next, in a new random order every cycle. Measured here, sequential
 * runs of 1.5 s per server moved by ±25% from round to round with the machine's speed, more than
 * the differences measured; interleaved, a change of speed falls on every server alike. Two
 * processes of the same code still differ by up to ±10% for minutes (JIT and heap states), hence
 * several per server and the A/A ratio (odd processes / even ones) in the report: the noise floor
 * of every other ratio. Medians over rounds of per-round ratios; rounds during which other
 * processes loaded the cores (read from /proc/stat) are repeated, within a bound. Then CPU profiles of node-tls, ours
 * and nginx (`--cpu-prof`, and `perf` when usable) to say where the time goes; then the
 * whole-machine part (cluster.ts): node:cluster and nginx with one worker per core against a
 * closed-loop C client (handshake-load.c, built here against the system OpenSSL), unpinned.
 *
 * Writes .reports/bench-server.json at the repository root: its shape is `BenchServerReport`
 * in results.ts (schema 'staple-bench-server/3'): `handshakeCpu[]` (per version × key: `rate`,
 * `ratios` {oursVsNodeTls (2/1), oursVsNginx (2/3), nginxVsNodeTls, oursSingleVsNodeTls,
 * nodeTlsOcspVsNodeTls, nodeTlsAa, oursAa}, `rows[]` per server {cpuUsPerHandshake,
 * perProcessCpuUs, ratioVsNodeTls, ratioVsNginx,
 * handshakeP50Ms/P99Ms, addedP50/P99UsVsNodeTls/VsNginx, cipher, group, ticketsPerHandshake,
 * …}, `runs[]`), `profiles` {servers[] {split of CPU: js/v8Runtime/nodeNative/openssl/kernel/…,
 * topNative[], v8.topOurs[]}, byOrigin[]}, `cluster` {rows[] {handshakesPerSecond, serverCores,
 * clientCores, clientShare, serverOnlyEstimate, …}, ratios}, `nginx` {version, the
 * dual-certificate probe}, `warnings[]`.
 *
 * Environment: BENCH_RATE (offered handshakes/s, default 400), BENCH_ROUNDS (clean rounds
 * wanted, 9), BENCH_SECONDS (per round, 6), BENCH_SLICE (10), BENCH_SCHEDULE (together, or
 * alone: each server process alone on the core for BENCH_SECONDS per round), BENCH_REPLICAS (processes per
 * Node server, 4), BENCH_WARMUP_HANDSHAKES (per Node server process, from the C client, 10000),
 * BENCH_WARMUP_SECONDS (all servers together, 10),
 * BENCH_KEYS (ecdsa,rsa), BENCH_TLS12=0 to skip TLS 1.2, BENCH_SERVERS (a subset of the modes
 * above; node-tls is always run), BENCH_NGINX=0 to skip nginx (BENCH_NGINX_BIN: which one),
 * BENCH_FIXED=0 to skip the fixed-rate part, BENCH_PROFILE=0 to skip the profiles,
 * BENCH_PROFILE_MODES (which servers to profile, node-tls,ours-rsa-ecdsa,nginx),
 * BENCH_PERF=0 to skip perf, BENCH_CLUSTER=0 to skip the whole-machine part (its own settings
 * in cluster.ts), BENCH_OURS_LOADER=tsx to run our packages from their sources through tsx's
 * esbuild transform instead of from their `dist`, built first (build-ours.ts) and loaded as
 * published. Fails (exit 1) when any handshake fails,
 * a server reports an error, a staple is missing or wrong, or the counts do not add up.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchOcspResponse } from '@staple/ocsp-client';
import { decodeResponse } from '@staple/ocsp-codec';
import { startTestOcsp } from '@staple/testkit';
import { buildOurs } from './build-ours.js';
import {
  Child,
  installCleanup,
  killEverything,
  OURS_FROM_SOURCE,
  removeTempDir,
  stopProcess,
  trackChild,
  trackTempDir,
} from './children.js';
import { runCluster } from './cluster.js';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './cpu-profile.js';
import { envList, envNumber } from './env.js';
import { buildLoadClient, runLoadClient } from './load-client.js';
import { findNginx, nginxVersion } from './nginx.js';
import { type NativeSummary, perfAvailable, perfReport, startPerf } from './perf-profile.js';
import {
  allCpus,
  clockTicks,
  cores,
  coreTimes,
  cpuName,
  cpusAllowed,
  hasTaskset,
  processCpuUs,
} from './proc.js';
import {
  CLIENT_SIGALGS,
  type ClientMessage,
  type Distribution,
  KEY_TYPES,
  type KeyType,
  median,
  type RunCommand,
  type RunResult,
  type ServerConfig,
  type ServerMode,
  type TlsVersion,
} from './protocol.js';
import {
  type BenchServerReport,
  type HandshakeCpuCell,
  type HandshakeCpuRow,
  type NginxFacts,
  type Profiles,
  REPORT_SCHEMA,
  type ServerProfileReport,
} from './results.js';
import {
  labelOf,
  SERVERS,
  type ServerSnapshot,
  type ServerUnderTest,
  type StartContext,
  startNginxServer,
  startNodeServer,
} from './servers.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const repoRoot = join(here, '../../../');

const RATE = envNumber('BENCH_RATE', 400, 10, 5_000);
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 9, 1, 50));
const SECONDS = envNumber('BENCH_SECONDS', 6, 0.5, 120);
// Consecutive handshakes to one server within a run (see RunCommand).
const SLICE = Math.round(envNumber('BENCH_SLICE', 10, 1, 10_000));
/**
 * How a round's run is shared: 'together' (default), one run with every server's handshakes
 * interleaved in slices; 'alone', each server process alone on the core for its own run of
 * BENCH_SECONDS at the full rate, one after another in a new random order every round, the
 * others idle (a server as it runs in production, at the price of the machine's drift between
 * runs, which the per-round ratios and their medians have to absorb).
 */
const SCHEDULE: 'together' | 'alone' =
  process.env['BENCH_SCHEDULE'] === 'alone' ? 'alone' : 'together';
// Processes per Node server: identical processes drift apart by up to ±15% for minutes (JIT,
// heap), so each figure is the sum of several, and the spread between two is reported (A/A).
const REPLICAS = Math.round(envNumber('BENCH_REPLICAS', 4, 1, 8));
const MAX_ROUNDS = ROUNDS + Math.ceil(ROUNDS / 3);
// A round is clean when no run in it saw more other work than this (share of wall time).
const CLEAN_SERVER_CORE = 0.05;
const CLEAN_CLIENT_CORE = 0.1;
const TLS12 = process.env['BENCH_TLS12'] !== '0';
const KEYS = envList('BENCH_KEYS', KEY_TYPES);
const NGINX = process.env['BENCH_NGINX'] !== '0';

const MODES: ServerMode[] = (() => {
  const asked = envList(
    'BENCH_SERVERS',
    SERVERS.map((s) => s.mode),
  );
  return SERVERS.map((s) => s.mode).filter(
    (m) =>
      m === 'node-tls' ||
      (asked.includes(m) &&
        (m !== 'nginx' || NGINX) &&
        // TCP_DEFER_ACCEPT is Linux's.
        (!m.endsWith('-defer') || process.platform === 'linux')),
  );
})();
/**
 * Node flags of every measured Node server process (BENCH_SERVER_NODE_FLAGS; empty: V8's
 * defaults). Default `--no-memory-reducer`. V8's memory reducer takes a process whose allocation
 * rate falls low (about 1 MB/s: what a server process allocates at the bench's 50 handshakes/s)
 * for idle and shrinks its heap; measured here, in the TLS 1.2 cells some processes of every
 * Node server, node:tls's included, then stayed in a state with 100-220 µs per handshake on
 * threads other than the main one (against 15-50) and a main thread 15% slower, and others did
 * not: per-process figures fell into two groups 20% apart, so a server's ratio came out of how
 * many of its processes fell into which (1.18x against 1.10x for the same code in one run).
 * Without the reducer, the 4 processes of each server agreed within 4%.
 */
const SERVER_NODE_FLAGS = (process.env['BENCH_SERVER_NODE_FLAGS'] ?? '--no-memory-reducer')
  .split(' ')
  .filter(Boolean);
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
const PERF = process.env['BENCH_PERF'] !== '0';
// Which servers are profiled (each also has to be among BENCH_SERVERS).
const PROFILE_MODES: readonly ServerMode[] = process.env['BENCH_PROFILE_MODES']?.trim()
  ? envList(
      'BENCH_PROFILE_MODES',
      SERVERS.map((s) => s.mode),
    )
  : ['node-tls', 'ours-rsa-ecdsa', 'nginx'];
const CLUSTER = process.env['BENCH_CLUSTER'] !== '0';
const FIXED = process.env['BENCH_FIXED'] !== '0';
/**
 * Handshakes each Node server process gets from the C load client (closed loop) before a key's
 * first cell (BENCH_WARMUP_HANDSHAKES, default 10,000, TLS 1.2 and 1.3 in turns; later cells of
 * the key: 2,000 more of their version), and
 * each profiled process before its profile. Measured (--trace-opt, --trace-deopt): our servers'
 * JIT still optimizes and deoptimizes up to about 8,000 handshakes, node:tls's settles sooner;
 * with a 60 s warm-up at 400/s shared by 8 processes (3,000 each), ours' ratios fell from
 * round to round through a whole cell (1.23x in the first round, 1.09x in the seventh). Then
 * BENCH_WARMUP_SECONDS (default 10; 60 without the C client) of the bench's own client at the
 * offered rate, all servers together, which checks what each one serves.
 */
const WARMUP_HANDSHAKES = Math.round(envNumber('BENCH_WARMUP_HANDSHAKES', 10_000, 0, 200_000));
const WARMUP_AGAIN_HANDSHAKES = Math.min(2_000, WARMUP_HANDSHAKES);
const WARMUP_SECONDS_ASKED = process.env['BENCH_WARMUP_SECONDS']
  ? envNumber('BENCH_WARMUP_SECONDS', 10, 0.5, 300)
  : undefined;
const PROFILE_WARMUP_SECONDS = 5;
const CALIBRATION_SECONDS = 2;
const PROFILE_SECONDS = 3;
const SETTLE_MS = 100;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
// Everything stops by itself: the whole bench, and each child (see their lifetimes).
const WATCHDOG_MS = 25 * 60_000;
const CHILD_LIFETIME_MS = WATCHDOG_MS + 60_000;

// Pinning needs two cores; without, each process's CPU time is still its own.
const pinned = hasTaskset && cores >= 2;
process.env['BENCH_CLK_TCK'] = String(clockTicks);

const orNull = (x: number | undefined): number | null =>
  x === undefined || !Number.isFinite(x) ? null : x;

// ---------------------------------------------------------------------------------------------
// One measured run.

type ClientChild = Child<ClientMessage>;

interface Measurement {
  readonly mode: ServerMode;
  /** Which process of the mode; -1 for the processes of a mode summed (combine). */
  readonly replica: number;
  readonly key: KeyType;
  readonly version: TlsVersion;
  readonly rate: number;
  readonly handshakes: number;
  readonly serverCpuUs: number;
  readonly cpuUsPerHandshake: number;
  /** The same from /proc (schedstat, all threads) read here, as a cross-check. */
  readonly procCpuUsPerHandshake: number;
  /** The kernel's part of cpuUsPerHandshake (NaN for nginx). */
  readonly systemUsPerHandshake: number;
  /** The main thread's CPU alone (/proc, clock-tick resolution). */
  readonly mainThreadUsPerHandshake: number;
  readonly serverSocketErrors: number;
  /** Times the server's main thread went to sleep (voluntary context switches) per handshake. */
  readonly sleepsPerHandshake: number;
  /** Garbage collection (wall time of the GC pauses) per handshake, µs. */
  readonly gcUsPerHandshake: number;
  /**
   * Shares of the run's wall time: the server's core busy, the server's CPU, the part of the
   * core's busy time not counted as the server's CPU (other processes, interrupts), the same
   * on the client's core (less the client and this process), and the hypervisor's steal on the
   * server's core.
   */
  readonly load: {
    readonly serverCoreBusy: number;
    readonly serverCoreUse: number;
    readonly serverCoreForeign: number;
    readonly clientCoreForeign: number;
    readonly steal: number;
  };
  readonly client: RunResult;
}

type FullMeasurement = Measurement & { before: ServerSnapshot; after: ServerSnapshot };

const normalSerial = (s: string) => s.toUpperCase().replace(/^0+/, '');

/** The serial of the certificate a DER OCSP response speaks of, or undefined. */
function stapleSerial(base64: string | undefined): string | undefined {
  if (!base64) return undefined;
  const decoded = decodeResponse(new Uint8Array(Buffer.from(base64, 'base64')));
  return decoded.responseStatus === 'successful'
    ? decoded.basic.responses[0]?.certId.serialNumber
    : undefined;
}

/**
 * One run against several servers at once (see RunCommand): each server's CPU per handshake
 * over the same wall time, so that a change in the machine's speed during the run, which
 * sequential runs turned into ±25% between rounds, falls on every server alike.
 */
async function measureTogether(
  servers: readonly ServerUnderTest[],
  client: ClientChild,
  version: TlsVersion,
  rate: number,
  seconds: number,
  capture: boolean,
  expectedSerial: string,
  idle: readonly ServerUnderTest[] = [],
): Promise<FullMeasurement[]> {
  const idleCpuUs = () => idle.reduce((sum, s) => sum + processCpuUs(s.pid), 0);
  const idleBefore = idleCpuUs();
  const before = await Promise.all(servers.map((s) => s.snapshot()));
  const coresBefore = coreTimes();
  const selfBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const command: RunCommand = {
    type: 'run',
    targets: servers.map((s) => ({ port: s.port, expectStaple: s.staple })),
    rate,
    slice: SLICE,
    seconds,
    version,
    key: servers[0]!.key,
    capture,
  };
  const answer = await client.request(JSON.stringify(command), (seconds + 30) * 1000);
  if (answer.type !== 'result' || answer.results.length !== servers.length) {
    throw new Error(`client: expected ${servers.length} results, got ${JSON.stringify(answer)}`);
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const after = await Promise.all(servers.map((s) => s.snapshot()));
  const coresAfter = coreTimes();
  // The idle servers' own timers and GC are theirs, not other work on the core.
  const idleUs = idleCpuUs() - idleBefore || 0;
  const selfCpu = process.cpuUsage(selfBefore);
  const wallUs = (performance.now() - wallBefore) * 1000;
  const core = (i: number, k: 'busy' | 'steal') =>
    (coresAfter[i]?.[k] ?? Number.NaN) - (coresBefore[i]?.[k] ?? Number.NaN);
  const cpuOf = (i: number) => after[i]!.cpuUs - before[i]!.cpuUs;
  const serversCpuUs = servers.reduce((sum, _s, i) => sum + cpuOf(i), 0);
  const first = answer.results[0]!;
  const clientUs = first.clientCpu * first.elapsedMs * 1000;
  const load = (i: number) => ({
    serverCoreBusy: core(SERVER_CORE, 'busy') / wallUs,
    serverCoreUse: cpuOf(i) / wallUs,
    serverCoreForeign: Math.max(0, core(SERVER_CORE, 'busy') - serversCpuUs - idleUs) / wallUs,
    clientCoreForeign:
      Math.max(0, core(CLIENT_CORE, 'busy') - clientUs - selfCpu.user - selfCpu.system) / wallUs,
    steal: core(SERVER_CORE, 'steal') / wallUs,
  });
  return servers.map((server, i) =>
    check(server, answer.results[i]!, before[i]!, after[i]!, load(i), {
      version,
      capture,
      expectedSerial,
    }),
  );
}

/** One round's runs (see SCHEDULE), in the order of `servers`. */
async function measureRound(
  servers: readonly ServerUnderTest[],
  client: ClientChild,
  version: TlsVersion,
  rate: number,
  expectedSerial: string,
): Promise<FullMeasurement[]> {
  if (SCHEDULE === 'together') {
    return measureTogether(servers, client, version, rate, SECONDS, false, expectedSerial);
  }
  const order = servers.map((_s, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const results: FullMeasurement[] = new Array(servers.length);
  for (const i of order) {
    const [m] = await measureTogether(
      [servers[i]!],
      client,
      version,
      rate,
      SECONDS,
      false,
      expectedSerial,
      servers.filter((_s, k) => k !== i),
    );
    results[i] = m!;
  }
  return results;
}

/** One server's part of a run, checked: every handshake done, stapled as it should be. */
function check(
  server: ServerUnderTest,
  answer: RunResult,
  before: ServerSnapshot,
  after: ServerSnapshot,
  load: Measurement['load'],
  run: { version: TlsVersion; capture: boolean; expectedSerial: string },
): FullMeasurement {
  const { version, capture, expectedSerial } = run;
  const what = `${server.mode} ${server.key} ${version} at ${answer.offered.toFixed(0)}/s`;
  const total = answer.started;
  if (answer.failed > 0 || answer.completed !== total) {
    throw new Error(
      `${what}: ${answer.failed} handshakes failed, ${answer.completed}/${total} completed: ` +
        JSON.stringify(answer.errors),
    );
  }
  const handshakes = after.handshakes - before.handshakes;
  if (handshakes !== answer.completed) {
    throw new Error(`${what}: the server counted ${handshakes}, the client ${answer.completed}`);
  }
  const clientErrors = after.clientErrors - before.clientErrors;
  if (clientErrors > 0) {
    throw new Error(`${what}: ${clientErrors} errors on the server: ${after.lastError}`);
  }
  if (answer.reused > 0) throw new Error(`${what}: ${answer.reused} sessions were resumed`);
  const expectedStapled = server.staple ? answer.completed : 0;
  if (answer.stapled !== expectedStapled) {
    throw new Error(`${what}: ${answer.stapled} stapled handshakes, expected ${expectedStapled}`);
  }
  if (answer.protocols[version] !== answer.completed) {
    throw new Error(`${what}: protocols ${JSON.stringify(answer.protocols)}`);
  }
  if (capture) {
    for (const serial of answer.serials ?? []) {
      if (normalSerial(serial) !== expectedSerial) {
        throw new Error(
          `${what}: served certificate ${serial}, expected ${server.key} ${expectedSerial}`,
        );
      }
    }
    if (server.staple) {
      const serial = stapleSerial(answer.staple);
      if (!serial || normalSerial(serial) !== expectedSerial) {
        throw new Error(`${what}: the staple is for ${serial}, expected ${expectedSerial}`);
      }
    }
  }
  const serverCpuUs = after.cpuUs - before.cpuUs;
  return {
    mode: server.mode,
    replica: server.replica,
    key: server.key,
    version,
    rate: answer.offered,
    handshakes,
    serverCpuUs,
    cpuUsPerHandshake: serverCpuUs / handshakes,
    procCpuUsPerHandshake: (after.procCpuUs - before.procCpuUs) / handshakes,
    systemUsPerHandshake: (after.systemUs - before.systemUs) / handshakes,
    mainThreadUsPerHandshake: (after.mainThreadUs - before.mainThreadUs) / handshakes,
    serverSocketErrors: after.socketErrors - before.socketErrors,
    sleepsPerHandshake: (after.mainThreadSleeps - before.mainThreadSleeps) / handshakes,
    gcUsPerHandshake: ((after.gcMs - before.gcMs) * 1000) / handshakes,
    load,
    client: answer,
    before,
    after,
  };
}

/** One server alone (profiles). */
async function measure(
  server: ServerUnderTest,
  client: ClientChild,
  version: TlsVersion,
  rate: number,
  seconds: number,
  capture: boolean,
  expectedSerial: string,
): Promise<FullMeasurement> {
  const [m] = await measureTogether(
    [server],
    client,
    version,
    rate,
    seconds,
    capture,
    expectedSerial,
  );
  return m!;
}

/** The processes of one mode in one run, as one server: CPU and handshakes summed. */
function combine(ms: readonly Measurement[]): Measurement {
  const first = ms[0]!;
  if (ms.length === 1) return first;
  const sum = (f: (m: Measurement) => number) => ms.reduce((s, m) => s + f(m), 0);
  const handshakes = sum((m) => m.handshakes);
  const perHandshake = (f: (m: Measurement) => number) =>
    sum((m) => f(m) * m.handshakes) / handshakes;
  const mean = (f: (m: Measurement) => number) => sum(f) / ms.length;
  const meanOf = (f: (m: Measurement) => Distribution): Distribution => ({
    p50: mean((m) => f(m).p50),
    p90: mean((m) => f(m).p90),
    p99: mean((m) => f(m).p99),
    max: Math.max(...ms.map((m) => f(m).max)),
  });
  return {
    ...first,
    replica: -1,
    handshakes,
    serverCpuUs: sum((m) => m.serverCpuUs),
    cpuUsPerHandshake: sum((m) => m.serverCpuUs) / handshakes,
    procCpuUsPerHandshake: perHandshake((m) => m.procCpuUsPerHandshake),
    systemUsPerHandshake: perHandshake((m) => m.systemUsPerHandshake),
    mainThreadUsPerHandshake: perHandshake((m) => m.mainThreadUsPerHandshake),
    serverSocketErrors: sum((m) => m.serverSocketErrors),
    sleepsPerHandshake: perHandshake((m) => m.sleepsPerHandshake),
    gcUsPerHandshake: perHandshake((m) => m.gcUsPerHandshake),
    // Together, the replicas share the run's rate; alone, each had the whole rate to itself.
    load: {
      ...first.load,
      serverCoreUse:
        SCHEDULE === 'alone' ? mean((m) => m.load.serverCoreUse) : sum((m) => m.load.serverCoreUse),
    },
    client: {
      ...first.client,
      completed: sum((m) => m.client.completed),
      afterErrors: sum((m) => m.client.afterErrors),
      handshakeMs: meanOf((m) => m.client.handshakeMs),
      totalMs: meanOf((m) => m.client.totalMs),
      startLagMs: meanOf((m) => m.client.startLagMs),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Summaries.

/** What the first (captured) handshakes of a server negotiated and received. */
interface Captured {
  readonly cipher: string | null;
  readonly group: string | null;
  readonly ticketsPerHandshake: number | null;
  readonly stapleBytes: number | null;
}

function captured(m: Measurement): Captured {
  const c = m.client;
  return {
    cipher: c.cipher ?? null,
    group: c.group ?? null,
    ticketsPerHandshake: orNull(c.ticketsPerHandshake),
    stapleBytes: c.staple ? Buffer.from(c.staple, 'base64').length : null,
  };
}

function summarize(
  runs: readonly Measurement[],
  processRuns: readonly Measurement[],
  modes: readonly ServerMode[],
  capturedBy: ReadonlyMap<ServerMode, Captured>,
): HandshakeCpuRow[] {
  const of = (mode: ServerMode) => runs.filter((r) => r.mode === mode);
  const base = of('node-tls');
  const nginx = of('nginx');
  return modes.map((mode) => {
    const mine = of(mode);
    // Pairs the i-th run of this server with the i-th of the reference: the same round.
    const paired = (
      against: readonly Measurement[],
      f: (m: Measurement) => number,
      g: (a: number, b: number) => number,
    ) =>
      against.length === mine.length
        ? orNull(median(mine.map((m, i) => g(f(m), f(against[i]!)))))
        : null;
    const ratio = (against: readonly Measurement[]) =>
      paired(
        against,
        (m) => m.cpuUsPerHandshake,
        (a, b) => a / b,
      );
    const added = (against: readonly Measurement[], p: 'p50' | 'p99') =>
      paired(
        against,
        (m) => m.client.handshakeMs[p],
        (a, b) => (a - b) * 1000,
      );
    const c = capturedBy.get(mode);
    return {
      mode,
      label: labelOf(mode),
      cpuUsPerHandshake: median(mine.map((m) => m.cpuUsPerHandshake)),
      procCpuUsPerHandshake: orNull(median(mine.map((m) => m.procCpuUsPerHandshake))),
      ratioVsNodeTls: ratio(base),
      ratioVsNginx: nginx.length ? ratio(nginx) : null,
      handshakeP50Ms: median(mine.map((m) => m.client.handshakeMs.p50)),
      handshakeP99Ms: median(mine.map((m) => m.client.handshakeMs.p99)),
      addedP50UsVsNodeTls: added(base, 'p50'),
      addedP99UsVsNodeTls: added(base, 'p99'),
      addedP50UsVsNginx: nginx.length ? added(nginx, 'p50') : null,
      addedP99UsVsNginx: nginx.length ? added(nginx, 'p99') : null,
      achievedRate: median(mine.map((m) => m.client.achievedRate)),
      clientCpu: median(mine.map((m) => m.client.clientCpu)),
      serverCoreUse: median(mine.map((m) => m.load.serverCoreUse)),
      serverCoreForeign: median(mine.map((m) => m.load.serverCoreForeign)),
      clientCoreForeign: median(mine.map((m) => m.load.clientCoreForeign)),
      serverCoreSteal: median(mine.map((m) => m.load.steal)),
      handshakesPerRun: median(mine.map((m) => m.handshakes)),
      sleepsPerHandshake: orNull(median(mine.map((m) => m.sleepsPerHandshake))),
      gcUsPerHandshake:
        mode === 'nginx' ? null : orNull(median(mine.map((m) => m.gcUsPerHandshake))),
      cipher: c?.cipher ?? null,
      group: c?.group ?? null,
      ticketsPerHandshake: c?.ticketsPerHandshake ?? null,
      stapleBytes: c?.stapleBytes ?? null,
      perRoundCpuUs: mine.map((m) => Math.round(m.cpuUsPerHandshake)),
      ...perProcess(processRuns.filter((m) => m.mode === mode)),
    };
  });
}

function perProcess(runs: readonly Measurement[]): {
  processes: number;
  perProcessCpuUs: number[];
} {
  const replicas = [...new Set(runs.map((m) => m.replica))].sort((a, b) => a - b);
  return {
    processes: replicas.length,
    perProcessCpuUs: replicas.map((r) =>
      Math.round(median(runs.filter((m) => m.replica === r).map((m) => m.cpuUsPerHandshake))),
    ),
  };
}

type RoundMeasurement = Measurement & { readonly round: number };

/**
 * Median over rounds of a mode's odd-numbered processes / its even-numbered ones (with two:
 * the second / the first), CPU per handshake of each half summed: what identical servers
 * differ by, at half the processes a ratio in the table sums.
 */
function aa(
  processRuns: readonly RoundMeasurement[],
  mode: ServerMode,
  rounds: number,
): number | null {
  const ratios: number[] = [];
  const perHandshake = (ms: readonly RoundMeasurement[]) =>
    ms.reduce((s, m) => s + m.serverCpuUs, 0) / ms.reduce((s, m) => s + m.handshakes, 0);
  for (let round = 0; round < rounds; round++) {
    const mine = processRuns.filter((m) => m.mode === mode && m.round === round);
    const even = mine.filter((m) => m.replica % 2 === 0);
    const odd = mine.filter((m) => m.replica % 2 === 1);
    if (even.length && odd.length) ratios.push(perHandshake(odd) / perHandshake(even));
  }
  return ratios.length ? median(ratios) : null;
}

function printTable(cell: HandshakeCpuCell): void {
  const { rows, rate, rounds, version, key } = cell;
  const f = (n: number | null, digits = 0) => (n === null ? '–' : n.toFixed(digits));
  const signed = (n: number | null) => (n === null ? '–' : (n >= 0 ? '+' : '') + n.toFixed(0));
  const x = (n: number | null) => (n === null ? '–' : `${n.toFixed(3)}x`);
  const base = rows[0]!;
  const foreign = median(rows.map((r) => r.serverCoreForeign));
  const foreignClient = median(rows.map((r) => r.clientCoreForeign));
  const steal = median(rows.map((r) => r.serverCoreSteal));
  console.log(
    `\n${version} ${key.toUpperCase()}: offered ${rate}/s, achieved ${f(base.achievedRate)}/s on ` +
      `the baseline (client CPU ${f(base.clientCpu * 100)}% of a core), ${rounds.used} ` +
      `interleaved rounds (of ${rounds.run} run) × ${SECONDS} s, medians; other work on the ` +
      `server's core ${f(foreign * 100, 1)}%, on the client's ${f(foreignClient * 100, 1)}%, ` +
      `steal ${f(steal * 100, 1)}%. Ratios: median over rounds of server / reference in the ` +
      `same round. Latency: TCP connect → secureConnect at the client.\n`,
  );
  console.log(
    '| server | CPU µs/hs | (/proc) | vs node:tls | vs nginx | p50 ms | p99 ms | +p50 µs vs node:tls | +p99 µs | core use | tickets/hs | sleeps/hs | GC µs/hs | per process µs | per round µs |',
  );
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const row of rows) {
    const isBase = row.mode === 'node-tls';
    console.log(
      `| ${row.label} | ${f(row.cpuUsPerHandshake)} | ${f(row.procCpuUsPerHandshake)} | ` +
        `${isBase ? '1' : x(row.ratioVsNodeTls)} | ${row.mode === 'nginx' ? '1' : x(row.ratioVsNginx)} | ` +
        `${f(row.handshakeP50Ms, 3)} | ${f(row.handshakeP99Ms, 3)} | ` +
        `${isBase ? '' : signed(row.addedP50UsVsNodeTls)} | ${isBase ? '' : signed(row.addedP99UsVsNodeTls)} | ` +
        `${f(row.serverCoreUse * 100)}% | ${f(row.ticketsPerHandshake, 1)} | ` +
        `${f(row.sleepsPerHandshake, 2)} | ${f(row.gcUsPerHandshake)} | ` +
        `${row.perProcessCpuUs.join(' / ')} | ${row.perRoundCpuUs.join(' ')} |`,
    );
  }
  const r = cell.ratios;
  console.log(
    `\nratios (${version} ${key}): 2/1 ours/node:tls = ${x(r.oursVsNodeTls)} (goal ≤ 1.10), ` +
      `2/3 ours/nginx = ${x(r.oursVsNginx)}, 3/1 nginx/node:tls = ${x(r.nginxVsNodeTls)}; ` +
      `ours one cert/node:tls = ${x(r.oursSingleVsNodeTls)} (clientHello: false ` +
      `${x(r.oursSingleDirectVsNodeTls)}, deferAccept ${x(r.oursSingleDeferVsNodeTls)}), ` +
      `ours RSA+ECDSA deferAccept/node:tls = ${x(r.oursDeferVsNodeTls)}, node:tls+OCSPRequest/node:tls = ` +
      `${x(r.nodeTlsOcspVsNodeTls)}; A/A (odd processes / even): node:tls ${x(r.nodeTlsAa)}, ` +
      `ours ${x(r.oursAa)}`,
  );
  const ciphers = new Set(rows.map((row) => `${row.cipher} ${row.group}`));
  if (ciphers.size > 1) {
    console.log(
      `  NOTE: the servers negotiated different suites/groups: ${[...ciphers].join('; ')}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Profiles.

interface ServerProfile {
  readonly mode: ServerMode;
  readonly handshakes: number;
  /** Server CPU per handshake in the profiled run (profilers running). */
  readonly cpuUsPerHandshake: number;
  /** V8's view (main thread): JS and what JS calls; OpenSSL in the poll phase counts as idle. */
  readonly v8?: ProfileSummary;
  /** perf's view (all threads, by CPU time), when perf is usable. */
  readonly native?: NativeSummary;
  readonly cpuProfileFile?: string;
  readonly load: Measurement['load'];
}

async function profileServer(
  mode: ServerMode,
  start: (nodeArgs: string[], dir: string) => Promise<ServerUnderTest>,
  client: ClientChild,
  rate: number,
  expectedSerial: string,
  usePerf: boolean,
): Promise<ServerProfile> {
  const dir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-prof-')));
  let mapFile: string | undefined;
  try {
    const isNode = mode !== 'nginx';
    const nodeArgs = isNode
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${dir}`,
          ...(usePerf ? ['--perf-basic-prof-only-functions'] : []),
        ]
      : [];
    const server = await start(nodeArgs, dir);
    if (usePerf && isNode) mapFile = `/tmp/perf-${server.pid}.map`;
    if (isNode && loadClient && WARMUP_HANDSHAKES > 0) {
      await warmUp(loadClient, server, 'TLSv1.3', WARMUP_HANDSHAKES);
    }
    await measure(server, client, 'TLSv1.3', rate, PROFILE_WARMUP_SECONDS, false, expectedSerial);
    // Up to 3 attempts, for one without other load on the cores; else the least disturbed.
    let best: { m: FullMeasurement; perfFile: string } | undefined;
    for (let attempt = 0; ; attempt++) {
      const perfFile = join(dir, `perf-${attempt}.data`);
      let perf: ChildProcess | undefined;
      if (usePerf) {
        perf = startPerf(server.pid, perfFile);
        trackChild(perf);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const m = await measure(
        server,
        client,
        'TLSv1.3',
        rate,
        PROFILE_SECONDS,
        false,
        expectedSerial,
      );
      if (perf) await stopProcess(perf, 'SIGINT');
      const worst = (x: Measurement) =>
        Math.max(
          x.load.serverCoreForeign / CLEAN_SERVER_CORE,
          x.load.clientCoreForeign / CLEAN_CLIENT_CORE,
        );
      if (!best || worst(m) < worst(best.m)) best = { m, perfFile };
      if (worst(m) <= 1 || attempt >= 2) break;
      console.log(`profile of ${mode}: disturbed by other work, again`);
    }
    const { m, perfFile } = best;
    await server.stop();
    const native = usePerf ? perfReport(perfFile) : undefined;
    if (!isNode) {
      return {
        mode,
        handshakes: m.handshakes,
        cpuUsPerHandshake: m.cpuUsPerHandshake,
        ...(native ? { native } : {}),
        load: m.load,
      };
    }
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: the main thread is thread 0 (tsx's
    // loader-hooks thread writes its own).
    const files = readdirSync(dir).filter((f) => f.endsWith(`.${server.pid}.0.001.cpuprofile`));
    if (files.length !== 1) {
      throw new Error(
        `profile of ${mode}: no main-thread profile in ${readdirSync(dir).join(', ')}`,
      );
    }
    const path = join(dir, files[0]!);
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const v8 = summarizeProfile(profile, repoRoot, [m.before.monoUs, m.after.monoUs]);
    const reports = join(repoRoot, '.reports');
    mkdirSync(reports, { recursive: true });
    const kept = join(reports, `bench-server-${mode}.cpuprofile`);
    copyFileSync(path, kept);
    return {
      mode,
      handshakes: m.handshakes,
      cpuUsPerHandshake: m.cpuUsPerHandshake,
      v8,
      ...(native ? { native } : {}),
      cpuProfileFile: kept.slice(repoRoot.length),
      load: m.load,
    };
  } finally {
    removeTempDir(dir);
    if (mapFile) rmSync(mapFile, { force: true });
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);

function printProfile(p: ServerProfile): void {
  console.log(
    `\nprofile of ${p.mode}: ${p.cpuUsPerHandshake.toFixed(0)} µs CPU/handshake under the ` +
      `profilers, other work on its core ${(p.load.serverCoreForeign * 100).toFixed(0)}%`,
  );
  const s = p.v8;
  if (s) {
    console.log(
      `  --cpu-prof (main thread, ${s.windowed ? 'load window only' : 'WHOLE profile: window not found'}): ` +
        `V8 saw ${((s.busyMs * 1000) / p.handshakes).toFixed(0)} µs/handshake busy in JS, GC ` +
        `and native calls from JS; the rest is native work in libuv's poll phase (OpenSSL ` +
        `reading/handshaking), which V8 counts as idle.`,
    );
    console.log('  V8 self time by origin (share of what V8 saw busy):');
    for (const o of s.origins) console.log(`    ${pct(o.share)}  ${o.origin}`);
    console.log('  V8 top self time (our lines are those of the emitted JS):');
    for (const r of s.top.slice(0, 10)) {
      console.log(
        `    ${pct(r.share)}  ${r.function}  ${r.location ? `(${r.location}) ` : ''}[${r.origin}]`,
      );
    }
    if (s.topOurs.length > 0) {
      console.log('  ours (packages/*), V8 top self time:');
      for (const r of s.topOurs.slice(0, 8)) {
        console.log(`    ${pct(r.share)}  ${r.function}  (${r.location})`);
      }
    }
  }
  if (p.native) {
    console.log(`  perf (all threads, CPU time) top symbols, share and µs per handshake:`);
    for (const r of p.native.top.slice(0, 15)) {
      const us = (r.share * p.cpuUsPerHandshake).toFixed(0).padStart(4);
      console.log(`    ${pct(r.share)} ${us} µs  ${r.symbol.slice(0, 110)}  [${r.origin}]`);
    }
  }
}

/** µs per handshake by perf origin, one column per profiled server. */
function byOrigin(profiles: readonly ServerProfile[]): Profiles['byOrigin'] {
  const withPerf = profiles.filter((p) => p.native);
  const origins = new Set(withPerf.flatMap((p) => p.native!.origins.map((o) => o.origin)));
  const us = (p: ServerProfile, origin: string) =>
    (p.native!.origins.find((o) => o.origin === origin)?.share ?? 0) * p.cpuUsPerHandshake;
  const ours = withPerf.find((p) => p.mode === 'ours-rsa-ecdsa');
  return [...origins]
    .map((origin) => ({
      origin,
      usPerHandshake: Object.fromEntries(withPerf.map((p) => [p.mode, us(p, origin)])),
    }))
    .sort((a, b) => (ours ? us(ours, b.origin) - us(ours, a.origin) : 0));
}

function printByOrigin(rows: Profiles['byOrigin'], profiles: readonly ServerProfile[]): void {
  const modes = profiles.filter((p) => p.native).map((p) => p.mode);
  if (modes.length === 0) return;
  console.log(
    '\nWhere the time goes (perf, all threads, µs CPU per handshake, under the profilers):',
  );
  console.log(`| origin | ${modes.join(' | ')} |`);
  console.log(`|---|${modes.map(() => '--:').join('|')}|`);
  for (const r of rows) {
    console.log(
      `| ${r.origin} | ${modes.map((m) => (r.usPerHandshake[m] ?? 0).toFixed(0)).join(' | ')} |`,
    );
  }
  console.log(
    `| total | ${modes.map((m) => profiles.find((p) => p.mode === m)!.cpuUsPerHandshake.toFixed(0)).join(' | ')} |`,
  );
}

function profileReport(p: ServerProfile): ServerProfileReport {
  const share = (...origins: string[]) =>
    p.native!.origins.filter((o) => origins.includes(o.origin)).reduce((s, o) => s + o.share, 0);
  const v8PerHandshake = (ms: number) => (ms * 1000) / p.handshakes;
  const selfRow = (r: ProfileSummary['top'][number]) => ({
    function: r.function,
    location: r.location,
    origin: r.origin,
    share: r.share,
    usPerHandshake: v8PerHandshake(r.ms),
  });
  return {
    mode: p.mode,
    handshakes: p.handshakes,
    cpuUsPerHandshake: p.cpuUsPerHandshake,
    split: p.native
      ? {
          js: share(
            'ours: server (JS)',
            'ours: client-hello (JS)',
            'ours: other packages (JS)',
            'node internals (JS)',
            'other JS',
            'V8 builtins',
          ),
          v8Runtime: share('V8 runtime, GC, compiler'),
          nodeNative: share('node C++', 'libuv'),
          openssl: share('OpenSSL and other C'),
          kernel: share('kernel (TCP, syscalls)'),
          libc: share('libc, libstdc++'),
          nginx: share('nginx (C)'),
          unknown: share('unknown'),
        }
      : null,
    topNative: (p.native?.top ?? []).map((r) => ({
      symbol: r.symbol,
      dso: r.dso,
      origin: r.origin,
      share: r.share,
      usPerHandshake: r.share * p.cpuUsPerHandshake,
    })),
    v8: p.v8
      ? {
          busyUsPerHandshake: v8PerHandshake(p.v8.busyMs),
          origins: p.v8.origins.map((o) => ({ origin: o.origin, share: o.share })),
          top: p.v8.top.map(selfRow),
          topOurs: p.v8.topOurs.map(selfRow),
        }
      : null,
    cpuProfileFile: p.cpuProfileFile ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// nginx with two certificates and one ssl_stapling_file.

async function probeNginxDualCertificates(
  bin: string,
  config: ServerConfig,
  client: ClientChild,
  serials: Readonly<Record<KeyType, string>>,
): Promise<NginxFacts['dualCertificateProbe']> {
  const dir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-nginx-dual-')));
  try {
    const server = await startNginxServer('ecdsa', {
      bin,
      dir,
      cpus: pinned ? String(SERVER_CORE) : undefined,
      config,
      workers: 1,
      lifetimeMs: 120_000,
      bothCertificates: true,
    });
    try {
      const keyOf = (serial: string | undefined): KeyType | 'other' =>
        KEY_TYPES.find((k) => serial !== undefined && normalSerial(serial) === serials[k]) ??
        'other';
      const found: NginxFacts['dualCertificateProbe'][number][] = [];
      for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
        for (const clientKey of KEY_TYPES) {
          const command: RunCommand = {
            type: 'run',
            targets: [{ port: server.port, expectStaple: true }],
            rate: 20,
            seconds: 0.5,
            version,
            key: clientKey,
            capture: true,
          };
          const reply = await client.request(JSON.stringify(command), 30_000);
          const answer = reply.type === 'result' ? reply.results[0] : undefined;
          if (!answer || answer.completed === 0) {
            throw new Error(`nginx dual-certificate probe: ${JSON.stringify(reply)}`);
          }
          const served = keyOf(answer.serials?.[0]);
          const staple = stapleSerial(answer.staple);
          found.push({
            clientKey,
            version,
            servedKey: served,
            stapleMatchesServed:
              staple !== undefined && normalSerial(staple) === serials[served as KeyType],
            stapleFor: staple === undefined ? 'none' : keyOf(staple),
          });
        }
      }
      return found;
    } finally {
      await server.stop();
    }
  } finally {
    removeTempDir(dir);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const environment = {
    cpu: cpuName(),
    cores,
    node: process.version,
    openssl: process.versions.openssl,
    v8: process.versions.v8,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    taskset: hasTaskset,
    pinned,
    procCpuClock: processCpuUs(process.pid) > 0 ? ('schedstat' as const) : ('stat' as const),
  };
  console.log(
    `CPU: ${environment.cpu} (${environment.cores} cores); Node ${environment.node}; ` +
      `OpenSSL ${environment.openssl}; V8 ${environment.v8}; ${environment.kernel}`,
  );
  if (!hasTaskset) {
    console.warn(
      'WARNING: taskset (util-linux) is not available: processes are NOT pinned; CPU times per ' +
        'process are still separate, latencies will be noisier.',
    );
  } else if (environment.cores < 2) {
    console.warn('WARNING: fewer than 2 cores: server and client share one.');
  }
  const warnings: string[] = [];

  let nginxBin: string | undefined;
  let nginxFacts: NginxFacts | null = null;
  if (NGINX) {
    nginxBin = findNginx();
    if (!nginxBin) {
      const note = 'nginx not found: apt-get install nginx-light (nginx is skipped)';
      console.warn(`NOTE: ${note}`);
      warnings.push(note);
      nginxFacts = {
        binary: null,
        version: null,
        openssl: null,
        note,
        dualCertificateProbe: [],
        configUsed: 'not run',
      };
    }
  }
  // nginx's binary serves the dual-certificate probe and the whole-machine part even when
  // BENCH_SERVERS leaves it out of the tables.
  const modes = MODES.filter((m) => m !== 'nginx' || nginxBin);

  if (!OURS_FROM_SOURCE) {
    const t0 = performance.now();
    buildOurs(join(packageDir, '..'));
    console.log(`built dist of our packages in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const ocsp = await startTestOcsp();
  try {
    const { pki } = ocsp;
    const leaves = { ecdsa: pki.leaf('ecdsa'), rsa: pki.leaf('rsa') };
    const staples = await Promise.all(
      KEY_TYPES.map(async (k) => {
        const fetched = await fetchOcspResponse(
          leaves[k].certificatePem,
          pki.intermediate.certificatePem,
        );
        if (fetched.certStatus !== 'good') throw new Error(`${k} staple: ${fetched.certStatus}`);
        return Buffer.from(fetched.der).toString('base64');
      }),
    );
    const config: ServerConfig = {
      ecdsa: { key: leaves.ecdsa.privateKeyPem, cert: leaves.ecdsa.chainPem, staple: staples[0]! },
      rsa: { key: leaves.rsa.privateKeyPem, cert: leaves.rsa.chainPem, staple: staples[1]! },
    };
    const serials = {
      ecdsa: normalSerial(leaves.ecdsa.serialNumber),
      rsa: normalSerial(leaves.rsa.serialNumber),
    };

    // Keep this process (responder, bookkeeping) off the server's core; its children are
    // pinned (or unpinned) explicitly.
    if (pinned) spawnSync('taskset', ['-a', '-cp', String(CLIENT_CORE), String(process.pid)]);
    const client = new Child<ClientMessage>('client', {
      script: join(here, 'handshake-client.ts'),
      args: [],
      cpus: pinned ? String(CLIENT_CORE) : undefined,
      cwd: packageDir,
      env: { ...process.env, BENCH_CLIENT_LIFETIME_MS: String(CHILD_LIFETIME_MS) },
    });
    const hello = await client.next(60_000);
    if (hello.type !== 'ready') throw new Error('client did not start');

    if (nginxBin) {
      const { version, openssl } = nginxVersion(nginxBin);
      const probe = await probeNginxDualCertificates(nginxBin, config, client, serials);
      const rsaWrong = probe.some((p) => p.clientKey === 'rsa' && !p.stapleMatchesServed);
      nginxFacts = {
        binary: nginxBin,
        version,
        openssl,
        note: rsaWrong
          ? 'with two certificates and one ssl_stapling_file, nginx staples that one response ' +
            'for both certificates: clients served the other certificate get a staple for the ' +
            'wrong certificate'
          : null,
        dualCertificateProbe: probe,
        configUsed: "one certificate (the key type's) with its own ssl_stapling_file",
      };
      console.log(`nginx ${version} (${openssl}) at ${nginxBin}`);
      for (const p of probe) {
        console.log(
          `  two certificates + one ssl_stapling_file (ECDSA's): ${p.clientKey} client, ` +
            `${p.version}: served ${p.servedKey}, staple for ${p.stapleFor}` +
            `${p.stapleMatchesServed ? '' : '  <- WRONG STAPLE'}`,
        );
      }
    }

    const versions: TlsVersion[] = TLS12 ? ['TLSv1.3', 'TLSv1.2'] : ['TLSv1.3'];
    const cells: HandshakeCpuCell[] = [];
    const startContext: StartContext = {
      benchDir: here,
      packageDir,
      cpus: pinned ? String(SERVER_CORE) : undefined,
      config,
      lifetimeMs: CHILD_LIFETIME_MS,
    };
    const nginxDir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-nginx-')));
    if (WARMUP_HANDSHAKES > 0) {
      const loadDir = trackTempDir(mkdtempSync(join(os.tmpdir(), 'staple-bench-load-')));
      const built = buildLoadClient(here, loadDir);
      if ('error' in built) {
        warnings.push(`warm-up with the bench's own client only (${built.error})`);
      } else {
        loadClient = built.bin;
      }
    }
    try {
      for (const key of FIXED ? KEYS : []) {
        // Started side by side; whatever started is stopped, whatever failed.
        // nginx once (no JIT, no heap: its processes do not drift apart), Node servers
        // REPLICAS times each.
        const starting = await Promise.allSettled(
          modes.flatMap((mode) =>
            mode === 'nginx'
              ? [
                  startNginxServer(key, {
                    bin: nginxBin!,
                    dir: nginxDir,
                    cpus: startContext.cpus,
                    config,
                    workers: 1,
                    lifetimeMs: CHILD_LIFETIME_MS,
                  }),
                ]
              : Array.from({ length: REPLICAS }, (_, replica) =>
                  startNodeServer(mode, key, startContext, SERVER_NODE_FLAGS, replica),
                ),
          ),
        );
        const servers = starting.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        try {
          const failed = starting.find((s) => s.status === 'rejected');
          if (failed) throw (failed as PromiseRejectedResult).reason;
          console.log(
            `\n${key.toUpperCase()}: processes: ${[
              ...servers.map(
                (s) => `${s.mode}#${s.replica} pid ${s.pid} cpus ${cpusAllowed(s.pid)}`,
              ),
              `client pid ${client.pid} cpus ${cpusAllowed(client.pid)}`,
            ].join('; ')}`,
          );
          for (const version of versions) {
            cells.push(await runCell(key, version, servers, client, serials[key], warnings));
          }
        } finally {
          await Promise.all(servers.map((s) => s.stop()));
        }
      }
    } finally {
      removeTempDir(nginxDir);
    }

    let profiles: Profiles | null = null;
    if (PROFILE) {
      const usePerf = PERF && perfAvailable();
      if (PERF && !usePerf) {
        warnings.push('perf is not usable here: no native (OpenSSL) breakdown, --cpu-prof only');
      }
      const key = KEYS[0]!;
      const rate = cells.find((c) => c.key === key && c.version === 'TLSv1.3')?.rate ?? RATE;
      const done: ServerProfile[] = [];
      for (const mode of PROFILE_MODES) {
        if (!modes.includes(mode)) continue;
        if (mode === 'nginx' && !usePerf) continue;
        const p = await profileServer(
          mode,
          (nodeArgs, dir) =>
            mode === 'nginx'
              ? startNginxServer(key, {
                  bin: nginxBin!,
                  dir,
                  cpus: startContext.cpus,
                  config,
                  workers: 1,
                  lifetimeMs: CHILD_LIFETIME_MS,
                })
              : startNodeServer(mode, key, startContext, nodeArgs),
          client,
          rate,
          serials[key],
          usePerf,
        );
        done.push(p);
        printProfile(p);
      }
      const origins = byOrigin(done);
      printByOrigin(origins, done);
      profiles = {
        version: 'TLSv1.3',
        key,
        rate,
        servers: done.map(profileReport),
        byOrigin: origins,
      };
    }
    await client.stop();

    const cluster = CLUSTER
      ? await runCluster({
          benchDir: here,
          packageDir,
          config,
          key: KEYS[0]!,
          nginxBin,
          lifetimeMs: CHILD_LIFETIME_MS,
          warnings,
        })
      : null;

    for (const w of warnings) console.warn(`WARNING: ${w}`);
    const report: BenchServerReport = {
      schema: REPORT_SCHEMA,
      date: new Date().toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      environment,
      settings: {
        offeredRate: RATE,
        rounds: ROUNDS,
        maxRounds: MAX_ROUNDS,
        secondsPerRun: SECONDS,
        schedule: SCHEDULE,
        slice: SLICE,
        processesPerNodeServer: REPLICAS,
        warmupSeconds: warmupSeconds(),
        warmupHandshakes: loadClient ? WARMUP_HANDSHAKES : null,
        cleanRound: { serverCoreForeign: CLEAN_SERVER_CORE, clientCoreForeign: CLEAN_CLIENT_CORE },
        serverCore: pinned ? SERVER_CORE : null,
        clientCore: pinned ? CLIENT_CORE : null,
        versions,
        keys: KEYS,
        clientSigalgs: CLIENT_SIGALGS,
        handshake:
          'full (no session offered, resumption checked absent), status_request, SNI localhost; ' +
          'the client ends each connection right after its handshake and reads until close',
        oursLoadedAs: OURS_FROM_SOURCE
          ? 'sources through tsx (esbuild, keepNames)'
          : 'dist, as published (tsc -p tsconfig.build.json, built at the start of the run)',
        serverNodeFlags: SERVER_NODE_FLAGS,
      },
      servers: SERVERS.filter((s) => modes.includes(s.mode)),
      handshakeCpu: cells,
      profiles,
      cluster,
      nginx: nginxFacts,
      warnings,
    };
    const reports = join(repoRoot, '.reports');
    mkdirSync(reports, { recursive: true });
    const out = join(reports, 'bench-server.json');
    // NaN and Infinity (nothing measured) become null.
    writeFileSync(
      out,
      `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`,
    );
    console.log(
      `\nwrote ${out.slice(repoRoot.length)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await ocsp.close();
  }
}

/** The C load client (load-client.ts) when it could be built, for warm-ups; set by main. */
let loadClient: string | undefined;

/** What the shared warm-up at the offered rate lasts: shorter when the C client warmed first. */
const warmupSeconds = () => WARMUP_SECONDS_ASKED ?? (loadClient ? 10 : 60);

/**
 * `count` handshakes of `version` to one server process, closed loop from the C client on the
 * client's core, every one checked (stapled where it should be, never resumed).
 */
async function warmUp(
  bin: string,
  server: ServerUnderTest,
  version: TlsVersion,
  count: number,
): Promise<void> {
  const [r] = await runLoadClient(bin, {
    port: server.port,
    key: server.key,
    version,
    seconds: 120,
    max: count,
    clients: 1,
    concurrency: 2,
    expectStaple: server.staple,
    cpus: pinned ? String(CLIENT_CORE) : allCpus,
  });
  const what = `warm-up of ${server.mode}#${server.replica}`;
  if (!r || r.completed !== count || r.failed > 0) throw new Error(`${what}: ${JSON.stringify(r)}`);
  if (r.stapled !== (server.staple ? count : 0) || r.wrongStaple > 0 || r.reused > 0) {
    throw new Error(`${what}: stapled ${r.stapled}, wrong ${r.wrongStaple}, resumed ${r.reused}`);
  }
}

/**
 * One TLS version × key type: warm-up, calibration, rounds. Every run goes to all the servers
 * at once, their handshakes interleaved (measureTogether).
 */
async function runCell(
  key: KeyType,
  version: TlsVersion,
  servers: readonly ServerUnderTest[],
  client: ClientChild,
  expectedSerial: string,
  warnings: string[],
): Promise<HandshakeCpuCell> {
  const where = `${version} ${key}`;
  // Warm up every server (JIT, first-connection costs) and check what it serves.
  const first = version === 'TLSv1.3' || !TLS12;
  if (loadClient && WARMUP_HANDSHAKES > 0) {
    // Before a key's first cell (always TLS 1.3, the last of the turns), every TLS version of
    // the run in turns, in 4 parts: a server sees both kinds of hello from the start, as in
    // production, so the JIT has met both before anything is measured. Measured before: warmed with TLS 1.3 only, the TLS 1.2
    // cells that followed put every server with JS of its own (ours, and node:tls answering
    // OCSPRequest) 10-25% above node:tls, against 0.9-1.1x in the TLS 1.3 cells.
    const versions: TlsVersion[] = first && TLS12 ? ['TLSv1.2', 'TLSv1.3'] : [version];
    const parts = first ? 4 : 1;
    const count = first ? WARMUP_HANDSHAKES : WARMUP_AGAIN_HANDSHAKES;
    const each = Math.max(1, Math.round(count / parts));
    const t0 = performance.now();
    for (let part = 0; part < parts; part++) {
      const v = versions[part % versions.length]!;
      for (const s of servers) if (s.mode !== 'nginx') await warmUp(loadClient, s, v, each);
    }
    console.log(
      `${where}: ${count} handshakes (${versions.join(' and ')}) to each Node server process ` +
        `to warm it up (C client, ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  const warm = await measureTogether(
    servers,
    client,
    version,
    RATE,
    first ? warmupSeconds() : Math.min(5, warmupSeconds()),
    true,
    expectedSerial,
  );
  const capturedBy = new Map<ServerMode, Captured>(
    warm.filter((m) => m.replica === 0).map((m) => [m.mode, captured(m)]),
  );
  // The offered rate the client can keep up with.
  let rate = RATE;
  const calibration: HandshakeCpuCell['calibration'][number][] = [];
  for (let attempt = 0; ; attempt++) {
    const ms = await measureTogether(
      servers,
      client,
      version,
      rate,
      CALIBRATION_SECONDS,
      false,
      expectedSerial,
    );
    const c = ms[0]!.client;
    const achieved = c.achievedRate;
    const lagP90 = Math.max(...ms.map((m) => m.client.startLagMs.p90));
    const lagP99 = Math.max(...ms.map((m) => m.client.startLagMs.p99));
    calibration.push({
      rate,
      achievedRate: achieved,
      clientCpu: c.clientCpu,
      startLagP99Ms: lagP99,
    });
    // Keeping up: the rate achieved, the client's core not saturated, starts on time
    // (p90: one GC pause of the client must not halve the rate).
    const keepsUp = achieved >= 0.97 * rate && c.clientCpu < 0.85 && lagP90 < 20;
    console.log(
      `${where} calibration: offered ${rate}/s, achieved ${achieved.toFixed(0)}/s, ` +
        `client CPU ${(c.clientCpu * 100).toFixed(0)}%, start lag p90/p99 ` +
        `${lagP90.toFixed(1)}/${lagP99.toFixed(1)} ms${keepsUp ? '' : ' -> too much for the client'}`,
    );
    if (keepsUp) break;
    if (attempt >= 3 || rate <= 50) {
      warnings.push(`${where}: the client does not keep up even at ${rate}/s`);
      break;
    }
    rate = Math.max(50, Math.floor((rate * 0.8) / 10) * 10);
  }
  // Rounds until ROUNDS of them ran with no other load on the two cores (other processes on
  // this machine disturb both the server's CPU time and the latencies), at most MAX_ROUNDS:
  // then the least disturbed are used, with a warning.
  const rounds: { runs: Measurement[]; processes: Measurement[]; worst: number }[] = [];
  const modes = [...new Set(servers.map((s) => s.mode))];
  let clean = 0;
  while (clean < ROUNDS && rounds.length < MAX_ROUNDS) {
    const processes = (await measureRound(servers, client, version, rate, expectedSerial)).map(
      ({ before: _b, after: _a, ...m }) => m,
    );
    const round = modes.map((mode) => combine(processes.filter((m) => m.mode === mode)));
    for (const m of processes) {
      const at = `${where} round ${rounds.length + 1} ${m.mode}#${m.replica}`;
      if (m.client.achievedRate < 0.95 * m.client.offered) {
        warnings.push(
          `${at}: achieved ${m.client.achievedRate.toFixed(0)}/s of ${m.client.offered.toFixed(0)}/s`,
        );
      }
      if (m.client.afterErrors > 0 || m.serverSocketErrors > 0) {
        warnings.push(
          `${at}: ${m.client.afterErrors} client / ${m.serverSocketErrors} server errors after ` +
            'the handshake (at close)',
        );
      }
    }
    // Together: the servers share one run's wall time; alone: each had its own run.
    const serverCoreUse =
      SCHEDULE === 'alone'
        ? Math.max(...processes.map((m) => m.load.serverCoreUse))
        : processes.reduce((sum, m) => sum + m.load.serverCoreUse, 0);
    if (serverCoreUse > 0.9) {
      warnings.push(
        `${where} round ${rounds.length + 1}: the servers used ${(serverCoreUse * 100).toFixed(0)}% of their core (near saturation)`,
      );
    }
    const worstServer = Math.max(...processes.map((m) => m.load.serverCoreForeign));
    const worstClient = Math.max(...processes.map((m) => m.load.clientCoreForeign));
    // Unpinned, the per-core loads say nothing about our processes: every round counts.
    const isClean =
      !pinned || (worstServer <= CLEAN_SERVER_CORE && worstClient <= CLEAN_CLIENT_CORE);
    if (isClean) clean++;
    rounds.push({ runs: round, processes, worst: pinned ? Math.max(worstServer, worstClient) : 0 });
    const base = round.find((m) => m.mode === 'node-tls')!.cpuUsPerHandshake;
    console.log(
      `${where} round ${rounds.length}: ${pinned ? (isClean ? 'clean' : 'DISTURBED') : 'unpinned'} ` +
        `(other work on the server's core ${(worstServer * 100).toFixed(0)}%, on the ` +
        `client's ${(worstClient * 100).toFixed(0)}%); ${clean}/${ROUNDS} clean; vs node:tls` +
        round
          .filter((m) => m.mode !== 'node-tls')
          .map((m) => ` ${m.mode} ${(m.cpuUsPerHandshake / base).toFixed(3)}`)
          .join(''),
    );
  }
  const used = [...rounds].sort((a, b) => a.worst - b.worst).slice(0, ROUNDS);
  if (clean < ROUNDS) {
    warnings.push(
      `${where}: only ${clean} of ${rounds.length} rounds ran without other load on the cores; ` +
        `the ${used.length} least disturbed were used: expect noise`,
    );
  }
  // Keep the rounds in time order (pairing is within a round).
  const kept = rounds.filter((r) => used.includes(r));
  const runs = kept.flatMap((r) => r.runs);
  const processRuns: RoundMeasurement[] = kept.flatMap((r, round) =>
    r.processes.map((m) => ({ ...m, round })),
  );
  const rows = summarize(runs, processRuns, modes, capturedBy);
  const row = (mode: ServerMode) => rows.find((r) => r.mode === mode);
  const cell: HandshakeCpuCell = {
    version,
    key,
    rate,
    rounds: { used: used.length, run: rounds.length, clean },
    ratios: {
      oursVsNodeTls: row('ours-rsa-ecdsa')?.ratioVsNodeTls ?? null,
      oursVsNginx: row('ours-rsa-ecdsa')?.ratioVsNginx ?? null,
      nginxVsNodeTls: row('nginx')?.ratioVsNodeTls ?? null,
      oursSingleVsNodeTls: row('ours-single')?.ratioVsNodeTls ?? null,
      oursSingleDirectVsNodeTls: row('ours-single-direct')?.ratioVsNodeTls ?? null,
      oursSingleDeferVsNodeTls: row('ours-single-defer')?.ratioVsNodeTls ?? null,
      oursDeferVsNodeTls: row('ours-rsa-ecdsa-defer')?.ratioVsNodeTls ?? null,
      nodeTlsOcspVsNodeTls: row('node-tls-ocsp')?.ratioVsNodeTls ?? null,
      nodeTlsAa: aa(processRuns, 'node-tls', kept.length),
      oursAa: aa(processRuns, 'ours-rsa-ecdsa', kept.length),
    },
    rows,
    calibration,
    runs: processRuns.map((m) => ({
      round: m.round + 1,
      mode: m.mode,
      process: m.replica,
      cpuUsPerHandshake: m.cpuUsPerHandshake,
      procCpuUsPerHandshake: m.procCpuUsPerHandshake,
      systemUsPerHandshake: orNull(m.systemUsPerHandshake),
      mainThreadUsPerHandshake: orNull(m.mainThreadUsPerHandshake),
      gcUsPerHandshake: m.mode === 'nginx' ? null : orNull(m.gcUsPerHandshake),
      sleepsPerHandshake: orNull(m.sleepsPerHandshake),
      handshakes: m.handshakes,
      handshakeMs: m.client.handshakeMs,
      achievedRate: m.client.achievedRate,
      clientCpu: m.client.clientCpu,
      startLagMs: m.client.startLagMs,
      load: m.load,
    })),
  };
  printTable(cell);
  return cell;
}

const watchdog = setTimeout(() => {
  console.error(`BENCH FAILED: still running after ${WATCHDOG_MS / 1000} s`);
  killEverything();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();
installCleanup();

try {
  await main();
} catch (error) {
  console.error('BENCH FAILED:', error);
  process.exitCode = 1;
} finally {
  killEverything();
  clearTimeout(watchdog);
}
