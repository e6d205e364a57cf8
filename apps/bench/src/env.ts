/**
 * Settings from the environment, where reports go, and the "run me alone" check shared by the
 * benches.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchMeta, BenchName } from './results.js';

/** The repository root (reports go to its `.reports/`). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A number from the environment within [min, max], or the fallback when unset. */
export function envNumber(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${text}: give a number in [${min}, ${max}]`);
  }
  return value;
}

export function envInteger(name: string, fallback: number, min: number, max: number): number {
  return Math.round(envNumber(name, fallback, min, max));
}

/** True when this module is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && fileURLToPath(moduleUrl) === entry;
}

/** Writes `.reports/bench-<name>.json` at the repository root; returns its path. */
export function writeReport(name: BenchName, result: object): string {
  const dir = join(repoRoot, '.reports');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  return path;
}

/** What every report says about where and how it was measured. */
export function benchMeta(name: BenchName, startedAt: number, pinned: boolean): BenchMeta {
  return {
    name,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Math.round(performance.timeOrigin + performance.now() - startedAt),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    loadAverage: os.loadavg() as [number, number, number],
    pinned,
    loader: 'tsx',
  };
}

/**
 * Turns SIGINT/SIGTERM into process.exit, so that the 'exit' handlers that kill our children
 * and redis-server run (a signal's default action would skip them). For the entry points only.
 */
export function exitOnSignals(): void {
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

/** A fresh directory under the OS temp dir, removed when the process exits if not before. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(os.tmpdir(), prefix));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A line of progress on stderr (stdout carries the summary). */
export function progress(message: string): void {
  if (process.env['BENCH_QUIET'] !== '1') process.stderr.write(`  ${message}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
