/**
 * Captures the ClientHello a real TLS client sends: listens on 127.0.0.1, reads the first
 * connection's hello with readClientHello, then drops the connection so the client fails fast.
 */

import type { ChildProcess } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { type ReadClientHelloResult, readClientHello } from '../src/index.js';

export interface CaptureOptions {
  /** How long the client may take to connect and send its hello (default 10 s). */
  readonly timeoutMs?: number;
}

/**
 * Starts a listener, calls `run(port)` to start the client — a child process, or a promise for
 * an in-process client — and resolves with the first hello received. The connection is
 * destroyed, a child still running is killed (and waited for), and the listener is closed
 * before the promise settles, whatever happens. Rejects when the client exits or fails before
 * sending a hello (with its stderr, when piped), or after `timeoutMs`.
 */
export async function captureClientHello(
  run: (port: number) => ChildProcess | Promise<void>,
  options: CaptureOptions = {},
): Promise<ReadClientHelloResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sockets = new Set<Socket>();
  let onHello!: (result: ReadClientHelloResult) => void;
  let onFailure!: (error: unknown) => void;
  const captured = new Promise<ReadClientHelloResult>((resolve, reject) => {
    onHello = resolve;
    onFailure = reject;
  });
  let first = true;
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    if (!first) {
      socket.destroy();
      return;
    }
    first = false;
    readClientHello(socket, { timeoutMs })
      .then(onHello, onFailure)
      .finally(() => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };

  let child: ChildProcess | undefined;
  let stderr = '';
  const details = () => (stderr.trim() === '' ? '' : `; client stderr: ${stderr.trim()}`);
  const timer = setTimeout(
    () => onFailure(new Error(`no ClientHello within ${timeoutMs} ms${details()}`)),
    timeoutMs,
  );
  try {
    const started = run(port);
    if (started instanceof Promise) {
      started.then(
        () => onFailure(new Error('the client finished without sending a ClientHello')),
        (error: unknown) => onFailure(error),
      );
    } else {
      child = started;
      child.stdout?.resume();
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < 4096) stderr += chunk.toString();
      });
      child.once('error', onFailure);
      // 'close' comes after 'exit' and the end of stderr. The short wait lets a hello that is
      // already on its way win over the exit of a client that gave up once it had sent it.
      child.once('close', (code, signal) => {
        setTimeout(
          () =>
            onFailure(
              new Error(`the client exited (${signal ?? code}) before a ClientHello${details()}`),
            ),
          50,
        );
      });
    }
    return await captured;
  } finally {
    clearTimeout(timer);
    for (const socket of sockets) socket.destroy();
    if (child !== undefined) await stop(child);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Kills a child that is still running and waits (up to 5 s) for it to be gone. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 5_000)))]);
  clearTimeout(timer);
}
