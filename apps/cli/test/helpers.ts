/**
 * Shared by the CLI tests: they run the built binary, the way users do (`node dist/main.js`,
 * loading the workspace packages' dist through their `default` export), so a packaging mistake
 * shows up here. Every wait is bounded; only 127.0.0.1 is contacted.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url));
export const MAIN = join(CLI_DIR, 'dist/main.js');
const PACKAGES = join(CLI_DIR, '../../packages');
/** The shared test data sits beside the repository root. */
export const SHARED = join(CLI_DIR, '../../../shared');

/** What the binary loads at run time, in dependency order, then the binary itself. */
const BUILD_ORDER: readonly [dir: string, output: string][] = [
  [join(PACKAGES, 'ocsp-codec'), 'dist/index.js'],
  [join(PACKAGES, 'client-hello'), 'dist/index.js'],
  [join(PACKAGES, 'ocsp-client'), 'dist/index.js'],
  [CLI_DIR, 'dist/main.js'],
];

export function buildAll(): void {
  for (const [dir, output] of BUILD_ORDER) ensureBuilt(dir, output);
}

/** Builds a package with its own tsc config when its dist is missing or older than a source. */
export function ensureBuilt(dir: string, output: string): void {
  const out = join(dir, output);
  const sources = readdirSync(join(dir, 'src'), { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, 'src', file))
    .concat(join(dir, 'tsconfig.build.json'));
  const newest = Math.max(...sources.map((file) => statSync(file).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  // `npx tsc` from a package folder may not find the root's typescript; run its bin directly.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'pipe' });
}

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the run, for the tests that bound it. */
  readonly ms: number;
}

export interface RunOptions {
  readonly input?: string | Uint8Array;
  /** Kill the binary after this long (default 15 s): a hang fails the test, not the run. */
  readonly timeoutMs?: number;
}

export function run(args: readonly string[], options: RunOptions = {}): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      { timeout: options.timeoutMs ?? 15_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const ms = performance.now() - started;
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr, ms });
      },
    );
    child.stdin?.end(options.input);
  });
}

/** Runs the binary with --json and parses stdout; stderr must be empty. */
export async function runJson<T>(
  args: readonly string[],
): Promise<{ code: number; json: T; stderr: string }> {
  const result = await run([...args, '--json']);
  if (result.stdout === '') throw new Error(`no output; stderr: ${result.stderr}`);
  return { code: result.code, json: JSON.parse(result.stdout) as T, stderr: result.stderr };
}

/** Runs openssl with a closed stdin, killed after 15 s. */
export function openssl(args: readonly string[]): Promise<Omit<Result, 'ms'>> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      [...args],
      { timeout: 15_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `staple-cli-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
