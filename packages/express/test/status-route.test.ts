/**
 * statusRoute(): the JSON report of every certificate, mounted only where asked, with and
 * without stapling, on a server made here or by @staple/server, and after a renewal.
 */
import * as https from 'node:https';
import { parseCertificate } from '@staple/ocsp-codec';
import { createServer as createStapleServer } from '@staple/server';
import express, { type ErrorRequestHandler } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateStatus,
  createServer,
  getStatusReport,
  getTlsFacts,
  listen,
  type StapleServer,
  type StatusReport,
  statusRoute,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  get,
  HOST,
  portOf,
  run,
  startEnv,
  type TestEnv,
  withTimeout,
} from './helpers.js';

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

describe('statusRoute', () => {
  let env: TestEnv;
  const servers: StapleServer[] = [];

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    for (const server of servers) await closeServer(server);
    await env?.close();
  });

  async function serve(
    app: express.Express,
    options: Partial<Parameters<typeof listen>[1]> = {},
  ): Promise<number> {
    const server = await listen(app, {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      host: HOST,
      ...options,
    });
    servers.push(server);
    return portOf(server);
  }

  function goodEntry(name: 'rsa' | 'ecdsa'): CertificateStatus {
    const leaf = env.pki.leaf(name);
    const subject = parseCertificate(leaf.certificate).subject;
    return {
      label: `${name === 'rsa' ? 'rsa 2048' : 'ecdsa P-256'} serial ${leaf.serialNumber} (${subject})`,
      keyType: name,
      subject,
      serialNumber: leaf.serialNumber,
      names: ['localhost', '127.0.0.1', '::1'],
      notAfter: ISO,
      mustStaple: false,
      status: 'good',
      state: 'good',
      stapling: true,
      thisUpdate: ISO,
      nextUpdate: ISO,
      producedAt: ISO,
      revocationTime: null,
      revocationReason: null,
      responderUrl: leaf.ocspUrl!,
      nextRefresh: ISO,
      servedUntil: ISO,
      source: 'responder',
      lastError: null,
      fetches: 1,
      failures: 0,
      storeHits: 0,
    };
  }

  it('reports both certificates in the order configured, and the server counters', async () => {
    const app = express();
    app.get('/staple/status', statusRoute());
    const port = await serve(app);
    const got = await get<StatusReport>(port, '/staple/status', {
      ca: env.pki.rootPem,
      agent: false,
    });
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toMatch(/^application\/json/);
    expect(got.headers['cache-control']).toBe('no-store');
    expect(got.body).toEqual({
      certificates: [goodEntry('rsa'), goodEntry('ecdsa')],
      server: {
        accepted: 1,
        handedToTls: 1,
        plainHttp: 0,
        badHello: 0,
        noCertificate: 0,
        mustStapleRefused: 0,
        helloAtAccept: 0,
      },
    });
    expect(got.body.certificates[0]?.subject).toContain(`CN=${env.pki.leaf('rsa').commonName}`);
  });

  it('is not there unless mounted', async () => {
    const app = express();
    app.get('/', (_req, res) => {
      res.send('hello');
    });
    const port = await serve(app);
    const home = await get<string>(port, '/', { ca: env.pki.rootPem, agent: false });
    expect(home.body).toBe('hello');
    const status = await get(port, '/staple/status', { ca: env.pki.rootPem, agent: false });
    expect(status.status).toBe(404);
  });

  it('stapling: false: still answers, every certificate with status none', async () => {
    const app = express();
    app.get('/staple/status', statusRoute());
    app.get('/', (req, res) => {
      res.json(getTlsFacts(req)?.staple);
    });
    const port = await serve(app, { stapling: false });
    const got = await get<StatusReport>(port, '/staple/status', {
      ca: env.pki.rootPem,
      agent: false,
    });
    expect(got.body.certificates.map((c) => [c.keyType, c.status, c.state, c.stapling])).toEqual([
      ['rsa', 'none', 'off', false],
      ['ecdsa', 'none', 'off', false],
    ]);
    expect(got.body.certificates[0]).toMatchObject({ thisUpdate: null, fetches: 0 });
    const page = await get<{ stapled: boolean; status: string }>(port, '/', {
      ca: env.pki.rootPem,
      agent: false,
    });
    expect(page.body).toMatchObject({ stapled: false, status: 'none', state: 'off' });
    // And curl, which insists on a staple, refuses the server.
    const curl = await run('curl', [
      '--silent',
      '--max-time',
      '8',
      '--cacert',
      env.files.root,
      '--cert-status',
      `https://localhost:${port}/`,
    ]);
    // 91: CURLE_SSL_INVALIDCERTSTATUS (no OCSP response received).
    expect(curl.code).toBe(91);
  });

  it('statusRoute(server) for a server made by @staple/server itself', async () => {
    const app = express();
    const server = createStapleServer(
      { certificates: certificatesOf(env.pki, ['ecdsa', 'rsa']) },
      app,
    );
    app.get('/status', statusRoute(server));
    servers.push(server);
    await server.ready();
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    const got = await get<StatusReport>(portOf(server), '/status', {
      ca: env.pki.rootPem,
      agent: false,
    });
    // Without our createServer, the certificates are those its stapler holds.
    expect(got.body.certificates.map((c) => c.serialNumber).sort()).toEqual(
      [env.pki.leaf('ecdsa').serialNumber, env.pki.leaf('rsa').serialNumber].sort(),
    );
    expect(got.body.certificates.every((c) => c.status === 'good')).toBe(true);
  });

  it('statusRoute() on a request that did not come through our server: ERR_STAPLE_EXPRESS_NO_SERVER', async () => {
    const app = express();
    app.get('/status', statusRoute());
    app.get('/tls', (req, res) => {
      res.json({ facts: getTlsFacts(req) ?? null });
    });
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      res.status(500).json({ code: (error as { code?: string }).code });
    };
    app.use(onError);
    const leaf = env.pki.leaf('ecdsa');
    const plain = https.createServer({ key: leaf.privateKeyPem, cert: leaf.chainPem }, app);
    await new Promise<void>((resolve) => plain.listen(0, HOST, resolve));
    try {
      const status = await get<{ code: string }>(portOf(plain), '/status', {
        ca: env.pki.rootPem,
        agent: false,
      });
      expect(status.status).toBe(500);
      expect(status.body.code).toBe('ERR_STAPLE_EXPRESS_NO_SERVER');
      const tls = await get<{ facts: unknown }>(portOf(plain), '/tls', {
        ca: env.pki.rootPem,
        agent: false,
      });
      expect(tls.body.facts).toBeNull();
    } finally {
      plain.closeAllConnections();
      await withTimeout(new Promise((resolve) => plain.close(resolve)), 5_000, 'close');
    }
  });

  it('follows setCertificates (renewal): the report lists the new certificates', async () => {
    const app = express();
    const server = createServer(app, { certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']) });
    servers.push(server);
    await server.ready();
    expect(getStatusReport(server).certificates.map((c) => c.keyType)).toEqual(['rsa', 'ecdsa']);
    server.setCertificates(certificatesOf(env.pki, ['ecdsa']));
    const report = getStatusReport(server);
    expect(report.certificates.map((c) => c.serialNumber)).toEqual([
      env.pki.leaf('ecdsa').serialNumber,
    ]);
    // The certificate that stayed kept its staple.
    expect(report.certificates[0]?.status).toBe('good');
    // A bad list is refused by the server, and the report keeps the old one.
    expect(() => server.setCertificates([])).toThrow();
    expect(getStatusReport(server).certificates).toHaveLength(1);
  });
});
