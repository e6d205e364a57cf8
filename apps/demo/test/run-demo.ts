/**
 * Runs the built demo (`node dist/main.js`, the way the README's command does) as a child
 * process and reads what it prints.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEMO_DIR = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(DEMO_DIR, '../..');
export const MAIN = join(DEMO_DIR, 'dist/main.js');

/** The root `pnpm test` builds first; a run of this folder alone builds what is missing. */
export function ensureBuilt(): void {
  const newest = Math.max(
    ...readdirSync(join(DEMO_DIR, 'src')).map((f) => statSync(join(DEMO_DIR, 'src', f)).mtimeMs),
  );
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newest) return;
  // turbo finds pnpm only when it runs under it.
  const pnpm = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).packageManager;
  execFileSync(
    'npx',
    [
      '-y',
      pnpm,
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@staple/demo...',
      '--output-logs=errors-only',
    ],
    { cwd: ROOT, stdio: 'pipe' },
  );
}

export interface RunningDemo {
  readonly child: ChildProcess;
  readonly output: string;
  readonly url: string;
  readonly port: number;
  readonly rootPem: string;
  /** The `curl` and `openssl` lines it printed, in order. */
  readonly commands: readonly string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

export function startDemoProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
): Promise<RunningDemo> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`demo did not start in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    const check = (): void => {
      if (!stdout.includes('Press Ctrl-C')) return;
      clearTimeout(timer);
      const url = /Open:\s+(https:\/\/\S+)/.exec(stdout)?.[1] ?? '';
      resolve({
        child,
        output: stdout,
        url,
        port: Number(new URL(url).port),
        rootPem: /the demo root is (\S+)/.exec(stdout)?.[1] ?? '',
        commands: stdout
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line.startsWith('curl ') || line.startsWith('openssl ')),
        exited,
      });
    };
    child.stdout.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code} before it was ready:\n${stdout}\n${stderr}`));
    });
  });
}
