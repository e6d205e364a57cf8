/**
 * The orchestrator's side of a bench child process: started with node + tsx (and our sources
 * through the `source` condition), optionally pinned to a core with taskset, spoken to in JSON
 * lines. Every child is killed (by its pid) if the orchestrator exits first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const tsx = import.meta.resolve('tsx');
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** taskset works and there are two cores to pin a server and a client apart. */
export const canPin =
  os.cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export interface ChildOptions {
  /** Pin to this core (when pinning is possible). */
  readonly core?: number;
  readonly nodeArgs?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

export class Child<M extends { type: string }> {
  readonly name: string;
  readonly #process: ChildProcess;
  readonly #queue: M[] = [];
  readonly #waiting: { resolve: (m: M) => void; reject: (e: Error) => void }[] = [];
  #gone: Error | undefined;
  readonly exited: Promise<void>;

  /** `script` is a file name in this directory, e.g. `server-process.ts`. */
  constructor(name: string, script: string, options: ChildOptions = {}) {
    this.name = name;
    const node = [
      process.execPath,
      '--conditions=source',
      '--import',
      tsx,
      ...(options.nodeArgs ?? []),
      fileURLToPath(new URL(script, import.meta.url)),
      ...(options.args ?? []),
    ];
    const pin = canPin && options.core !== undefined;
    const [command, ...rest] = pin ? ['taskset', '-c', String(options.core), ...node] : node;
    this.#process = spawn(command!, rest, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, ...options.env },
    });
    live.add(this.#process);
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
        live.delete(this.#process);
        this.#fail(new Error(`${name} exited (code ${code}, signal ${signal})`));
        resolve();
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
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
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

  /** Sends a command (a string or an object) and waits for the answer of the given type. */
  async request<T extends M['type']>(
    command: string | object,
    type: T,
    timeoutMs: number,
  ): Promise<Extract<M, { type: T }>> {
    if (this.#gone) throw this.#gone;
    const line = typeof command === 'string' ? command : JSON.stringify(command);
    this.#process.stdin!.write(`${line}\n`);
    const message = await this.next(timeoutMs);
    if (message.type !== type) {
      throw new Error(`${this.name}: expected ${type}, got ${JSON.stringify(message)}`);
    }
    return message as Extract<M, { type: T }>;
  }

  /** Asks it to exit; kills it (by its pid) if it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    this.#gone ??= new Error(`${this.name} was stopped`);
    this.#process.stdin!.end('exit\n');
    const timer = setTimeout(() => this.#process.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
