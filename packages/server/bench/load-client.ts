/**
 * handshake-load.c, the closed-loop C load client: built with the system's cc against the
 * system OpenSSL (it costs far less CPU per handshake than a Node client) and run as one or
 * more processes against a port. The whole-machine part (cluster.ts) measures with it; the
 * fixed-rate part (handshake.bench.ts) warms its servers up with it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { trackChild } from './children.js';
import { CLIENT_SIGALGS, type KeyType, type TlsVersion } from './protocol.js';

/** What one handshake-load process prints. */
export interface LoadResult {
  readonly type: 'result';
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly stapled: number;
  readonly wrongStaple: number;
  readonly checkedStaples: number;
  readonly reused: number;
  readonly afterErrors: number;
  readonly errors: Readonly<Record<string, number>>;
  readonly elapsedMs: number;
  readonly cpuUs: number;
  readonly handshakeMs: { readonly p50: number; readonly p90: number; readonly p99: number };
}

/** Builds handshake-load.c into `dir`; the binary's path, or the reason it could not. */
export function buildLoadClient(
  benchDir: string,
  dir: string,
): { bin: string } | { error: string } {
  const bin = join(dir, 'handshake-load');
  const cc = process.env['CC'] ?? 'cc';
  const out = spawnSync(
    cc,
    ['-O2', '-Wall', '-o', bin, join(benchDir, 'handshake-load.c'), '-lssl', '-lcrypto'],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (out.status === 0) return { bin };
  return {
    error:
      `could not build handshake-load.c with ${cc} (${(out.stderr || out.error?.message || '').trim().split('\n').slice(-2).join(' ')}): ` +
      'apt-get install gcc libssl-dev',
  };
}

export interface LoadOptions {
  readonly port: number;
  readonly key: KeyType;
  readonly version: TlsVersion;
  /** Time limit of each process. */
  readonly seconds: number;
  /** Handshakes each process starts at most. */
  readonly max: number;
  readonly clients: number;
  /** Connections kept going, over all the processes. */
  readonly concurrency: number;
  readonly expectStaple: boolean;
  /** taskset cpu list. */
  readonly cpus: string;
}

/** Runs `clients` load processes at once; their results. */
export async function runLoadClient(bin: string, o: LoadOptions): Promise<LoadResult[]> {
  const each = Math.max(1, Math.round(o.concurrency / o.clients));
  const runs = Array.from({ length: o.clients }, () => {
    const child = spawn(
      'taskset',
      ['-c', o.cpus, bin, '--port', String(o.port), '--seconds', String(o.seconds)]
        .concat(['--max', String(o.max), '--concurrency', String(each)])
        .concat([
          '--tls',
          o.version === 'TLSv1.2' ? '1.2' : '1.3',
          '--sigalgs',
          CLIENT_SIGALGS[o.key],
        ])
        .concat(['--expect-staple', o.expectStaple ? '1' : '0']),
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    trackChild(child);
    const timer = setTimeout(() => child.kill('SIGKILL'), (o.seconds + 20) * 1000);
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
    });
    return new Promise<LoadResult>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) {
          reject(new Error(`handshake-load exited (code ${code}, signal ${signal}): ${out}`));
          return;
        }
        try {
          resolve(JSON.parse(out) as LoadResult);
        } catch {
          reject(new Error(`handshake-load: unexpected output ${JSON.stringify(out)}`));
        }
      });
    });
  });
  return Promise.all(runs);
}
