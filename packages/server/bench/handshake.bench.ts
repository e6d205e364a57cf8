/**
 * Server CPU time per full TLS handshake, at a fixed offered rate (open loop), for:
 *   1. a plain node:tls server with one ECDSA P-256 certificate (the baseline),
 *   2. the same with Node's own OCSPRequest handler returning a fixed (real) staple,
 *   3. ours (createTlsServer) with that ECDSA certificate, stapling on, staple ready,
 *   4. ours with RSA + ECDSA, stapling on.
 * Each server runs alone in its own process pinned to core 0 (taskset), the load client in
 * another pinned to core 1, so that each process's CPU time is its own. Every handshake is
 * full (no session offered; resumption is checked to be absent) and sends status_request.
 * Interleaved rounds (1 2 3 4, 4 3 2 1, 1 2 3 4 …), medians; TLS 1.3, then TLS 1.2. Rounds during
 * which other processes loaded the cores (read from /proc/stat) are repeated, within a bound.
 * Then a short `--cpu-prof` (and `perf`, when usable) of servers 1 and 4 to say where the time
 * goes.
 *
 * Environment: BENCH_RATE (offered handshakes/s, default 400), BENCH_ROUNDS (clean rounds
 * wanted, 7), BENCH_SECONDS (per run, 1.5), BENCH_WARMUP_SECONDS (per server, 6), BENCH_TLS12=0
 * to skip TLS 1.2, BENCH_PROFILE=0 to skip the profiles, BENCH_PERF=0 to skip perf,
 * BENCH_OURS_LOADER=tsx to run our packages through tsx's esbuild transform instead of a
 * tsc-like one (ts-hooks.ts). Writes .reports/bench-server.json at the repository root. Fails
 * (exit 1) when any handshake fails, a server reports an error, a staple is missing or wrong,
 * or the counts do not add up.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
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
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fetchOcspResponse } from '@staple/ocsp-client';
import { decodeResponse } from '@staple/ocsp-codec';
import { startTestOcsp } from '@staple/testkit';
import { type CpuProfile, type ProfileSummary, summarizeProfile } from './cpu-profile.js';
import { type NativeSummary, perfAvailable, perfReport, startPerf } from './perf-profile.js';
import {
  type ClientMessage,
  median,
  type RunCommand,
  type RunResult,
  type ServerConfig,
  type ServerMessage,
  type ServerMode,
  type ServerReady,
  type ServerStats,
  type TlsVersion,
} from './protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const repoRoot = join(here, '../../../');

function envNumber(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${text}: give a number in [${min}, ${max}]`);
  }
  return value;
}

const RATE = envNumber('BENCH_RATE', 400, 10, 5_000);
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 7, 1, 50));
const SECONDS = envNumber('BENCH_SECONDS', 1.5, 0.5, 60);
const MAX_ROUNDS = ROUNDS + Math.ceil(ROUNDS / 3);
// A round is clean when no run in it saw more other work than this (share of wall time).
const CLEAN_SERVER_CORE = 0.05;
const CLEAN_CLIENT_CORE = 0.1;
const TLS12 = process.env['BENCH_TLS12'] !== '0';
const PROFILE = process.env['BENCH_PROFILE'] !== '0';
const PERF = process.env['BENCH_PERF'] !== '0';
// Our servers' JIT takes a few thousand handshakes to settle (measured: the first rounds after
// a 3 s warm-up still ran 20-40% above the later ones).
const WARMUP_SECONDS = envNumber('BENCH_WARMUP_SECONDS', 6, 0.5, 120);
const WARMUP_AGAIN_SECONDS = 2;
const PROFILE_WARMUP_SECONDS = 5;
const CALIBRATION_SECONDS = 2;
const PROFILE_SECONDS = 3;
const SETTLE_MS = 100;
const SERVER_CORE = 0;
const CLIENT_CORE = 1;
// Everything stops by itself: the whole bench, and each child (see their lifetimes).
const WATCHDOG_MS = 10 * 60_000;

const SERVERS: readonly { mode: ServerMode; label: string; staple: boolean }[] = [
  { mode: 'node-tls', label: '1 node:tls ECDSA (baseline)', staple: false },
  { mode: 'node-tls-ocsp', label: '2 node:tls ECDSA + OCSPRequest', staple: true },
  { mode: 'ours-ecdsa', label: '3 ours ECDSA, stapling', staple: true },
  { mode: 'ours-rsa-ecdsa', label: '4 ours RSA+ECDSA, stapling', staple: true },
];
const modeIndex = (mode: ServerMode) => SERVERS.findIndex((s) => s.mode === mode);

// ---------------------------------------------------------------------------------------------
// Child processes speaking JSON lines.

const children = new Set<ChildProcess>();

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
// Pinning needs the two cores; without, each process's CPU time is still its own.
const pinned = hasTaskset && os.cpus().length >= 2;
const clockTicks = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();
process.env['BENCH_CLK_TCK'] = String(clockTicks);

class Child<M extends { type: string }> {
  readonly #name: string;
  readonly #process: ChildProcess;
  readonly #queue: M[] = [];
  readonly #waiting: { resolve: (m: M) => void; reject: (e: Error) => void }[] = [];
  #gone: Error | undefined;
  readonly exited: Promise<number | null>;

  constructor(name: string, script: string, args: string[], core: number, nodeArgs: string[]) {
    this.#name = name;
    const node = [
      process.execPath,
      '--conditions=source',
      '--import',
      'tsx',
      ...nodeArgs,
      join(here, script),
      ...args,
    ];
    const [command, ...rest] = pinned ? ['taskset', '-c', String(core), ...node] : node;
    this.#process = spawn(command!, rest, {
      cwd: packageDir,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: process.env,
    });
    children.add(this.#process);
    const lines = createInterface({ input: this.#process.stdout! });
    lines.on('line', (line) => {
      let message: M;
      try {
        message = JSON.parse(line) as M;
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
        return;
      }
      if (message.type === 'error') {
        this.#fail(new Error(`${name}: ${(message as { message?: string }).message}`));
        return;
      }
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(message);
      else this.#queue.push(message);
    });
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code, signal) => {
        children.delete(this.#process);
        this.#fail(new Error(`${name} exited (code ${code}, signal ${signal})`));
        resolve(code);
      });
    });
    this.#process.once('error', (error) => this.#fail(error));
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#gone);
  }

  /** The next message, within timeoutMs. */
  next(timeoutMs: number): Promise<M> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise<M>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new Error(`${this.#name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (m: M) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiting.push(waiter);
    });
  }

  async request(line: string, timeoutMs: number): Promise<M> {
    if (this.#gone) throw this.#gone;
    this.#process.stdin!.write(`${line}\n`);
    return this.next(timeoutMs);
  }

  /** Asks it to exit; kills it (by its pid) if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    this.#gone ??= new Error(`${this.#name} was stopped`);
    this.#process.stdin!.end('exit\n');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

type ServerChild = Child<ServerMessage>;
type ClientChild = Child<ClientMessage>;

/** The CPU model, with family/model/stepping when /proc/cpuinfo has them (VMs often trim it). */
function cpuName(): string {
  const model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1];
    const family = field('cpu family');
    return family
      ? `${model} (family ${family} model ${field('model')} stepping ${field('stepping')})`
      : model;
  } catch {
    return model;
  }
}

/** utime + stime of a process from /proc, µs (clock-tick resolution), or NaN. */
function procCpuUs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

/** Busy and steal time of each core from /proc/stat, µs (clock-tick resolution). */
function coreTimes(): { busy: number; steal: number }[] {
  try {
    const cores: { busy: number; steal: number }[] = [];
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!match) continue;
      // user nice system idle iowait irq softirq steal …
      const [user, nice, system, , , irq, softirq, steal] = match[2]!.split(/\s+/).map(Number);
      const tick = 1e6 / clockTicks;
      cores[Number(match[1])] = {
        busy: (user! + nice! + system! + irq! + softirq!) * tick,
        steal: steal! * tick,
      };
    }
    return cores;
  } catch {
    return [];
  }
}

function cpusAllowed(pid: number): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

async function startServer(
  mode: ServerMode,
  config: ServerConfig,
  nodeArgs: string[] = [],
): Promise<{ child: ServerChild; ready: ServerReady }> {
  process.env['BENCH_SERVER_CONFIG'] = JSON.stringify(config);
  const child = new Child<ServerMessage>(
    `server ${mode}`,
    'handshake-server.ts',
    [mode],
    SERVER_CORE,
    nodeArgs,
  );
  const ready = await child.next(60_000);
  if (ready.type !== 'ready') throw new Error(`server ${mode}: expected ready, got ${ready.type}`);
  const wantLoader = process.env['BENCH_OURS_LOADER'] === 'tsx' ? 'tsx' : 'tsc';
  if (mode.startsWith('ours') && ready.loader !== wantLoader) {
    throw new Error(`server ${mode}: our code was loaded by ${ready.loader}, not ${wantLoader}`);
  }
  if (ready.pid !== child.pid) {
    throw new Error(`server ${mode}: pid ${ready.pid} is not the spawned ${child.pid}`);
  }
  return { child, ready };
}

async function stats(server: ServerChild): Promise<ServerStats> {
  const message = await server.request('stats', 10_000);
  if (message.type !== 'stats') throw new Error(`expected stats, got ${message.type}`);
  return message;
}

// ---------------------------------------------------------------------------------------------
// One measured run.

interface Measurement {
  readonly mode: ServerMode;
  readonly version: TlsVersion;
  readonly rate: number;
  readonly handshakes: number;
  readonly serverCpuUs: number;
  readonly cpuUsPerHandshake: number;
  /** The same from /proc/<pid>/stat (clock-tick resolution), as a cross-check. */
  readonly procCpuUsPerHandshake: number;
  readonly serverSocketErrors: number;
  /** Times the server's main thread went to sleep (voluntary context switches) per handshake. */
  readonly sleepsPerHandshake: number;
  /** Garbage collection (wall time of the GC pauses) per handshake, µs. */
  readonly gcUsPerHandshake: number;
  /**
   * Shares of the run's wall time: the server's core busy, the part of that not counted as the
   * server's CPU (other processes, interrupts), the same on the client's core (less the client
   * and this process), and the hypervisor's steal on the server's core.
   */
  readonly load: {
    readonly serverCoreBusy: number;
    readonly serverCoreForeign: number;
    readonly clientCoreForeign: number;
    readonly steal: number;
  };
  readonly client: RunResult;
}

const normalSerial = (s: string) => s.toUpperCase().replace(/^0+/, '');

async function measure(
  server: { child: ServerChild; mode: ServerMode; staple: boolean },
  client: ClientChild,
  version: TlsVersion,
  rate: number,
  seconds: number,
  capture: boolean,
  expectedSerial: string,
): Promise<Measurement & { before: ServerStats; after: ServerStats }> {
  const before = await stats(server.child);
  const procBefore = procCpuUs(server.child.pid);
  const coresBefore = coreTimes();
  const selfBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const command: RunCommand = {
    type: 'run',
    port: portOf.get(server.child)!,
    rate,
    seconds,
    version,
    expectStaple: server.staple,
    capture,
  };
  const answer = await client.request(JSON.stringify(command), (seconds + 30) * 1000);
  if (answer.type !== 'result') throw new Error(`client: expected result, got ${answer.type}`);
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const after = await stats(server.child);
  const procAfter = procCpuUs(server.child.pid);
  const coresAfter = coreTimes();
  const selfCpu = process.cpuUsage(selfBefore);
  const wallUs = (performance.now() - wallBefore) * 1000;

  const what = `${server.mode} ${version} at ${rate}/s`;
  const total = Math.round(rate * seconds);
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
    throw new Error(`${what}: ${clientErrors} tlsClientError on the server: ${after.lastError}`);
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
        throw new Error(`${what}: served certificate ${serial}, expected ECDSA ${expectedSerial}`);
      }
    }
    if (server.staple) {
      const decoded = decodeResponse(new Uint8Array(Buffer.from(answer.staple ?? '', 'base64')));
      const stapleSerial =
        decoded.responseStatus === 'successful'
          ? decoded.basic.responses[0]?.certId.serialNumber
          : undefined;
      if (!stapleSerial || normalSerial(stapleSerial) !== expectedSerial) {
        throw new Error(`${what}: the staple is for ${stapleSerial}, expected ${expectedSerial}`);
      }
    }
  }
  const serverCpuUs = after.user + after.system - (before.user + before.system);
  const core = (i: number, k: 'busy' | 'steal') =>
    (coresAfter[i]?.[k] ?? Number.NaN) - (coresBefore[i]?.[k] ?? Number.NaN);
  const clientUs = answer.clientCpu * answer.elapsedMs * 1000;
  return {
    mode: server.mode,
    version,
    rate,
    handshakes,
    serverCpuUs,
    cpuUsPerHandshake: serverCpuUs / handshakes,
    procCpuUsPerHandshake: (procAfter - procBefore) / handshakes,
    serverSocketErrors: after.socketErrors - before.socketErrors,
    sleepsPerHandshake: (after.mainThreadSleeps - before.mainThreadSleeps) / handshakes,
    gcUsPerHandshake: ((after.gcMs - before.gcMs) * 1000) / handshakes,
    load: {
      serverCoreBusy: core(SERVER_CORE, 'busy') / wallUs,
      serverCoreForeign: Math.max(0, core(SERVER_CORE, 'busy') - serverCpuUs) / wallUs,
      clientCoreForeign:
        Math.max(0, core(CLIENT_CORE, 'busy') - clientUs - selfCpu.user - selfCpu.system) / wallUs,
      steal: core(SERVER_CORE, 'steal') / wallUs,
    },
    client: answer,
    before,
    after,
  };
}

const portOf = new WeakMap<ServerChild, number>();

// ---------------------------------------------------------------------------------------------

interface Row {
  readonly mode: ServerMode;
  readonly label: string;
  readonly cpuUsPerHandshake: number;
  readonly procCpuUsPerHandshake: number;
  /** Median over rounds of this round's value / the baseline's in the same round. */
  readonly ratio: number;
  readonly ratioOfMedians: number;
  /** Like `ratio`, against server 2 (node:tls with its own OCSPRequest stapling). */
  readonly ratioVsNodeOcsp: number;
  readonly handshakeP50Ms: number;
  readonly handshakeP99Ms: number;
  /** Median over rounds of (this − baseline) in the same round, µs. */
  readonly addedP50Us: number;
  readonly addedP99Us: number;
  readonly achievedRate: number;
  readonly clientCpu: number;
  readonly startLagP99Ms: number;
  /** Median share of core 0's wall time busy with something else than the server / stolen. */
  readonly serverCoreForeign: number;
  readonly clientCoreForeign: number;
  readonly serverCoreSteal: number;
  readonly handshakesPerRun: number;
  readonly sleepsPerHandshake: number;
  readonly gcUsPerHandshake: number;
  readonly perRoundCpuUs: readonly number[];
}

function summarize(runs: readonly Measurement[]): Row[] {
  const base = runs.filter((r) => r.mode === 'node-tls');
  const nodeOcsp = runs.filter((r) => r.mode === 'node-tls-ocsp');
  return SERVERS.map(({ mode, label }) => {
    const mine = runs.filter((r) => r.mode === mode);
    const paired = (
      f: (m: Measurement) => number,
      g: (a: number, b: number) => number,
      against = base,
    ) => median(mine.map((m, i) => g(f(m), f(against[i]!))));
    const cpu = median(mine.map((m) => m.cpuUsPerHandshake));
    return {
      mode,
      label,
      cpuUsPerHandshake: cpu,
      procCpuUsPerHandshake: median(mine.map((m) => m.procCpuUsPerHandshake)),
      ratio: paired(
        (m) => m.cpuUsPerHandshake,
        (a, b) => a / b,
      ),
      ratioOfMedians: cpu / median(base.map((m) => m.cpuUsPerHandshake)),
      ratioVsNodeOcsp: paired(
        (m) => m.cpuUsPerHandshake,
        (a, b) => a / b,
        nodeOcsp,
      ),
      handshakeP50Ms: median(mine.map((m) => m.client.handshakeMs.p50)),
      handshakeP99Ms: median(mine.map((m) => m.client.handshakeMs.p99)),
      addedP50Us: paired(
        (m) => m.client.handshakeMs.p50,
        (a, b) => (a - b) * 1000,
      ),
      addedP99Us: paired(
        (m) => m.client.handshakeMs.p99,
        (a, b) => (a - b) * 1000,
      ),
      achievedRate: median(mine.map((m) => m.client.achievedRate)),
      clientCpu: median(mine.map((m) => m.client.clientCpu)),
      startLagP99Ms: median(mine.map((m) => m.client.startLagMs.p99)),
      serverCoreForeign: median(mine.map((m) => m.load.serverCoreForeign)),
      clientCoreForeign: median(mine.map((m) => m.load.clientCoreForeign)),
      serverCoreSteal: median(mine.map((m) => m.load.steal)),
      handshakesPerRun: median(mine.map((m) => m.handshakes)),
      sleepsPerHandshake: median(mine.map((m) => m.sleepsPerHandshake)),
      gcUsPerHandshake: median(mine.map((m) => m.gcUsPerHandshake)),
      perRoundCpuUs: mine.map((m) => Math.round(m.cpuUsPerHandshake)),
    };
  });
}

function printTable(
  version: TlsVersion,
  rate: number,
  rows: readonly Row[],
  rounds: { used: number; run: number },
): void {
  const f = (n: number, digits = 0) => n.toFixed(digits);
  const signed = (n: number) => (n >= 0 ? '+' : '') + n.toFixed(0);
  const base = rows[0]!;
  const foreign = median(rows.map((r) => r.serverCoreForeign));
  const foreignClient = median(rows.map((r) => r.clientCoreForeign));
  const steal = median(rows.map((r) => r.serverCoreSteal));
  console.log(
    `\n${version}: offered ${rate}/s, achieved ${f(base.achievedRate)}/s on the baseline ` +
      `(client CPU ${f(base.clientCpu * 100)}% of a core), ${rounds.used} interleaved rounds ` +
      `(of ${rounds.run} run) × ` +
      `${SECONDS} s, medians; other work on the server's core ${f(foreign * 100, 1)}%, on the ` +
      `client's ${f(foreignClient * 100, 1)}%, steal ${f(steal * 100, 1)}%. Ratios: median over rounds of server / reference in the same ` +
      `round. Latency: TCP connect → secureConnect at the client.\n`,
  );
  console.log(
    '| server | CPU µs/handshake | (/proc) | vs 1 | vs 2 | p50 ms | p99 ms | +p50 µs vs 1 | +p99 µs vs 1 | achieved/s | sleeps/hs | GC µs/hs | per round µs |',
  );
  console.log('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const row of rows) {
    const isBase = row.mode === 'node-tls';
    const ours = row.mode.startsWith('ours');
    console.log(
      `| ${row.label} | ${f(row.cpuUsPerHandshake)} | ${f(row.procCpuUsPerHandshake)} | ` +
        `${isBase ? '1' : row.ratio.toFixed(3)}x | ${ours ? `${row.ratioVsNodeOcsp.toFixed(3)}x` : ''} | ` +
        `${row.handshakeP50Ms.toFixed(3)} | ${row.handshakeP99Ms.toFixed(3)} | ` +
        `${isBase ? '' : signed(row.addedP50Us)} | ${isBase ? '' : signed(row.addedP99Us)} | ` +
        `${f(row.achievedRate)} | ${row.sleepsPerHandshake.toFixed(2)} | ${row.gcUsPerHandshake.toFixed(0)} | ${row.perRoundCpuUs.join(' ')} |`,
    );
  }
  const by = (mode: ServerMode) => rows.find((r) => r.mode === mode)!;
  console.log(
    `\nratios (${version}): 3/1 = ${by('ours-ecdsa').ratio.toFixed(3)}x (goal ≤ 1.05), ` +
      `4/1 = ${by('ours-rsa-ecdsa').ratio.toFixed(3)}x (goal ≤ 1.10), ` +
      `2/1 = ${by('node-tls-ocsp').ratio.toFixed(3)}x; against Node's own stapling: ` +
      `3/2 = ${by('ours-ecdsa').ratioVsNodeOcsp.toFixed(3)}x, ` +
      `4/2 = ${by('ours-rsa-ecdsa').ratioVsNodeOcsp.toFixed(3)}x`,
  );
}

// ---------------------------------------------------------------------------------------------
interface ServerProfile {
  readonly mode: ServerMode;
  readonly handshakes: number;
  /** Server CPU per handshake in the profiled run (profilers running). */
  readonly cpuUsPerHandshake: number;
  /** Main-thread CPU in the window (from /proc, coarse), µs per handshake. */
  readonly mainThreadUsPerHandshake: number;
  /** V8's view (main thread): JS and what JS calls; OpenSSL in the poll phase counts as idle. */
  readonly v8: ProfileSummary;
  /** perf's view (all threads, by CPU time), when perf is usable. */
  readonly native?: NativeSummary;
  readonly cpuProfileFile: string;
  readonly load: Measurement['load'];
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function profileServer(
  mode: ServerMode,
  staple: boolean,
  config: ServerConfig,
  client: ClientChild,
  rate: number,
  expectedSerial: string,
  usePerf: boolean,
): Promise<ServerProfile> {
  const dir = mkdtempSync(join(os.tmpdir(), 'staple-bench-prof-'));
  let mapFile: string | undefined;
  try {
    const { child, ready } = await startServer(mode, config, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      ...(usePerf ? ['--perf-basic-prof-only-functions'] : []),
    ]);
    if (usePerf) mapFile = `/tmp/perf-${child.pid}.map`;
    portOf.set(child, ready.port);
    const server = { child, mode, staple };
    await measure(server, client, 'TLSv1.3', rate, PROFILE_WARMUP_SECONDS, false, expectedSerial);
    // Up to 3 attempts, for one without other load on the cores; else the least disturbed.
    let best:
      | { m: Measurement & { before: ServerStats; after: ServerStats }; perfFile: string }
      | undefined;
    for (let attempt = 0; ; attempt++) {
      const perfFile = join(dir, `perf-${attempt}.data`);
      let perf: ChildProcess | undefined;
      if (usePerf) {
        perf = startPerf(child.pid, perfFile);
        children.add(perf);
        perf.once('exit', () => children.delete(perf!));
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
    await child.stop();
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: the main thread is thread 0 (tsx's
    // loader-hooks thread writes its own).
    const files = readdirSync(dir).filter((f) => f.endsWith(`.${child.pid}.0.001.cpuprofile`));
    if (files.length !== 1) {
      throw new Error(
        `profile of ${mode}: no main-thread profile in ${readdirSync(dir).join(', ')}`,
      );
    }
    const path = join(dir, files[0]!);
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
    const v8 = summarizeProfile(profile, repoRoot, [m.before.monoUs, m.after.monoUs]);
    const native = usePerf ? perfReport(perfFile) : undefined;
    const reports = join(repoRoot, '.reports');
    mkdirSync(reports, { recursive: true });
    const kept = join(reports, `bench-server-${mode}.cpuprofile`);
    copyFileSync(path, kept);
    return {
      mode,
      handshakes: m.handshakes,
      cpuUsPerHandshake: m.cpuUsPerHandshake,
      mainThreadUsPerHandshake: (m.after.mainThreadUs - m.before.mainThreadUs) / m.handshakes,
      v8,
      ...(native ? { native } : {}),
      cpuProfileFile: kept.slice(repoRoot.length),
      load: m.load,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (mapFile) rmSync(mapFile, { force: true });
  }
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);

function printProfile(p: ServerProfile): void {
  const s = p.v8;
  console.log(
    `\n--cpu-prof of ${p.mode} (main thread, ` +
      `${s.windowed ? 'load window only' : 'WHOLE profile: window not found'}; ` +
      `${p.cpuUsPerHandshake.toFixed(0)} µs CPU/handshake under the profilers, ` +
      `other work on its core ${(p.load.serverCoreForeign * 100).toFixed(0)}%, ` +
      `${p.mainThreadUsPerHandshake.toFixed(0)} on the main thread). V8 saw ` +
      `${((s.busyMs * 1000) / p.handshakes).toFixed(0)} µs/handshake busy in JS, GC and native ` +
      `calls from JS; the rest of the main thread's CPU is native work in ` +
      `libuv's poll phase (OpenSSL reading/handshaking), which V8 counts as idle.`,
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
  if (p.native) {
    console.log(`  perf (all threads, CPU time) top symbols, share and µs per handshake:`);
    for (const r of p.native.top.slice(0, 15)) {
      const us = (r.share * p.cpuUsPerHandshake).toFixed(0).padStart(4);
      console.log(`    ${pct(r.share)} ${us} µs  ${r.symbol.slice(0, 110)}  [${r.origin}]`);
    }
  }
}

function printNativeComparison(base: ServerProfile, ours: ServerProfile): void {
  if (!base.native || !ours.native) return;
  const origins = new Set([
    ...base.native.origins.map((o) => o.origin),
    ...ours.native.origins.map((o) => o.origin),
  ]);
  const us = (p: ServerProfile, origin: string) =>
    (p.native!.origins.find((o) => o.origin === origin)?.share ?? 0) * p.cpuUsPerHandshake;
  const rows = [...origins]
    .map((origin) => ({ origin, a: us(base, origin), b: us(ours, origin) }))
    .sort((x, y) => y.b - y.a - (x.b - x.a));
  console.log(
    `\nWhere the time goes (perf, all threads, µs CPU per handshake, under the profilers): ` +
      `${base.mode} vs ${ours.mode}`,
  );
  console.log(`| origin | ${base.mode} | ${ours.mode} | difference |`);
  console.log('|---|--:|--:|--:|');
  for (const r of rows) {
    const d = r.b - r.a;
    console.log(
      `| ${r.origin} | ${r.a.toFixed(0)} | ${r.b.toFixed(0)} | ${d >= 0 ? '+' : ''}${d.toFixed(0)} |`,
    );
  }
  console.log(
    `| total | ${base.cpuUsPerHandshake.toFixed(0)} | ${ours.cpuUsPerHandshake.toFixed(0)} | ` +
      `+${(ours.cpuUsPerHandshake - base.cpuUsPerHandshake).toFixed(0)} |`,
  );
  const symbolUs = (p: ServerProfile) =>
    new Map(p.native!.all.map((r) => [`${r.symbol}|${r.origin}`, r.share * p.cpuUsPerHandshake]));
  const a = symbolUs(base);
  const b = symbolUs(ours);
  const grown = [...new Set([...a.keys(), ...b.keys()])]
    .map((key) => ({ key, d: (b.get(key) ?? 0) - (a.get(key) ?? 0) }))
    .sort((x, y) => y.d - x.d)
    .slice(0, 12);
  console.log(`  symbols that grew most (µs per handshake, ${ours.mode} − ${base.mode}):`);
  for (const { key, d } of grown) {
    const [symbol, origin] = key.split('|');
    console.log(`    +${d.toFixed(1).padStart(5)}  ${symbol!.slice(0, 100)}  [${origin}]`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const environment = {
    cpu: cpuName(),
    cores: os.cpus().length,
    node: process.version,
    openssl: process.versions.openssl,
    v8: process.versions.v8,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    taskset: hasTaskset,
    pinned,
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
  } else {
    // Keep this process (responder, bookkeeping) off the server's core.
    spawnSync('taskset', ['-a', '-cp', String(CLIENT_CORE), String(process.pid)]);
  }

  const ocsp = await startTestOcsp();
  try {
    const { pki } = ocsp;
    const ecdsa = pki.leaf('ecdsa');
    const rsa = pki.leaf('rsa');
    const fetched = await fetchOcspResponse(ecdsa.certificatePem, pki.intermediate.certificatePem);
    if (fetched.certStatus !== 'good') throw new Error(`staple status ${fetched.certStatus}`);
    const config: ServerConfig = {
      ecdsa: { key: ecdsa.privateKeyPem, cert: ecdsa.chainPem },
      rsa: { key: rsa.privateKeyPem, cert: rsa.chainPem },
      ecdsaStaple: Buffer.from(fetched.der).toString('base64'),
    };
    const expectedSerial = normalSerial(ecdsa.serialNumber);

    const servers = await Promise.all(
      SERVERS.map(async (s) => {
        const { child, ready } = await startServer(s.mode, config);
        portOf.set(child, ready.port);
        return { ...s, child, ready };
      }),
    );
    const client = new Child<ClientMessage>('client', 'handshake-client.ts', [], CLIENT_CORE, []);
    const hello = await client.next(60_000);
    if (hello.type !== 'ready') throw new Error('client did not start');
    const pinning = [
      ...servers.map((s) => `${s.mode} pid ${s.child.pid} cpus ${cpusAllowed(s.child.pid)}`),
      `client pid ${client.pid} cpus ${cpusAllowed(client.pid)}`,
    ];
    console.log(`processes: ${pinning.join('; ')}`);

    const versions: TlsVersion[] = TLS12 ? ['TLSv1.3', 'TLSv1.2'] : ['TLSv1.3'];
    const results: Record<
      string,
      {
        rate: number;
        rounds: { used: number; run: number; clean: number };
        rows: Row[];
        runs: Measurement[];
        calibration: unknown[];
      }
    > = {};
    const warnings: string[] = [];
    for (const version of versions) {
      // Warm up every server (JIT, first-connection costs) and check what it serves.
      for (const s of servers) {
        const seconds = version === versions[0] ? WARMUP_SECONDS : WARMUP_AGAIN_SECONDS;
        await measure(s, client, version, RATE, seconds, true, expectedSerial);
      }
      // The offered rate the client can keep up with, the same for every server of this run.
      let rate = RATE;
      const calibration: unknown[] = [];
      for (let attempt = 0; ; attempt++) {
        const m = await measure(
          servers[0]!,
          client,
          version,
          rate,
          CALIBRATION_SECONDS,
          false,
          expectedSerial,
        );
        const c = m.client;
        calibration.push({
          rate,
          achievedRate: c.achievedRate,
          clientCpu: c.clientCpu,
          startLagP99Ms: c.startLagMs.p99,
        });
        // Keeping up: the rate achieved, the client's core not saturated, starts on time
        // (p90: one GC pause of the client must not halve the rate).
        const keepsUp =
          c.achievedRate >= 0.97 * rate && c.clientCpu < 0.85 && c.startLagMs.p90 < 20;
        console.log(
          `${version} calibration: offered ${rate}/s, achieved ${c.achievedRate.toFixed(0)}/s, ` +
            `client CPU ${(c.clientCpu * 100).toFixed(0)}%, start lag p90/p99 ` +
            `${c.startLagMs.p90.toFixed(1)}/${c.startLagMs.p99.toFixed(1)} ms${keepsUp ? '' : ' -> too much for the client'}`,
        );
        if (keepsUp) break;
        if (attempt >= 3 || rate <= 50) {
          warnings.push(`${version}: the client does not keep up even at ${rate}/s`);
          break;
        }
        rate = Math.max(50, Math.floor((rate * 0.8) / 10) * 10);
      }
      // Rounds until ROUNDS of them ran with no other load on the two cores (other processes
      // on this machine disturb both the server's CPU time and the latencies), at most
      // MAX_ROUNDS: then the least disturbed are used, with a warning.
      const rounds: { runs: Measurement[]; worst: number }[] = [];
      let clean = 0;
      while (clean < ROUNDS && rounds.length < MAX_ROUNDS) {
        const round: Measurement[] = [];
        // 1 2 3 4, then 4 3 2 1: a drift during the rounds does not favour a position.
        const order = rounds.length % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) {
          const m = await measure(s, client, version, rate, SECONDS, false, expectedSerial);
          round.push(m);
          const where = `${version} round ${rounds.length + 1} ${s.mode}`;
          if (m.client.achievedRate < 0.95 * rate) {
            warnings.push(`${where}: achieved ${m.client.achievedRate.toFixed(0)}/s of ${rate}/s`);
          }
          if (m.client.afterErrors > 0 || m.serverSocketErrors > 0) {
            warnings.push(
              `${where}: ${m.client.afterErrors} client / ${m.serverSocketErrors} server ` +
                `errors after the handshake (at close)`,
            );
          }
        }
        const worstServer = Math.max(...round.map((m) => m.load.serverCoreForeign));
        const worstClient = Math.max(...round.map((m) => m.load.clientCoreForeign));
        // Unpinned, the per-core loads say nothing about our processes: every round counts.
        const isClean =
          !pinned || (worstServer <= CLEAN_SERVER_CORE && worstClient <= CLEAN_CLIENT_CORE);
        if (isClean) clean++;
        // Stored in server order: summarize() pairs the i-th run of each server.
        round.sort((a, b) => modeIndex(a.mode) - modeIndex(b.mode));
        rounds.push({ runs: round, worst: pinned ? Math.max(worstServer, worstClient) : 0 });
        console.log(
          `${version} round ${rounds.length}: ${pinned ? (isClean ? 'clean' : 'DISTURBED') : 'unpinned'} (other work on ` +
            `the server's core up to ${(worstServer * 100).toFixed(0)}%, on the client's ` +
            `${(worstClient * 100).toFixed(0)}%); ${clean}/${ROUNDS} clean`,
        );
      }
      const used = [...rounds].sort((a, b) => a.worst - b.worst).slice(0, ROUNDS);
      if (clean < ROUNDS) {
        warnings.push(
          `${version}: only ${clean} of ${rounds.length} rounds ran without other load on the ` +
            `cores; the ${used.length} least disturbed were used: expect noise`,
        );
      }
      // Keep the rounds in time order (pairing is within a round).
      const runs = rounds.filter((r) => used.includes(r)).flatMap((r) => r.runs);
      const rows = summarize(runs);
      results[version] = {
        rate,
        rounds: { used: used.length, run: rounds.length, clean },
        rows,
        calibration,
        runs: runs.map(({ client: c, ...rest }) => ({
          ...rest,
          client: { ...c, serials: undefined, staple: undefined },
        })) as Measurement[],
      };
      printTable(version, rate, rows, { used: used.length, run: rounds.length });
    }

    const profiles: Record<string, ServerProfile> = {};
    if (PROFILE) {
      const usePerf = PERF && perfAvailable();
      if (PERF && !usePerf) {
        warnings.push('perf is not usable here: no native (OpenSSL) breakdown, --cpu-prof only');
      }
      const rate = results['TLSv1.3']!.rate;
      for (const s of [SERVERS[0]!, SERVERS[3]!]) {
        const p = await profileServer(
          s.mode,
          s.staple,
          config,
          client,
          rate,
          expectedSerial,
          usePerf,
        );
        profiles[s.mode] = p;
        printProfile(p);
      }
      printNativeComparison(profiles['node-tls']!, profiles['ours-rsa-ecdsa']!);
    }

    await Promise.all([...servers.map((s) => s.child.stop()), client.stop()]);

    for (const w of warnings) console.warn(`WARNING: ${w}`);
    const reports = join(repoRoot, '.reports');
    mkdirSync(reports, { recursive: true });
    const out = join(reports, 'bench-server.json');
    writeFileSync(
      out,
      JSON.stringify(
        {
          date: new Date().toISOString(),
          environment,
          settings: {
            offeredRate: RATE,
            rounds: ROUNDS,
            secondsPerRun: SECONDS,
            warmupSeconds: WARMUP_SECONDS,
            maxRounds: MAX_ROUNDS,
            cleanRound: {
              serverCoreForeign: CLEAN_SERVER_CORE,
              clientCoreForeign: CLEAN_CLIENT_CORE,
            },
            serverCore: pinned ? SERVER_CORE : null,
            clientCore: pinned ? CLIENT_CORE : null,
            handshake: 'full (no session offered), status_request, SNI localhost, ECDSA served',
            oursLoadedAs:
              process.env['BENCH_OURS_LOADER'] === 'tsx'
                ? 'tsx (esbuild, keepNames)'
                : 'tsc-like (TypeScript transpileModule)',
          },
          servers: SERVERS,
          results,
          profiles: Object.fromEntries(
            Object.entries(profiles).map(([mode, p]) => [
              mode,
              { ...p, native: p.native && { origins: p.native.origins, top: p.native.top } },
            ]),
          ),
          warnings,
          durationSeconds: (Date.now() - started) / 1000,
        },
        null,
        2,
      ),
    );
    console.log(
      `\nwrote ${out.slice(repoRoot.length)} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await ocsp.close();
  }
}

const watchdog = setTimeout(() => {
  console.error(`BENCH FAILED: still running after ${WATCHDOG_MS / 1000} s`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

try {
  await main();
} catch (error) {
  console.error('BENCH FAILED:', error);
  process.exitCode = 1;
} finally {
  for (const child of children) child.kill('SIGKILL');
  clearTimeout(watchdog);
}
