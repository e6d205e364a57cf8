/**
 * The socket options a tls.Server or https.Server applies when it accepts a connection reach
 * ours, which is the one accepting: allowHalfOpen (seen by a client that half-closes) and
 * TCP_NODELAY (on by default for HTTPS, as in https.Server).
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttp2Server,
  createServer,
  createTlsServer,
  type StapleServer,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  HOST,
  listen,
  startEnv,
  type TestEnv,
  withTimeout,
} from './helpers.js';

describe('socket options applied at accept', () => {
  let env: TestEnv | undefined;
  let server: StapleServer | undefined;

  afterEach(async () => {
    if (server) await closeServer(server);
    await env?.close();
    server = undefined;
    env = undefined;
  });

  it('allowHalfOpen: the server can still answer a client that has ended its side', async () => {
    env = await startEnv();
    server = createTlsServer(
      { certificates: certificatesOf(env.pki, ['ecdsa']), stapling: false, allowHalfOpen: true },
      (socket) => {
        socket.on('end', () => setTimeout(() => socket.end('answer after your end'), 20));
        socket.resume();
      },
    );
    const port = await listen(server);
    // tls.connect passes allowHalfOpen on to its socket; @types/node does not declare it.
    const client = tls.connect({
      host: HOST,
      port,
      servername: 'localhost',
      ca: env.pki.rootPem,
      allowHalfOpen: true,
    } as tls.ConnectionOptions);
    const text = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let received = '';
        client.setEncoding('utf8');
        client.on('data', (d: string) => {
          received += d;
        });
        client.on('end', () => resolve(received));
        client.on('error', reject);
        client.once('secureConnect', () => client.end());
      }),
      5_000,
      'half-closed exchange',
    );
    client.destroy();
    expect(text).toBe('answer after your end');
  });

  it('TCP_NODELAY as Node sets it: on for HTTPS, off for TLS and HTTP/2 unless asked', async () => {
    env = await startEnv();
    const certificates = certificatesOf(env.pki, ['ecdsa']);
    // net.Server applies `noDelay` to every socket it accepts; Node keeps it on the server.
    const noDelay = (s: net.Server) => (s as net.Server & { noDelay?: boolean }).noDelay;
    const servers = [
      createServer({ certificates, stapling: false }),
      createServer({ certificates, stapling: false, noDelay: false }),
      createTlsServer({ certificates, stapling: false }),
      createTlsServer({ certificates, stapling: false, noDelay: true }),
      createHttp2Server({ certificates, stapling: false }),
    ];
    try {
      expect(servers.map(noDelay)).toEqual([true, false, false, true, false]);
    } finally {
      for (const s of servers) s.close();
    }
  });
});
