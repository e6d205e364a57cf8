/**
 * `pnpm bench` in apps/bench: herd, fleet and memory one after the other, each in its own
 * process so that one's memory and JIT state do not disturb the next. Each writes
 * .reports/bench-<name>.json at the repository root and prints a short summary.
 *
 * Sizes come from the environment (defaults are the issue's): BENCH_HERD_CONNECTIONS=1000,
 * BENCH_HERD_ROUNDS=5, BENCH_HERD_DELAY_MS=1000; BENCH_FLEET_NODES=8, BENCH_FLEET_CERTS=20,
 * BENCH_FLEET_VALIDITY_SECONDS=20, BENCH_FLEET_WINDOWS=3, BENCH_FLEET_RATE=20;
 * BENCH_MEMORY_CERTS=1000, BENCH_MEMORY_HANDSHAKES=100000, BENCH_MEMORY_SAMPLE_EVERY=10000,
 * BENCH_MEMORY_CONCURRENCY=16, BENCH_MEMORY_SECONDS=300. BENCH_ONLY=herd,memory runs a subset.
 * Exits 1 if any bench failed (a bench that ran but missed a goal still exits 0: the JSON
 * says which goals were met).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BENCHES = ['herd', 'fleet', 'memory'] as const;
const only = process.env['BENCH_ONLY']
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of only ?? []) {
  if (!(BENCHES as readonly string[]).includes(name)) {
    throw new Error(`BENCH_ONLY: unknown bench ${name} (have ${BENCHES.join(', ')})`);
  }
}
const tsx = import.meta.resolve('tsx');

function run(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        tsx,
        fileURLToPath(new URL(`${name}.ts`, import.meta.url)),
      ],
      { stdio: 'inherit' },
    );
    child.once('error', () => resolve(1));
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const failed: string[] = [];
const t0 = performance.now();
for (const name of BENCHES) {
  if (only && !only.includes(name)) continue;
  const started = performance.now();
  console.log(`\n== ${name}`);
  const code = await run(name);
  console.log(
    `== ${name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );
  if (code !== 0) failed.push(name);
}
console.log(
  `\nall benches: ${((performance.now() - t0) / 1000).toFixed(0)} s${failed.length ? `; failed: ${failed.join(', ')}` : ''}`,
);
process.exitCode = failed.length ? 1 : 0;
