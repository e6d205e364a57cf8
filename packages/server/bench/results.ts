/**
 * The shape of `.reports/bench-server.json`, what `pnpm bench` in packages/server writes (and
 * what BENCHMARKS.md is rendered from). Times are µs unless the name says ms; shares are 0..1;
 * ratios are "this / that" (below 1: this costs less). A value that could not be measured is
 * `null`, never NaN (JSON has none).
 *
 * Reading it: `handshakeCpu[i].ratios.oursVsNodeTls` is the 2/1 and `.oursVsNginx` its
 * 2/3 for one TLS version × key type; `cluster.rows` the whole-machine handshakes per second;
 * `profiles` where the time goes.
 */
import type { NativeOrigin } from './perf-profile.js';
import type { Distribution, KeyType, ServerMode, TlsVersion } from './protocol.js';

export const REPORT_SCHEMA = 'staple-bench-server/3';

export interface BenchServerReport {
  readonly schema: typeof REPORT_SCHEMA;
  /** ISO date of the end of the run. */
  readonly date: string;
  readonly durationSeconds: number;
  readonly environment: Environment;
  readonly settings: Settings;
  /** Every server that may appear in the tables, in table order. */
  readonly servers: readonly ServerDescription[];
  /** The fixed-rate part: one cell per TLS version × key type that ran. */
  readonly handshakeCpu: readonly HandshakeCpuCell[];
  /** CPU profiles of the servers (TLS 1.3, the first key type); null when skipped. */
  readonly profiles: Profiles | null;
  /** The whole-machine part (node:cluster and nginx workers); null when skipped. */
  readonly cluster: ClusterReport | null;
  /** What was found about nginx; null when BENCH_NGINX=0. */
  readonly nginx: NginxFacts | null;
  /** Everything that makes a figure less trustworthy (disturbed rounds, rates not reached…). */
  readonly warnings: readonly string[];
}

export interface Environment {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  /** The OpenSSL inside node (statically linked). */
  readonly openssl: string;
  readonly v8: string;
  readonly kernel: string;
  readonly taskset: boolean;
  /** Server and load client pinned to different cores in the fixed-rate part. */
  readonly pinned: boolean;
  /** How a process's CPU time is read from /proc: schedstat (ns) or stat (clock ticks). */
  readonly procCpuClock: 'schedstat' | 'stat';
}

export interface Settings {
  /**
   * Offered handshakes per second asked for (BENCH_RATE), the rate each server gets during its
   * slices; each cell's `rate` is what ran.
   */
  readonly offeredRate: number;
  readonly rounds: number;
  readonly maxRounds: number;
  /** One run per round, all the cell's servers together (see slice); with 'alone', one per server. */
  readonly secondsPerRun: number;
  /**
   * 'together': a round is one run with every server's handshakes interleaved in slices;
   * 'alone' (BENCH_SCHEDULE=alone): each server process runs alone, in random order.
   */
  readonly schedule?: 'together' | 'alone';
  /**
   * Consecutive handshakes one server gets before the next one's turn within a run (the order
   * of servers is shuffled every cycle): each works at the full rate during its slices, and a
   * change in the machine's speed falls on every server alike.
   */
  readonly slice: number;
  /** Processes per Node server; their CPU and handshakes are summed (nginx: one worker). */
  readonly processesPerNodeServer: number;
  readonly warmupSeconds: number;
  /** Handshakes each Node server process got from the C load client first; null: none. */
  readonly warmupHandshakes?: number | null;
  /** A round is clean when no run in it saw more foreign work than this (share of wall). */
  readonly cleanRound: { readonly serverCoreForeign: number; readonly clientCoreForeign: number };
  readonly serverCore: number | null;
  readonly clientCore: number | null;
  readonly versions: readonly TlsVersion[];
  readonly keys: readonly KeyType[];
  /** The client's signature_algorithms per key type. */
  readonly clientSigalgs: Readonly<Record<KeyType, string>>;
  readonly handshake: string;
  readonly oursLoadedAs: string;
  /** Node flags of the measured Node server processes (BENCH_SERVER_NODE_FLAGS). */
  readonly serverNodeFlags?: readonly string[];
}

export interface ServerDescription {
  readonly mode: ServerMode;
  /** Its part in the issue: 1 the ceiling, 2 ours, 3 the anchor; extras shed light. */
  readonly role: 'baseline (1)' | 'ours (2)' | 'anchor (3)' | 'extra';
  readonly label: string;
  /** What it is and how it is configured. */
  readonly description: string;
  /** It staples (and the client checks the staple names the served certificate). */
  readonly staples: boolean;
}

/** One TLS version × key type of the fixed-rate part. */
export interface HandshakeCpuCell {
  readonly version: TlsVersion;
  readonly key: KeyType;
  /** Offered handshakes per second (open loop) during each server's slices. */
  readonly rate: number;
  readonly rounds: { readonly used: number; readonly run: number; readonly clean: number };
  /** The ratios, medians over rounds of the per-round ratio (null: server not run). */
  readonly ratios: {
    /** 2/1: ours (RSA+ECDSA, stapling) / plain node:tls. Goal ≤ 1.10 (two certificates; ≤ 1.05 with one). */
    readonly oursVsNodeTls: number | null;
    /** 2/3: ours / nginx. */
    readonly oursVsNginx: number | null;
    /** 3/1: nginx / plain node:tls. */
    readonly nginxVsNodeTls: number | null;
    /** ours with only this key's certificate / plain node:tls. */
    readonly oursSingleVsNodeTls: number | null;
    /** The same with `clientHello: false` (no hello read) / plain node:tls. */
    readonly oursSingleDirectVsNodeTls: number | null;
    /** ours with one certificate and `deferAccept: true` / plain node:tls. */
    readonly oursSingleDeferVsNodeTls: number | null;
    /** ours RSA+ECDSA with `deferAccept: true` / plain node:tls. */
    readonly oursDeferVsNodeTls: number | null;
    /** node:tls answering OCSPRequest with a fixed buffer / plain node:tls. */
    readonly nodeTlsOcspVsNodeTls: number | null;
    /**
     * The baseline's odd-numbered processes / its even-numbered ones (A/A): what a ratio of
     * identical servers comes to, the noise of the measurement itself (ideally 1), at half the
     * processes a ratio sums; null with one process each.
     */
    readonly nodeTlsAa: number | null;
    /** The same for ours (RSA+ECDSA). */
    readonly oursAa: number | null;
  };
  /** One row per server run, in table order. */
  readonly rows: readonly HandshakeCpuRow[];
  /** Every measured run of the rounds used, in time order (round by round, server order). */
  readonly runs: readonly RunRecord[];
  /** Offered rates tried before the rounds (the client must keep up), all servers together. */
  readonly calibration: readonly {
    readonly rate: number;
    readonly achievedRate: number;
    readonly clientCpu: number;
    readonly startLagP99Ms: number;
  }[];
}

export interface HandshakeCpuRow {
  readonly mode: ServerMode;
  readonly label: string;
  /** Server CPU (all its threads; nginx: its worker) per handshake, median over rounds. */
  readonly cpuUsPerHandshake: number;
  /** The same from /proc (schedstat) read by the bench, as a cross-check. */
  readonly procCpuUsPerHandshake: number | null;
  /** Medians over rounds of this server's value / the reference's in the same round. */
  readonly ratioVsNodeTls: number | null;
  readonly ratioVsNginx: number | null;
  /** Client-side TCP connect → secureConnect, ms: medians over rounds of each run's p50/p99. */
  readonly handshakeP50Ms: number;
  readonly handshakeP99Ms: number;
  /** Latency added against plain node:tls / nginx, medians over rounds of the difference. */
  readonly addedP50UsVsNodeTls: number | null;
  readonly addedP99UsVsNodeTls: number | null;
  readonly addedP50UsVsNginx: number | null;
  readonly addedP99UsVsNginx: number | null;
  readonly achievedRate: number;
  /** Load client's CPU / wall (1 = its core saturated). */
  readonly clientCpu: number;
  /** Share of the server core's wall time this server used. */
  readonly serverCoreUse: number;
  /** Share of the server core's wall time busy with something else, and stolen. */
  readonly serverCoreForeign: number;
  readonly clientCoreForeign: number;
  readonly serverCoreSteal: number;
  readonly handshakesPerRun: number;
  /** Times the server's (main) thread went to sleep per handshake. */
  readonly sleepsPerHandshake: number | null;
  /** V8 GC pauses per handshake (Node servers), µs. */
  readonly gcUsPerHandshake: number | null;
  /** What the captured handshakes negotiated and received. */
  readonly cipher: string | null;
  readonly group: string | null;
  readonly ticketsPerHandshake: number | null;
  readonly stapleBytes: number | null;
  /** This server's CPU µs per handshake in each used round, in time order. */
  readonly perRoundCpuUs: readonly number[];
  /** Processes of this server measured side by side (their CPU and handshakes summed). */
  readonly processes: number;
  /** Each process's CPU µs per handshake, median over the used rounds. */
  readonly perProcessCpuUs: readonly number[];
}

export interface RunRecord {
  readonly round: number;
  readonly mode: ServerMode;
  readonly process: number;
  readonly cpuUsPerHandshake: number;
  readonly procCpuUsPerHandshake: number | null;
  /** V8 GC pauses per handshake, µs (null for nginx). */
  readonly gcUsPerHandshake: number | null;
  readonly sleepsPerHandshake: number | null;
  readonly handshakes: number;
  readonly handshakeMs: Distribution;
  readonly achievedRate: number;
  readonly clientCpu: number;
  readonly startLagMs: Distribution;
  readonly load: {
    readonly serverCoreBusy: number;
    readonly serverCoreUse: number;
    readonly serverCoreForeign: number;
    readonly clientCoreForeign: number;
    readonly steal: number;
  };
}

export interface Profiles {
  readonly version: TlsVersion;
  readonly key: KeyType;
  readonly rate: number;
  /** Per profiled server (node-tls, ours-rsa-ecdsa, nginx when run). */
  readonly servers: readonly ServerProfileReport[];
  /**
   * perf's CPU time by origin, µs per handshake, one column per profiled server (absent when
   * perf is not usable): what ours spends where node:tls and nginx do not.
   */
  readonly byOrigin: readonly {
    readonly origin: NativeOrigin;
    readonly usPerHandshake: Readonly<Partial<Record<ServerMode, number>>>;
  }[];
}

export interface ServerProfileReport {
  readonly mode: ServerMode;
  readonly handshakes: number;
  /** Server CPU per handshake in the profiled run (profilers running: above the table's). */
  readonly cpuUsPerHandshake: number;
  /**
   * The split of that CPU time by perf (all threads): JavaScript (ours, node's, V8 builtins
   * running JS), V8's runtime/GC/compiler, node's C++ and libuv, OpenSSL, the kernel (TCP,
   * syscalls), libc, nginx's own C, unknown. Shares of all samples; null without perf.
   */
  readonly split: {
    readonly js: number;
    readonly v8Runtime: number;
    readonly nodeNative: number;
    readonly openssl: number;
    readonly kernel: number;
    readonly libc: number;
    readonly nginx: number;
    readonly unknown: number;
  } | null;
  /** perf's top symbols (all threads): share of samples, µs per handshake. */
  readonly topNative: readonly {
    readonly symbol: string;
    readonly dso: string;
    readonly origin: NativeOrigin;
    readonly share: number;
    readonly usPerHandshake: number;
  }[];
  /**
   * V8's --cpu-prof view of the main thread (Node servers): self time by origin and the top
   * functions, ours first. V8 counts OpenSSL in libuv's poll phase as idle, so its busy time
   * is below the CPU time; shares are of what V8 saw busy.
   */
  readonly v8: {
    readonly busyUsPerHandshake: number;
    readonly origins: readonly { readonly origin: string; readonly share: number }[];
    readonly top: readonly SelfTimeRow[];
    readonly topOurs: readonly SelfTimeRow[];
  } | null;
  /** The .cpuprofile kept, relative to the repository root (open in Chrome DevTools). */
  readonly cpuProfileFile: string | null;
}

export interface SelfTimeRow {
  readonly function: string;
  readonly location: string;
  readonly origin: string;
  readonly share: number;
  readonly usPerHandshake: number;
}

export interface ClusterReport {
  readonly version: TlsVersion;
  readonly key: KeyType;
  /** Server processes (node:cluster workers, nginx workers): one per core. */
  readonly workers: number;
  /** node:cluster scheduling: 'rr' (Node's default on Linux: the primary accepts) or 'none'. */
  readonly schedulingPolicy: 'rr' | 'none';
  /** The load client: handshake-load.c built against the system OpenSSL, closed loop. */
  readonly client: {
    readonly kind: 'c-openssl';
    readonly openssl: string;
    readonly processes: number;
    /** Connections kept open at once, over all client processes. */
    readonly concurrency: number;
  };
  readonly secondsPerRun: number;
  readonly rounds: number;
  readonly rows: readonly ClusterRow[];
  readonly ratios: {
    /** Handshakes/s of ours / node:tls cluster, and ours / nginx (medians of per-round). */
    readonly oursVsNodeTls: number | null;
    readonly oursVsNginx: number | null;
  };
}

export interface ClusterRow {
  readonly mode: 'cluster-node-tls' | 'cluster-ours' | 'nginx';
  readonly label: string;
  /** Whole-machine handshakes per second, median over rounds, and each round's. */
  readonly handshakesPerSecond: number;
  readonly perRound: readonly number[];
  /** Server processes' CPU seconds per second (cores used), and per handshake (µs). */
  readonly serverCores: number;
  readonly serverCpuUsPerHandshake: number;
  /** The load client's own CPU seconds per second, and per handshake (µs). */
  readonly clientCores: number;
  readonly clientCpuUsPerHandshake: number;
  /** The client's share of the CPU the server and client used together. */
  readonly clientShare: number;
  /** Busy share of all cores (from /proc/stat), including everything else on the machine. */
  readonly machineBusy: number;
  /**
   * Handshakes per second the machine would do if the client cost nothing:
   * cores × 1e6 / serverCpuUsPerHandshake (an upper bound, not a measurement).
   */
  readonly serverOnlyEstimate: number;
  readonly handshakeP50Ms: number;
  readonly handshakeP99Ms: number;
}

export interface NginxFacts {
  /** Null when nginx was not found (the note says how to install it). */
  readonly binary: string | null;
  readonly version: string | null;
  readonly openssl: string | null;
  readonly note: string | null;
  /**
   * nginx with both certificates (`ssl_certificate` twice) and one `ssl_stapling_file` (the
   * ECDSA leaf's response): which certificate and which staple each kind of client got.
   */
  readonly dualCertificateProbe: readonly {
    readonly clientKey: KeyType;
    readonly version: TlsVersion;
    readonly servedKey: KeyType | 'other';
    /** The staple's CertID serial is the served certificate's. */
    readonly stapleMatchesServed: boolean;
    readonly stapleFor: KeyType | 'none' | 'other';
  }[];
  /** How nginx was run in the tables because of that. */
  readonly configUsed: string;
}
