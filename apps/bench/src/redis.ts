/**
 * A redis-server of our own for the fleet: a unix socket in a temporary directory (no TCP port,
 * nothing reachable from outside), persistence off. `kill()` is SIGKILL (what the outage is
 * meant to be: no goodbye to the clients); `start()` brings a fresh, empty one back on the same
 * socket. Adapted from packages/ocsp-client/test/redis-server.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BINARY = existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : 'redis-server';
const START_TIMEOUT_MS = 5_000;

export interface BenchRedis {
  readonly path: string;
  /** Starts a fresh server on the socket (no-op when one is running). */
  start(): Promise<void>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Kill and remove the directory. */
  close(): Promise<void>;
}

export async function startRedis(): Promise<BenchRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'staple-bench-redis-'));
  const path = join(dir, 'redis.sock');
  let child: ChildProcess | undefined;
  const killOnExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);

  const redis: BenchRedis = {
    path,
    async start() {
      if (child) return;
      const spawned = spawn(
        BINARY,
        [
          '--port',
          '0',
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
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let output = '';
      spawned.stderr?.on('data', (chunk: Buffer) => {
        if (output.length < 4096) output += chunk.toString('utf8');
      });
      let exited = false;
      spawned.once('exit', () => {
        exited = true;
      });
      spawned.once('error', () => {
        exited = true;
      });
      const deadline = Date.now() + START_TIMEOUT_MS;
      while (Date.now() < deadline && !exited) {
        if (await pings(path)) {
          child = spawned;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      spawned.kill('SIGKILL');
      throw new Error(`redis-server did not answer on ${path}:\n${output}`);
    },
    async kill() {
      const current = child;
      child = undefined;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill('SIGKILL');
      await exited;
    },
    async close() {
      await redis.kill();
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}

/** One PING over the socket; false on any failure. */
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
