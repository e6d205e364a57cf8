/**
 * The HTTPS server as users know it: keep-alive, per-request TLS facts from getStapleInfo,
 * session resumption across the per-certificate contexts, certificate replacement under live
 * connections, and a close() that is prompt and leaves no timer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, createTlsServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  activeTimeouts,
  certificatesOf,
  closeServer,
  endWith,
  HOST,
  listen,
  nodeHandshake,
  type StapleInfoLine,
  serialOfPeer,
  stapleSerial,
  startEnv,
  type TestEnv,
  withTimeout,
} from './helpers.js';

interface Reply extends StapleInfoLine {
  readonly remotePort: number;
}

interface Got {
  readonly status: number;
  readonly body: Reply;
  readonly reusedSocket: boolean;
  readonly socket: net.Socket;
}

function get(port: number, agent: https.Agent, path = '/', timeoutMs = 5_000): Promise<Got> {
  return withTimeout(
    new Promise<Got>((resolve, reject) => {
      const req = https.get(
        { host: HOST, port, servername: 'localhost', path, agent },
        (res: IncomingMessage) => {
          // Taken now: a keep-alive socket goes back to the agent at the end of the response.
          const socket = res.socket;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            text += d;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(text) as Reply,
              reusedSocket: req.reusedSocket,
              socket,
            }),
          );
        },
      );
      req.on('error', reject);
    }),
    timeoutMs,
    `GET ${path}`,
  );
}

/** Answers with the server's view of the connection; `/slow` waits for `release()`. */
function handler() {
  const waiting: (() => void)[] = [];
  const arrived: { count: number; resolve: () => void }[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const info = getStapleInfo(req.socket);
    const reply: Reply = {
      keyType: info?.keyType ?? 'none',
      serial: info?.certificate.serialNumber ?? '',
      stapled: info?.stapled ?? false,
      serverName: info?.hello?.serverName ?? null,
      remotePort: req.socket.remotePort ?? 0,
    };
    const send = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(reply));
    };
    if (req.url === '/slow') {
      waiting.push(send);
      for (const a of arrived.filter((a) => waiting.length >= a.count)) a.resolve();
    } else {
      send();
    }
  };
  return {
    listener,
    /** Resolves when `count` /slow requests are waiting. */
    slowArrived: (count = 1) =>
      waiting.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            arrived.push({ count, resolve });
          }),
    release: () => {
      for (const send of waiting.splice(0)) send();
    },
  };
}

/**
 * Over TLS: writes `text`, then collects what the server sends until it closes or `until`
 * matches (then closes itself). Bounded by `timeoutMs`.
 */
function exchange(
  port: number,
  ca: string,
  text: string,
  until?: RegExp,
  timeoutMs = 3_000,
): Promise<{ received: string; closedByServer: boolean }> {
  return withTimeout(
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: HOST, port, servername: 'localhost', ca }, () =>
        socket.write(text),
      );
      let received = '';
      let done = false;
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => {
        received += d;
        if (until?.test(received) && !done) {
          done = true;
          socket.destroy();
          resolve({ received, closedByServer: false });
        }
      });
      socket.on('error', (error) => (received ? undefined : reject(error)));
      socket.on('close', () => {
        if (!done) resolve({ received, closedByServer: true });
      });
    }),
    timeoutMs,
    'TLS exchange',
  );
}

describe('HTTPS server', () => {
  let env: TestEnv;
  let server: StapleServer | undefined;
  const agents: https.Agent[] = [];

  const agent = (options: https.AgentOptions = {}) => {
    const a = new https.Agent({
      ca: env.pki.rootPem,
      requestOCSP: true,
      ...options,
    });
    agents.push(a);
    return a;
  };

  beforeEach(async () => {
    env = await startEnv();
  });

  afterEach(async () => {
    for (const a of agents.splice(0)) a.destroy();
    if (server) await closeServer(server);
    server = undefined;
    await env.close();
  });

  it('keep-alive: two requests on one connection, each with the TLS facts of that connection', async () => {
    const h = handler();
    server = createServer({ certificates: certificatesOf(env.pki) }, h.listener);
    await server.ready();
    const port = await listen(server);
    const a = agent({ keepAlive: true, maxSockets: 1 });

    const first = await get(port, a);
    const second = await get(port, a);
    expect(first.status).toBe(200);
    expect(second.reusedSocket).toBe(true);
    expect(second.socket).toBe(first.socket);
    expect(second.body.remotePort).toBe(first.body.remotePort);
    for (const reply of [first.body, second.body]) {
      expect(reply).toMatchObject({
        keyType: 'ecdsa',
        serial: env.pki.leaf('ecdsa').serialNumber,
        stapled: true,
        serverName: 'localhost',
      });
    }

    // An RSA-only client on its own connection: its facts, not the other connection's.
    const rsa = await get(
      port,
      agent({ ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }),
    );
    expect(rsa.body).toMatchObject({
      keyType: 'rsa',
      serial: env.pki.leaf('rsa').serialNumber,
      stapled: true,
    });
    // A client that did not ask for a staple.
    const plain = await get(port, agent({ requestOCSP: false }));
    expect(plain.body).toMatchObject({ keyType: 'ecdsa', stapled: false });
  });

  for (const version of ['TLSv1.3', 'TLSv1.2'] as const) {
    it(`${version} session resumption across connections, with the same certificate`, async () => {
      const chosen: string[] = [];
      server = createTlsServer({ certificates: certificatesOf(env.pki) }, (socket) => {
        const info = getStapleInfo(socket);
        chosen.push(info?.keyType ?? 'none');
        endWith(`${info?.keyType} ${info?.certificate.serialNumber} stapled=${info?.stapled}`)(
          socket,
        );
      });
      await server.ready();
      const port = await listen(server);

      const rsaOnly = {
        ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
        sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
      };
      for (const options of [{}, rsaOnly]) {
        const opts = { ...options, minVersion: version, maxVersion: version };
        const first = await nodeHandshake(port, env.pki.rootPem, opts);
        expect(first.reused).toBe(false);
        expect(first.session).toBeInstanceOf(Buffer);
        expect(first.ocsp).toBeInstanceOf(Buffer);
        expect(first.data).toBe(
          `${serialOfPeer(first.peer) === env.pki.leaf('rsa').serialNumber ? 'rsa' : 'ecdsa'} ${serialOfPeer(first.peer)} stapled=true`,
        );
        const second = await nodeHandshake(port, env.pki.rootPem, {
          ...opts,
          session: first.session!,
        });
        expect(second.protocol).toBe(version);
        expect(second.reused).toBe(true);
        // A resumed handshake sends no certificate (so no staple); the server chose the same one.
        expect(second.ocsp ?? null).toBeNull();
        expect(second.data).toBe(first.data.replace('stapled=true', 'stapled=false'));
      }
      expect(chosen).toEqual(['ecdsa', 'ecdsa', 'rsa', 'rsa']);
    });
  }

  it('setCertificates: the open connection carries on, new connections get the new certificate and its staple', async () => {
    const h = handler();
    server = createServer({ certificates: certificatesOf(env.pki) }, h.listener);
    await server.ready();
    const port = await listen(server);
    const oldLeaf = env.pki.leaf('ecdsa');
    const newLeaf = await env.pki.issueLeaf({ name: 'ecdsa-renewed', keyType: 'ecdsa-p256' });

    const kept = agent({ keepAlive: true, maxSockets: 1 });
    const before = await get(port, kept);
    expect(before.body.serial).toBe(oldLeaf.serialNumber);
    // A request in flight while the certificates change.
    const inFlight = get(port, kept, '/slow');
    await withTimeout(h.slowArrived(), 3_000, '/slow arrives');

    const requests = env.responder.requestCount;
    server.setCertificates([
      { key: newLeaf.privateKeyPem, cert: newLeaf.chainPem },
      { key: env.pki.leaf('rsa').privateKeyPem, cert: env.pki.leaf('rsa').chainPem },
    ]);
    await server.ready();
    // The new certificate was fetched for; the RSA one, unchanged, was not fetched again.
    expect(env.responder.requestCount).toBe(requests + 1);
    expect(server.stapler!.get(newLeaf.certificate)).toBeDefined();
    expect(server.stapler!.get(oldLeaf.certificate)).toBeUndefined();
    expect(
      server
        .stapler!.status()
        .map((s) => s.serialNumber)
        .sort(),
    ).toEqual([newLeaf.serialNumber, env.pki.leaf('rsa').serialNumber].sort());

    h.release();
    const during = await inFlight;
    expect(during.status).toBe(200);
    expect(during.socket).toBe(before.socket);
    expect(during.body.serial).toBe(oldLeaf.serialNumber);
    // The same connection still works after the change (old certificate, as negotiated).
    const after = await get(port, kept);
    expect(after.reusedSocket).toBe(true);
    expect(after.socket).toBe(before.socket);
    expect(after.body.serial).toBe(oldLeaf.serialNumber);

    // New connections: the new certificate, with its own staple.
    const fresh = await get(port, agent());
    expect(fresh.body).toMatchObject({
      keyType: 'ecdsa',
      serial: newLeaf.serialNumber,
      stapled: true,
    });
    const tlsFacts = await nodeHandshake(port, env.pki.rootPem, { end: true });
    expect(serialOfPeer(tlsFacts.peer)).toBe(newLeaf.serialNumber);
    expect(stapleSerial(tlsFacts.ocsp!)).toBe(newLeaf.serialNumber);
  });

  it('after the handshake, a client that never finishes its headers gets 408 (headersTimeout)', async () => {
    server = createServer(
      {
        certificates: certificatesOf(env.pki),
        // http.Server options, passed through to the HTTPS servers inside.
        ...({
          headersTimeout: 400,
          requestTimeout: 600,
          connectionsCheckingInterval: 100,
        } as object),
      },
      handler().listener,
    );
    await server.ready();
    for (const life of ['first', 'after close() and listen() again']) {
      const port = await listen(server);
      const started = Date.now();
      const slow = await exchange(port, env.pki.rootPem, 'GET / HTTP/1.1\r\nHost: localhost\r\n');
      expect(slow.received, life).toMatch(/^HTTP\/1\.1 408 /);
      expect(slow.closedByServer).toBe(true);
      expect(Date.now() - started, life).toBeLessThan(2_500);
      await closeServer(server);
    }
  });

  it("HTTP errors after the handshake get Node's own answers when nobody listens for them", async () => {
    server = createServer({ certificates: certificatesOf(env.pki) }, handler().listener);
    await server.ready();
    const port = await listen(server);
    const ca = env.pki.rootPem;

    // A malformed request: 400 and close (no 'clientError' listener).
    const bad = await exchange(port, ca, 'NOT HTTP AT ALL\r\n\r\n');
    expect(bad.received).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(bad.closedByServer).toBe(true);

    // Expect: 100-continue with no 'checkContinue' listener: 100 Continue, then 'request'.
    const cont = await exchange(
      port,
      ca,
      'POST / HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n',
      /100 Continue\r\n\r\n/,
    );
    expect(cont.received).toMatch(/^HTTP\/1\.1 100 Continue/);

    // An Upgrade request with no 'upgrade' listener is an ordinary request.
    const upgrade = await exchange(
      port,
      ca,
      'GET / HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      /"keyType"/,
    );
    expect(upgrade.received).toMatch(/^HTTP\/1\.1 200 OK/);

    // Once the user listens for 'clientError', it is theirs to answer.
    const seen: string[] = [];
    const onClientError = (error: { code?: string }, socket: net.Socket) => {
      seen.push(error.code ?? '');
      socket.end('HTTP/1.1 400 Bad Request\r\nX-Handled-By: user\r\n\r\n');
    };
    server.on('clientError', onClientError);
    const handled = await exchange(port, ca, 'NOT HTTP AT ALL\r\n\r\n');
    expect(handled.received).toContain('X-Handled-By: user');
    expect(seen).toEqual(['HPE_INVALID_METHOD']);
    // ...and Node's default again once they stop.
    server.off('clientError', onClientError);
    const again = await exchange(port, ca, 'NOT HTTP AT ALL\r\n\r\n');
    expect(again.received).not.toContain('X-Handled-By');
    expect(again.received).toMatch(/^HTTP\/1\.1 400 Bad Request/);
  });

  it('close(): prompt with an idle keep-alive connection (also one from before setCertificates), no timer left', async () => {
    const timersBefore = activeTimeouts();
    server = createServer({ certificates: certificatesOf(env.pki) }, handler().listener);
    await server.ready();
    const port = await listen(server);

    const idleOld = agent({ keepAlive: true });
    const old = await get(port, idleOld);
    server.setCertificates(certificatesOf(env.pki, ['rsa', 'ecdsa']));
    await server.ready();
    const idleNew = agent({ keepAlive: true });
    const fresh = await get(port, idleNew);
    expect(fresh.socket).not.toBe(old.socket);

    const closedSockets = [old.socket, fresh.socket].map(
      (s) =>
        new Promise<void>((resolve) =>
          s.destroyed ? resolve() : s.once('close', () => resolve()),
        ),
    );
    const started = Date.now();
    // No closeAllConnections: close() itself must let go of idle keep-alive connections.
    await withTimeout(
      new Promise<void>((resolve, reject) =>
        server!.close((error) => (error ? reject(error) : resolve())),
      ),
      2_000,
      'close() with idle keep-alive connections',
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    await withTimeout(Promise.all(closedSockets), 1_000, 'clients see the close');
    server = undefined;
    expect(activeTimeouts()).toBeLessThanOrEqual(timersBefore);
  });

  it('closeAllConnections(): ends a request in flight, on a current or a replaced certificate', async () => {
    const h = handler();
    server = createServer({ certificates: certificatesOf(env.pki) }, h.listener);
    await server.ready();
    const port = await listen(server);

    const early = get(port, agent(), '/slow').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    await withTimeout(h.slowArrived(), 3_000, 'first /slow');
    server.setCertificates(certificatesOf(env.pki, ['rsa', 'ecdsa']));
    const late = get(port, agent(), '/slow').then(
      () => 'answered',
      (error: NodeJS.ErrnoException) => error.code ?? 'error',
    );
    await withTimeout(h.slowArrived(2), 3_000, 'second /slow');

    server.closeAllConnections();
    expect(await withTimeout(early, 2_000, 'early request')).toBe('ECONNRESET');
    expect(await withTimeout(late, 2_000, 'late request')).toBe('ECONNRESET');
  });
});
