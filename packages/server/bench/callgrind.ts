/**
 * Instructions per full handshake of each server, counted by valgrind's callgrind: a view of
 * the server's CPU work that does not move with the machine's load the way CPU time does (a
 * run's windows agree within a few per cent; the garbage collector's timing is what moves them).
 * User space only, every thread: the kernel's share and cache misses are not in it, so it ranks
 * code changes; the fixed-rate bench (handshake.bench.ts) measures what the issue asks.
 *
 * `pnpm bench:callgrind` (needs valgrind and cc with OpenSSL's headers). Each server of
 * BENCH_CALLGRIND_MODES (default node-tls,ours-single,ours-single-direct,ours-rsa-ecdsa) runs
 * handshake-server.ts under callgrind with instrumentation off, gets BENCH_CALLGRIND_WARM
 * handshakes (default 3000) to warm its JIT, then BENCH_CALLGRIND_WINDOWS windows (default 3)
 * of BENCH_CALLGRIND_N handshakes (default 1000) counted, from handshake-load.c (TLS 1.3, ECDSA,
 * status_request, 2 connections at a time) on 127.0.0.1. Prints instructions per handshake for
 * each window, the median, and the median over node-tls's. Bounded: each load has a count and a
 * time limit, each server a lifetime.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { fetchOcspResponse } from '@staple/ocsp-client';
import { startTestOcsp } from '@staple/testkit';
import { buildOurs } from './build-ours.js';
import { OURS_FROM_SOURCE } from './children.js';
import { median, NODE_SERVER_MODES, type NodeServerMode, type ServerConfig } from './protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const asked = (
  process.env['BENCH_CALLGRIND_MODES'] ?? 'node-tls,ours-single,ours-single-direct,ours-rsa-ecdsa'
).split(',');
for (const mode of asked) {
  if (!NODE_SERVER_MODES.includes(mode as NodeServerMode)) throw new Error(`unknown mode ${mode}`);
}
const count = (name: string, fallback: number, max: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name}: 1..${max}`);
  return value;
};
const WARM = count('BENCH_CALLGRIND_WARM', 3000, 100_000);
const N = count('BENCH_CALLGRIND_N', 1000, 100_000);
const WINDOWS = count('BENCH_CALLGRIND_WINDOWS', 3, 20);
// A handshake under callgrind takes 10-20 ms: 120 s per load is room for about 6,000.
const LOAD_SECONDS = 120;
const SERVER_LIFETIME_MS = 30 * 60_000;

for (const tool of ['valgrind', 'callgrind_control', 'cc']) {
  if (spawnSync('which', [tool]).status !== 0) {
    console.log(`bench:callgrind needs ${tool}; not run`);
    process.exit(0);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'staple-callgrind-'));
const loader = join(dir, 'handshake-load');
const built = spawnSync(
  'cc',
  ['-O2', '-o', loader, join(here, 'handshake-load.c'), '-lssl', '-lcrypto'],
  {
    encoding: 'utf8',
  },
);
if (built.status !== 0) throw new Error(`cc handshake-load.c: ${built.stderr}`);

if (!OURS_FROM_SOURCE) buildOurs(join(here, '../..'));
const ocsp = await startTestOcsp();
try {
  const { pki } = ocsp;
  const stapleOf = async (leaf: ReturnType<typeof pki.leaf>) =>
    Buffer.from(
      (await fetchOcspResponse(leaf.certificatePem, pki.intermediate.certificatePem)).der,
    ).toString('base64');
  const ecdsa = pki.leaf('ecdsa');
  const rsa = pki.leaf('rsa');
  const config: ServerConfig = {
    ecdsa: { key: ecdsa.privateKeyPem, cert: ecdsa.chainPem, staple: await stapleOf(ecdsa) },
    rsa: { key: rsa.privateKeyPem, cert: rsa.chainPem, staple: await stapleOf(rsa) },
  };

  const load = (port: number, max: number, staple: boolean) => {
    const run = spawnSync(
      loader,
      ['--port', String(port), '--seconds', String(LOAD_SECONDS), '--max', String(max)]
        .concat(['--concurrency', '2', '--tls', '1.3', '--sigalgs', 'ecdsa_secp256r1_sha256'])
        .concat(['--expect-staple', staple ? '1' : '0']),
      { encoding: 'utf8', timeout: (LOAD_SECONDS + 30) * 1000 },
    );
    const result = JSON.parse(run.stdout.trim() || '{}') as { completed?: number; failed?: number };
    if (result.completed !== max || result.failed !== 0) {
      throw new Error(`load: ${run.stdout.trim() || run.stderr.trim()}`);
    }
  };

  const measure = async (mode: NodeServerMode): Promise<number[]> => {
    const out = join(dir, `${mode}.out`);
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`]
        .concat(['--smc-check=all-non-file', process.execPath])
        .concat(OURS_FROM_SOURCE ? ['--conditions=source'] : [])
        .concat(['--import', 'tsx', join(here, 'handshake-server.ts'), mode, 'ecdsa']),
      {
        cwd: dirname(here),
        env: {
          ...process.env,
          BENCH_SERVER_CONFIG: JSON.stringify(config),
          BENCH_SERVER_LIFETIME_MS: String(SERVER_LIFETIME_MS),
        },
        stdio: ['pipe', 'pipe', 'ignore'],
      },
    );
    try {
      const ready = await new Promise<{ port: number }>((resolve, reject) => {
        createInterface({ input: child.stdout }).on('line', (line) => {
          const message = JSON.parse(line) as { type: string; port: number; message?: string };
          if (message.type === 'ready') resolve(message);
          else reject(new Error(`${mode}: ${message.message ?? line}`));
        });
        child.once('exit', () => reject(new Error(`${mode}: the server exited`)));
      });
      const staple = mode !== 'node-tls';
      load(ready.port, WARM, staple);
      spawnSync('callgrind_control', ['-i', 'on', String(child.pid)]);
      const perHandshake: number[] = [];
      for (let window = 1; window <= WINDOWS; window++) {
        spawnSync('callgrind_control', ['-z', String(child.pid)]);
        load(ready.port, N, staple);
        spawnSync('callgrind_control', ['-d', String(child.pid)]);
        const dump = readFileSync(`${out}.${window}`, 'utf8');
        const total = Number(/^summary: (\d+)$/m.exec(dump)?.[1] ?? Number.NaN);
        perHandshake.push(total / N);
      }
      return perHandshake;
    } finally {
      child.stdin.end();
      child.kill();
    }
  };

  const medians = new Map<string, number>();
  console.log(
    `Instructions per TLS 1.3 ECDSA handshake (callgrind, user space, all threads), ` +
      `${WINDOWS} windows of ${N} after ${WARM} uncounted:`,
  );
  for (const mode of asked) {
    const windows = await measure(mode as NodeServerMode);
    medians.set(mode, median(windows));
    const base = medians.get('node-tls');
    const m = (x: number) => `${(x / 1e6).toFixed(3)} M`;
    console.log(
      `${mode}: ${windows.map(m).join(', ')}; median ${m(median(windows))}` +
        (base && mode !== 'node-tls' ? ` (${(median(windows) / base).toFixed(3)}x node-tls)` : ''),
    );
  }
} finally {
  await ocsp.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
