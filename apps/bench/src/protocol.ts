/**
 * What the bench processes say to each other: one JSON object per line, the orchestrator
 * asking on stdin, the child answering on stdout (stderr stays free for errors). Children
 * exit on `exit`, when stdin closes (the orchestrator is gone), or after their lifetime.
 */
import { createInterface } from 'node:readline';
import type { Distribution } from './results.js';

/** Handed to server-process.ts as a JSON file (1,000 certificates do not fit in argv/env). */
export interface ServerConfig {
  readonly certificates: readonly { readonly key: string; readonly cert: string }[];
  /** `false`: no stapling at all (`stapling: false`). */
  readonly stapling:
    | false
    | {
        /** Share responses through this redis-server (unix socket) under this key prefix. */
        readonly redis?: { readonly path: string; readonly prefix: string };
        readonly refresh?: { readonly stopBeforeMs?: number; readonly minDelayMs?: number };
        readonly retry?: { readonly initialMs: number; readonly maxMs: number };
        readonly lockPollMs?: number;
        readonly fetchTimeoutMs?: number;
      };
  /** Say `ready` only once every certificate is stapling (bounded by readyTimeoutMs). */
  readonly warm: boolean;
  readonly readyTimeoutMs?: number;
  /** listen() backlog (Node's default is 511). */
  readonly backlog?: number;
}

export interface ServerReady {
  readonly type: 'ready';
  readonly port: number;
  readonly pid: number;
  /** Process start → listening (and stapled, when warm), ms. */
  readonly startupMs: number;
  /** Certificates with a staple ready when `ready` was sent. */
  readonly stapling: number;
}

export interface CertificateState {
  readonly serial: string;
  readonly stapling: boolean;
  readonly state: string;
  readonly fetches: number;
  readonly storeHits: number;
  readonly failures: number;
  readonly source?: string;
}

export interface ServerStatus {
  readonly type: 'status';
  readonly certificates: readonly CertificateState[];
  readonly handshakes: number;
  readonly clientErrors: number;
  /** Log lines by `level: message`, from the server, its stapler and the Redis store. */
  readonly logs: Readonly<Record<string, number>>;
}

/** Memory after a full GC (when --expose-gc was given). */
export interface ServerSample {
  readonly type: 'sample';
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly handshakes: number;
}

export interface Failure {
  readonly type: 'error';
  readonly message: string;
}

export type ServerMessage = ServerReady | ServerStatus | ServerSample | Failure;
export type ServerCommand = 'status' | 'sample' | 'exit';

/** One TLS client target: SNI name and, optionally, the signature algorithms offered. */
export interface Target {
  readonly servername: string;
  /** e.g. only RSA schemes, so that the server must pick its RSA certificate. */
  readonly sigalgs?: string;
}

/** Start `count` handshakes at once (one synchronous loop), round-robin over targets. */
export interface BurstCommand {
  readonly type: 'burst';
  readonly port: number;
  readonly count: number;
  readonly targets: readonly Target[];
  /** Per handshake; the whole burst is bounded by this plus a grace period. */
  readonly timeoutMs: number;
}

export interface BurstResult {
  readonly type: 'burst';
  readonly count: number;
  readonly completed: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly stapled: number;
  /** Per served certificate serial: handshakes and how many carried a staple. */
  readonly bySerial: Readonly<Record<string, { served: number; stapled: number }>>;
  /** tls.connect() call → secureConnect, per handshake. */
  readonly latencyMs: Distribution;
  /** Start of the burst → secureConnect. */
  readonly sinceStartMs: Distribution;
  /** Time to make the `count` tls.connect() calls. */
  readonly issueMs: number;
  /** Start of the burst → last handshake done. */
  readonly durationMs: number;
  /** Start of the burst → the first handshake with a staple finished (NaN: none). */
  readonly firstStapledMs: number;
  /** Start of the burst → the last handshake without a staple finished (NaN: none). */
  readonly lastUnstapledMs: number;
}

/** `count` handshakes, `concurrency` at a time (closed loop), round-robin over servernames. */
export interface LoopCommand {
  readonly type: 'loop';
  readonly port: number;
  readonly count: number;
  readonly concurrency: number;
  readonly servernames: readonly string[];
  /** Offset into servernames, so that consecutive loops carry on the rotation. */
  readonly offset: number;
  /** Stop starting handshakes after this long (what was done is reported). */
  readonly deadlineMs: number;
  readonly timeoutMs: number;
}

export interface LoopResult {
  readonly type: 'loop';
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly stapled: number;
  /** Checked on a sample of handshakes: the certificate served names the SNI host. */
  readonly wrongCertificate: number;
  readonly elapsedMs: number;
  readonly hitDeadline: boolean;
}

export interface ClientReady {
  readonly type: 'ready';
  readonly pid: number;
}

export type ClientMessage = ClientReady | BurstResult | LoopResult | Failure;
export type ClientCommand = BurstCommand | LoopCommand;

/** Writes one message line to stdout. */
export function send(message: object): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Reports a failure to the orchestrator and exits. */
export function fail(who: string, message: string): never {
  send({ type: 'error', message } satisfies Failure);
  process.stderr.write(`${who}: ${message}\n`);
  process.exit(1);
}

/**
 * Calls `onLine` for each line on stdin; exits when the parent goes away; exits with an error
 * after `lifetimeMs` whatever happens (BENCH_CHILD_LIFETIME_MS, default 20 minutes).
 */
export function serveCommands(who: string, onLine: (line: string) => void): void {
  const lifetimeMs = Number(process.env['BENCH_CHILD_LIFETIME_MS'] ?? 20 * 60_000);
  setTimeout(() => fail(who, `lifetime of ${lifetimeMs} ms exceeded`), lifetimeMs).unref();
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() !== '') onLine(line.trim());
  });
  lines.on('close', () => process.exit(0));
}
