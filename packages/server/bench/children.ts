/**
 * The handshake bench's child processes: Node scripts speaking JSON lines (one message per
 * line on stdout, commands on stdin), started under `taskset` when asked, and one registry of
 * everything the bench started (child processes, nginx's master and workers, temp dirs) so
 * that all of it is killed and removed however the bench ends: normally, on error, on
 * SIGINT/SIGTERM/SIGHUP, or by its watchdog.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const children = new Set<ChildProcess>();
const pids = new Set<number>();
const tempDirs = new Set<string>();

/** A child process to kill at the end (and forget once it has exited). */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** A process that is not our child (nginx's master and workers) to kill at the end. */
export function trackPid(pid: number): void {
  if (pid > 0) pids.add(pid);
}

/** Forget a pid once its process has been seen to exit (pids are reused). */
export function untrackPid(pid: number): void {
  pids.delete(pid);
}

export function trackTempDir(dir: string): string {
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to everything still running, temp dirs removed. Synchronous: usable on exit. */
export function killEverything(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const pid of pids) {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  pids.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Kill everything on the usual signals and on exit, however it comes. */
export function installCleanup(): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`\nBENCH STOPPED by ${signal}: killing child processes`);
      killEverything();
      process.exit(130);
    });
  }
  process.once('exit', killEverything);
}

export interface ChildOptions {
  /** Script path and its arguments. */
  readonly script: string;
  readonly args: readonly string[];
  /** Extra node flags (before the script). */
  readonly nodeArgs?: readonly string[];
  /** `taskset -c <cpus>`; undefined: whatever affinity this process has. */
  readonly cpus?: string | undefined;
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Resolve our packages to their TypeScript sources (the `source` export condition), as
   * everywhere in the repository; false: to their built `dist` (see build-ours.ts). Default true.
   */
  readonly sourceConditions?: boolean;
}

/**
 * Whether the bench's server processes load our packages from their sources (through tsx's
 * esbuild transform: BENCH_OURS_LOADER=tsx) rather than from `dist` as they ship.
 */
export const OURS_FROM_SOURCE = process.env['BENCH_OURS_LOADER'] === 'tsx';

/** A Node script in its own process (run through tsx), spoken to in JSON lines. */
export class Child<M extends { type: string }> {
  readonly #name: string;
  readonly #process: ChildProcess;
  readonly #queue: M[] = [];
  readonly #waiting: { resolve: (m: M) => void; reject: (e: Error) => void }[] = [];
  #gone: Error | undefined;
  readonly exited: Promise<number | null>;

  constructor(name: string, options: ChildOptions) {
    this.#name = name;
    const node = [
      process.execPath,
      ...(options.sourceConditions === false ? [] : ['--conditions=source']),
      '--import',
      'tsx',
      ...(options.nodeArgs ?? []),
      options.script,
      ...options.args,
    ];
    // taskset execs node: the pid is node's.
    const [command, ...rest] = options.cpus ? ['taskset', '-c', options.cpus, ...node] : node;
    this.#process = spawn(command!, rest, {
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'inherit'],
      env: options.env ?? process.env,
    });
    trackChild(this.#process);
    const lines = createInterface({ input: this.#process.stdout! });
    lines.on('line', (line) => {
      let message: M;
      try {
        message = JSON.parse(line) as M;
      } catch {
        process.stderr.write(`[${name}] ${line}\n`);
        return;
      }
      if (message.type === 'error') {
        this.#fail(new Error(`${name}: ${(message as { message?: string }).message}`));
        return;
      }
      const waiter = this.#waiting.shift();
      if (waiter) waiter.resolve(message);
      else this.#queue.push(message);
    });
    this.exited = new Promise((resolve) => {
      this.#process.once('exit', (code, signal) => {
        this.#fail(new Error(`${name} exited (code ${code}, signal ${signal})`));
        resolve(code);
      });
    });
    this.#process.once('error', (error) => this.#fail(error));
  }

  get pid(): number {
    return this.#process.pid ?? -1;
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#gone);
  }

  /** The next message, within timeoutMs. */
  next(timeoutMs: number): Promise<M> {
    const queued = this.#queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#gone) return Promise.reject(this.#gone);
    return new Promise<M>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(new Error(`${this.#name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (m: M) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.#waiting.push(waiter);
    });
  }

  async request(line: string, timeoutMs: number): Promise<M> {
    if (this.#gone) throw this.#gone;
    this.#process.stdin!.write(`${line}\n`);
    return this.next(timeoutMs);
  }

  /** Asks it to exit; kills it (by its pid) if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    this.#gone ??= new Error(`${this.#name} was stopped`);
    this.#process.stdin!.end('exit\n');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Sends `signal`, then SIGKILL after `graceMs` if it has not exited. */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals,
  graceMs = 15_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
