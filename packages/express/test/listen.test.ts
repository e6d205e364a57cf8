/**
 * listen(): resolves once listening with the first staples in, rejects with the listen error
 * (EADDRINUSE) leaving nothing running, and close() leaves no handle or timer behind.
 */
import * as https from 'node:https';
import * as net from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, statusRoute } from '../src/index.js';
import {
  certificatesOf,
  get,
  HOST,
  portOf,
  startEnv,
  type TestEnv,
  withTimeout,
} from './helpers.js';

/**
 * Timers for the stapler the server owns, counting those still pending: the stapler's own are
 * unref'd, so process.getActiveResourcesInfo() would not show one left running.
 */
function countingTimers() {
  const pending = new Set<ReturnType<typeof setTimeout>>();
  return {
    pending,
    setTimeout(callback: () => void, ms: number) {
      const handle = setTimeout(() => {
        pending.delete(handle);
        callback();
      }, ms);
      handle.unref();
      pending.add(handle);
      return handle;
    },
    clearTimeout(handle: unknown) {
      pending.delete(handle as ReturnType<typeof setTimeout>);
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

/** Counts of the handle kinds that keep a process alive and a server could leave behind. */
function handles(): Record<string, number> {
  const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind]!++;
  }
  return counts;
}

/**
 * The handle counts once what earlier tests closed has gone: libuv lets a closed handle go a
 * loop turn or two after its close callback.
 */
async function settledHandles(): Promise<Record<string, number>> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return handles();
}

/** Polls until no kind of handle outnumbers `baseline`; fails after 2 s. */
async function backTo(baseline: Record<string, number>): Promise<void> {
  const above = () => Object.entries(handles()).filter(([kind, n]) => n > (baseline[kind] ?? 0));
  const deadline = Date.now() + 2_000;
  while (above().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(Object.fromEntries(above())).toEqual({});
}

describe('listen', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    await env?.close();
  });

  function app() {
    const a = express();
    a.get('/staple/status', statusRoute());
    a.get('/', (_req, res) => {
      res.send('ok');
    });
    return a;
  }

  it('resolves listening, with the first staples already in (ready)', async () => {
    const server = await listen(app(), {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      host: HOST,
    });
    try {
      expect(server.listening).toBe(true);
      expect(server.stapler?.status().map((s) => s.state)).toEqual(['good', 'good']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ready: false resolves once listening, without waiting for the responder', async () => {
    env.responder.setFault({ kind: 'slow', delayMs: 300 });
    try {
      const server = await listen(app(), {
        certificates: certificatesOf(env.pki, ['ecdsa']),
        host: HOST,
        ready: false,
      });
      expect(server.listening).toBe(true);
      expect(server.stapler?.status()[0]?.state).toBe('pending');
      await server.ready();
      expect(server.stapler?.status()[0]?.state).toBe('good');
      await new Promise((resolve) => server.close(resolve));
    } finally {
      env.responder.setFault(null);
    }
  });

  it('rejects with EADDRINUSE and leaves nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, HOST, resolve));
    try {
      const baseline = await settledHandles();
      const timers = countingTimers();
      const error = await listen(app(), {
        certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
        stapling: { timers },
        host: HOST,
        port: portOf(blocker),
      }).then(
        () => undefined,
        (e: unknown) => e as NodeJS.ErrnoException,
      );
      expect(error?.code).toBe('EADDRINUSE');
      // The stapler had scheduled its refreshes; they were stopped with the server.
      expect(timers.pending.size).toBe(0);
      await backTo(baseline);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('close() resolves with a keep-alive client still connected and leaves no handle', async () => {
    const baseline = await settledHandles();
    const timers = countingTimers();
    const server = await listen(app(), {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      stapling: { timers },
      host: HOST,
    });
    expect(timers.pending.size).toBeGreaterThan(0);
    const agent = new https.Agent({ keepAlive: true, ca: env.pki.rootPem });
    try {
      const got = await get(portOf(server), '/', { ca: env.pki.rootPem, agent });
      expect(got.body).toBe('ok');
      // The idle keep-alive connection is closed by close(), which then calls back.
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          server.close((error) => (error ? reject(error) : resolve())),
        ),
        5_000,
        'server.close',
      );
    } finally {
      agent.destroy();
    }
    expect(timers.pending.size).toBe(0);
    await backTo(baseline);
  });
});
