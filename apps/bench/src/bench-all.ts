/**
 * `pnpm bench`: every package's benchmark (turbo, one at a time so they do not disturb each
 * other), then BENCHMARKS.md rendered from the JSON each wrote to .reports/. Old results are
 * removed first, so the report only ever shows figures from this run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderBenchmarks } from './render-benchmarks.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const reports = join(root, '.reports');

mkdirSync(reports, { recursive: true });
for (const file of readdirSync(reports)) {
  if (file.startsWith('bench-') && file.endsWith('.json')) rmSync(join(reports, file));
}

const started = Date.now();
const pnpm = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager;
const run = spawnSync(
  'npx',
  ['-y', pnpm, 'exec', 'turbo', 'run', 'bench', '--concurrency=1', ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
const minutes = (Date.now() - started) / 60_000;

const markdown = renderBenchmarks(reports, { minutes });
writeFileSync(join(root, 'BENCHMARKS.md'), markdown);
process.stdout.write(`\n${markdown}\nWrote BENCHMARKS.md.\n`);
if (run.status !== 0) {
  process.stderr.write(`bench: a benchmark failed (exit ${run.status}); see above\n`);
  process.exitCode = 1;
}
