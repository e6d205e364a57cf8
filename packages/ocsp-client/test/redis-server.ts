/**
 * A real redis-server for tests, on a unix socket in a temporary directory (no TCP port, so no
 * port races and nothing reachable from outside), with persistence off.
 *
 * A missing binary fails the test loudly: CI (`.ci/run`) installs redis-server, so a skip would
 * only hide a broken setup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface RedisServer {
  /** The socket path: ioredis takes it as a URL (`new Redis(url)`, `createRedisStore({ url })`). */
  readonly url: string;
  /** The same path, for `new Redis({ path })` or `createRedisStore({ path })`. */
  readonly path: string;
  /** SIGTERM, wait for the exit (SIGKILL after 3 s). The data is gone. Idempotent. */
  stop(): Promise<void>;
  /** Starts a fresh server on the same socket (stopping the current one first if running). */
  restart(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing answers (a hung server, a partition). */
  pause(): void;
  /** SIGCONT after `pause()`. */
  resume(): void;
}

const DEFAULT_BINARY = '/usr/bin/redis-server';
const START_TIMEOUT_MS = 5000;
const KILL_AFTER_MS = 3000;

export async function startRedisServer(): Promise<RedisServer> {
  const binary = findBinary();
  const dir = await mkdtemp(join(tmpdir(), 'staple-redis-'));
  const path = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;

  async function start(): Promise<void> {
    await mkdir(dir, { recursive: true });
    child = await launch(binary, dir, path);
  }

  async function stop(): Promise<void> {
    const current = child;
    child = undefined;
    if (current) await terminate(current);
    await rm(dir, { recursive: true, force: true });
  }

  await start();
  return {
    url: path,
    path,
    stop,
    async restart() {
      await stop();
      await start();
    },
    pause() {
      if (!child?.kill('SIGSTOP')) throw new Error('redis-server is not running');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
}

function findBinary(): string {
  if (existsSync(DEFAULT_BINARY)) return DEFAULT_BINARY;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'redis-server');
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(
    `redis-server not found (looked for ${DEFAULT_BINARY} and on PATH). The Redis store tests ` +
      'need a real server: install it (apt-get install redis-server); .ci/run does.',
  );
}

async function launch(binary: string, dir: string, path: string): Promise<ChildProcess> {
  const child = spawn(
    binary,
    [
      '--port',
      '0',
      '--bind',
      '127.0.0.1',
      '--unixsocket',
      path,
      '--unixsocketperm',
      '700',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 8192) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // If the test process dies first, do not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.off('exit', killOnExit));

  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
  });
  child.once('error', (error) => {
    exited = `failed to start: ${error.message}`;
  });

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) break;
    if (await pings(path)) return child;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await terminate(child);
  throw new Error(
    `redis-server did not answer PING on ${path} within ${START_TIMEOUT_MS} ms` +
      (exited ? ` (${exited})` : '') +
      `:\n${output}`,
  );
}

/** One PING over the socket; false on any failure (not listening yet, refused, garbage). */
function pings(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // A paused server would not act on SIGTERM until continued.
  child.kill('SIGCONT');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  await exited;
  clearTimeout(timer);
}
