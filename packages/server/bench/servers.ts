/**
 * The servers under test of the fixed-rate part, behind one interface whatever they are: a
 * handshake-server.ts process (node:tls, ours) or nginx. A snapshot gives cumulative counters;
 * the bench subtracts two.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Child, OURS_FROM_SOURCE } from './children.js';
import { Nginx } from './nginx.js';
import { processCpuUs } from './proc.js';
import type {
  KeyType,
  NodeServerMode,
  ServerConfig,
  ServerMessage,
  ServerMode,
  ServerReady,
  ServerStats,
} from './protocol.js';
import type { ServerDescription } from './results.js';

export const SERVERS: readonly ServerDescription[] = [
  {
    mode: 'node-tls',
    role: 'baseline (1)',
    label: 'node:tls, no stapling',
    description: "tls.createServer with the key type's certificate, nothing else",
    staples: false,
  },
  {
    mode: 'node-tls-ocsp',
    role: 'extra',
    label: 'node:tls + OCSPRequest',
    description: "the same, Node's own OCSPRequest event answering a fixed buffer",
    staples: true,
  },
  {
    mode: 'ours-single',
    role: 'extra',
    label: 'ours, one certificate',
    description: "createTlsServer with the key type's certificate only, stapling",
    staples: true,
  },
  {
    mode: 'ours-single-direct',
    role: 'extra',
    label: 'ours, one certificate, clientHello: false',
    description:
      "createTlsServer with the key type's certificate only, stapling, clientHello: false (no hello read)",
    staples: true,
  },
  {
    mode: 'ours-rsa-ecdsa',
    role: 'ours (2)',
    label: 'ours RSA+ECDSA, stapling',
    description: 'createTlsServer with RSA and ECDSA certificates, stapling, chosen per client',
    staples: true,
  },
  {
    mode: 'ours-single-defer',
    role: 'extra',
    label: 'ours, one certificate, deferAccept',
    description:
      "createTlsServer with the key type's certificate only, stapling, deferAccept: true (TCP_DEFER_ACCEPT)",
    staples: true,
  },
  {
    mode: 'ours-rsa-ecdsa-defer',
    role: 'extra',
    label: 'ours RSA+ECDSA, deferAccept',
    description:
      'createTlsServer with RSA and ECDSA certificates, stapling, chosen per client, deferAccept: true',
    staples: true,
  },
  {
    mode: 'nginx',
    role: 'anchor (3)',
    label: 'nginx, ssl_stapling_file',
    description:
      "nginx (Debian), one worker, the key type's certificate, ssl_stapling_file with the " +
      'same fresh response, ssl_session_cache off, ssl_session_tickets off',
    staples: true,
  },
];

export const labelOf = (mode: ServerMode) => SERVERS.find((s) => s.mode === mode)?.label ?? mode;

/** Cumulative counters of a server, read by the bench. */
export interface ServerSnapshot {
  /** CPU time the server's own accounting reports (getrusage; nginx: its workers' schedstat). */
  readonly cpuUs: number;
  /** The kernel's part of cpuUs (NaN for nginx). */
  readonly systemUs: number;
  /** The same from /proc, read by the bench (schedstat of all its threads). */
  readonly procCpuUs: number;
  /** CLOCK_MONOTONIC in the server (Node: for the --cpu-prof window), else NaN. */
  readonly monoUs: number;
  readonly mainThreadUs: number;
  readonly mainThreadSleeps: number;
  /** GC pauses, ms; NaN for nginx. */
  readonly gcMs: number;
  /** Handshakes completed (nginx: connections accepted). */
  readonly handshakes: number;
  /** Handshakes that failed on the server (nginx: error-log lines at level error or worse). */
  readonly clientErrors: number;
  readonly socketErrors: number;
  readonly lastError?: string;
}

export interface ServerUnderTest {
  readonly mode: ServerMode;
  /** Which process of this mode (the bench runs several of each, see BENCH_REPLICAS). */
  readonly replica: number;
  readonly key: KeyType;
  readonly staple: boolean;
  readonly port: number;
  /** The process whose CPU is the server's (nginx: its one worker). */
  readonly pid: number;
  snapshot(): Promise<ServerSnapshot>;
  stop(): Promise<void>;
}

export interface StartContext {
  readonly benchDir: string;
  readonly packageDir: string;
  /** taskset cpu list, or undefined for no pinning. */
  readonly cpus: string | undefined;
  readonly config: ServerConfig;
  readonly lifetimeMs: number;
}

/** handshake-server.ts `<mode> <key>` in its own process. */
export async function startNodeServer(
  mode: NodeServerMode,
  key: KeyType,
  context: StartContext,
  nodeArgs: readonly string[] = [],
  replica = 0,
): Promise<ServerUnderTest> {
  const child = new Child<ServerMessage>(`server ${mode}#${replica} ${key}`, {
    sourceConditions: OURS_FROM_SOURCE,
    script: join(context.benchDir, 'handshake-server.ts'),
    args: [mode, key],
    nodeArgs,
    cpus: context.cpus,
    cwd: context.packageDir,
    env: {
      ...process.env,
      BENCH_SERVER_CONFIG: JSON.stringify(context.config),
      BENCH_SERVER_LIFETIME_MS: String(context.lifetimeMs),
    },
  });
  const ready = (await child.next(60_000)) as ServerReady;
  if (ready.type !== 'ready') throw new Error(`server ${mode}: expected ready, got ${ready.type}`);
  const wantLoader = OURS_FROM_SOURCE ? 'tsx' : 'tsc';
  if (mode.startsWith('ours') && ready.loader !== wantLoader) {
    throw new Error(`server ${mode}: our code was loaded by ${ready.loader}, not ${wantLoader}`);
  }
  if (ready.pid !== child.pid) {
    throw new Error(`server ${mode}: pid ${ready.pid} is not the spawned ${child.pid}`);
  }
  return {
    mode,
    replica,
    key,
    staple: mode !== 'node-tls',
    port: ready.port,
    pid: child.pid,
    async snapshot() {
      const stats = (await child.request('stats', 10_000)) as ServerStats;
      if (stats.type !== 'stats') throw new Error(`expected stats, got ${stats.type}`);
      return {
        cpuUs: stats.user + stats.system,
        systemUs: stats.system,
        procCpuUs: processCpuUs(child.pid),
        monoUs: stats.monoUs,
        mainThreadUs: stats.mainThreadUs,
        mainThreadSleeps: stats.mainThreadSleeps,
        gcMs: stats.gcMs,
        handshakes: stats.handshakes,
        clientErrors: stats.clientErrors,
        socketErrors: stats.socketErrors,
        ...(stats.lastError ? { lastError: stats.lastError } : {}),
      };
    },
    stop: () => child.stop(),
  };
}

export interface NginxContext {
  readonly bin: string;
  /** A temp dir for nginx; certificate and staple files are written into it. */
  readonly dir: string;
  readonly cpus: string | undefined;
  readonly config: ServerConfig;
  readonly workers: number;
  readonly lifetimeMs: number;
  /** Both certificates (for the dual-certificate probe); default the key type's only. */
  readonly bothCertificates?: boolean;
}

/** nginx with the key type's certificate (or both) and `ssl_stapling_file` of that key's staple. */
export async function startNginxServer(
  key: KeyType,
  context: NginxContext,
): Promise<ServerUnderTest & { readonly nginx: Nginx }> {
  const files = (k: KeyType) => {
    const chain = join(context.dir, `${k}.chain.pem`);
    const privateKey = join(context.dir, `${k}.key.pem`);
    writeFileSync(chain, context.config[k].cert);
    writeFileSync(privateKey, context.config[k].key, { mode: 0o600 });
    return { chain, key: privateKey };
  };
  const stapleFile = join(context.dir, `${key}.ocsp.der`);
  writeFileSync(stapleFile, Buffer.from(context.config[key].staple, 'base64'));
  const certificates = context.bothCertificates ? [files('ecdsa'), files('rsa')] : [files(key)];
  const nginx = await Nginx.start({
    bin: context.bin,
    dir: context.dir,
    certificates,
    stapleFile,
    workers: context.workers,
    ...(context.cpus ? { cpus: context.cpus } : {}),
    lifetimeSeconds: Math.ceil(context.lifetimeMs / 1000),
  });
  const worker = nginx.workerPids[0]!;
  return {
    mode: 'nginx',
    replica: 0,
    key,
    staple: true,
    port: nginx.port,
    pid: worker,
    nginx,
    async snapshot() {
      const s = await nginx.snapshot();
      return {
        cpuUs: s.workersCpuUs,
        systemUs: Number.NaN,
        procCpuUs: s.workersCpuUs,
        monoUs: Number.NaN,
        mainThreadUs: s.workersCpuUs,
        mainThreadSleeps: s.workerSleeps,
        gcMs: Number.NaN,
        handshakes: s.accepted,
        clientErrors: s.errorLines,
        socketErrors: 0,
        ...(s.lastError ? { lastError: s.lastError } : {}),
      };
    },
    stop: () => nginx.stop(),
  };
}
