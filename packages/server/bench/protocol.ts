/**
 * What the handshake bench's processes say to each other: one JSON object per line, the
 * orchestrator asking on stdin, the child answering on stdout (stderr stays free for errors).
 */
import { createInterface } from 'node:readline';

/**
 * The servers under test. `node-tls`: plain node:tls, the certificate of the key type under
 * test, no stapling (the ceiling for Node). `node-tls-ocsp`: the same answering Node's own
 * OCSPRequest with a fixed buffer. `ours-single`: createTlsServer with that one certificate,
 * stapling. `ours-single-direct`: the same with `clientHello: false` (no hello read, straight to
 * TLS). `ours-rsa-ecdsa`: createTlsServer with RSA and ECDSA, stapling and selection (what
 * the issue calls "Staple's server"). `ours-single-defer`, `ours-rsa-ecdsa-defer`: those two with
 * `deferAccept: true` (TCP_DEFER_ACCEPT). `nginx`: the Debian nginx with ssl_stapling_file.
 */
export type ServerMode =
  | 'node-tls'
  | 'node-tls-ocsp'
  | 'ours-single'
  | 'ours-single-direct'
  | 'ours-rsa-ecdsa'
  | 'ours-single-defer'
  | 'ours-rsa-ecdsa-defer'
  | 'nginx';

/** Modes that run as handshake-server.ts (nginx is started by the bench itself). */
export type NodeServerMode = Exclude<ServerMode, 'nginx'>;

export const NODE_SERVER_MODES: readonly NodeServerMode[] = [
  'node-tls',
  'node-tls-ocsp',
  'ours-single',
  'ours-single-direct',
  'ours-rsa-ecdsa',
  'ours-single-defer',
  'ours-rsa-ecdsa-defer',
];

/** The certificate the client is forced to: ECDSA P-256 or RSA-2048. */
export type KeyType = 'ecdsa' | 'rsa';

export const KEY_TYPES: readonly KeyType[] = ['ecdsa', 'rsa'];

/**
 * The client's signature_algorithms for each key type (RFC 8446 §4.2.3 names): offering only
 * these makes every server, ours, node:tls and nginx alike, serve that key's certificate.
 */
export const CLIENT_SIGALGS: Readonly<Record<KeyType, string>> = {
  ecdsa: 'ecdsa_secp256r1_sha256',
  rsa: 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pkcs1_sha256:rsa_pkcs1_sha384:rsa_pkcs1_sha512',
};

export interface CertificateConfig {
  readonly key: string;
  /** PEM chain: leaf, then the intermediate. */
  readonly cert: string;
  /** A real, fresh OCSP response for the leaf (base64): for `node-tls-ocsp` and nginx. */
  readonly staple: string;
}

/** Handed to each server process in BENCH_SERVER_CONFIG. */
export interface ServerConfig {
  readonly ecdsa: CertificateConfig;
  readonly rsa: CertificateConfig;
}

export interface ServerReady {
  readonly type: 'ready';
  readonly mode: NodeServerMode;
  readonly key: KeyType;
  readonly port: number;
  readonly pid: number;
  /** What the stapler says, for our servers. */
  readonly staples?: readonly { readonly serial: string; readonly stapling: boolean }[];
  /** How our TypeScript was turned into JavaScript: tsc (`dist`, build-ours.ts) or tsx's esbuild. */
  readonly loader?: 'tsc' | 'tsx';
}

export interface ServerStats {
  readonly type: 'stats';
  /** process.cpuUsage(), µs. */
  readonly user: number;
  readonly system: number;
  /** process.hrtime, µs (CLOCK_MONOTONIC, the clock of --cpu-prof timestamps). */
  readonly monoUs: number;
  /** CPU of the main thread from /proc/self/task (clock ticks, so coarse), µs; NaN without. */
  readonly mainThreadUs: number;
  /** Voluntary context switches of the main thread (≈ event-loop sleeps), from /proc. */
  readonly mainThreadSleeps: number;
  /** Time in garbage collection (PerformanceObserver 'gc' entries), ms. */
  readonly gcMs: number;
  readonly handshakes: number;
  readonly clientErrors: number;
  readonly socketErrors: number;
  readonly lastError?: string;
  readonly rss: number;
}

export interface ServerFailure {
  readonly type: 'error';
  readonly message: string;
}

export type ServerMessage = ServerReady | ServerStats | ServerFailure;

export type TlsVersion = 'TLSv1.3' | 'TLSv1.2';

/** One server of a run. */
export interface RunTarget {
  readonly port: number;
  /** Every handshake with it must carry an OCSP staple (or none may). */
  readonly expectStaple: boolean;
}

/**
 * One run against one or several servers: the schedule's handshakes go to the targets in
 * slices of `slice` consecutive ones, cycling through the targets in a new random order every
 * cycle, so that whatever the machine does during the run (other tenants, frequency changes)
 * falls on every target alike, while each works at the full rate during its slices.
 */
export interface RunCommand {
  readonly type: 'run';
  readonly targets: readonly RunTarget[];
  /**
   * Handshakes per second offered (open loop: the schedule does not wait for answers); a
   * target gets this rate during its slices.
   */
  readonly rate: number;
  /** Consecutive handshakes to one target (default 1). */
  readonly slice?: number;
  readonly seconds: number;
  readonly version: TlsVersion;
  /** The client offers only this key type's signature algorithms (CLIENT_SIGALGS). */
  readonly key: KeyType;
  /**
   * Return the first staple (base64), the served certificate serials, the cipher and group,
   * and count the session tickets the server sends (on the first three connections of each
   * target).
   */
  readonly capture: boolean;
}

export interface Distribution {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** What one target of a run did. */
export interface RunResult {
  /** Handshakes per second offered to this target during its slices. */
  readonly offered: number;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Errors after secureConnect (the close); not handshake failures. */
  readonly afterErrors: number;
  readonly stapled: number;
  readonly reused: number;
  readonly protocols: Readonly<Record<string, number>>;
  /** From the first scheduled start to the last close, ms. */
  readonly elapsedMs: number;
  /** Handshakes completed per second of the schedule's span, all targets together. */
  readonly achievedRate: number;
  /** Client process CPU over the whole run / wall time (1 = one core saturated): all targets. */
  readonly clientCpu: number;
  /** TCP connect → secureConnect, ms. */
  readonly handshakeMs: Distribution;
  /** tls.connect() call → secureConnect, ms. */
  readonly totalMs: Distribution;
  /** How late connections were started against the schedule, ms. */
  readonly startLagMs: Distribution;
  readonly maxInFlight: number;
  readonly serials?: readonly string[];
  readonly staple?: string;
  /** Captured: session tickets received per handshake (NewSessionTicket messages). */
  readonly ticketsPerHandshake?: number;
  readonly cipher?: string;
  /** Key-exchange group, e.g. X25519. */
  readonly group?: string;
}

export interface ClientFailure {
  readonly type: 'error';
  readonly message: string;
}

export interface ClientReady {
  readonly type: 'ready';
}

/** The answer to a RunCommand: one result per target, in the command's order. */
export interface RunResults {
  readonly type: 'result';
  readonly results: readonly RunResult[];
}

export type ClientMessage = ClientReady | RunResults | ClientFailure;

/** Writes one message line to stdout. */
export function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onLine` for each line on stdin; `onEnd` when the parent goes away. */
export function onStdinLines(onLine: (line: string) => void, onEnd: () => void): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== '') onLine(line.trim());
  });
  lines.on('close', onEnd);
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function distribution(values: Float64Array | number[]): Distribution {
  const sorted = Float64Array.from(values).sort();
  return {
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
