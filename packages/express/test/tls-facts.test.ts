/**
 * req.tls over real HTTPS with node:https as the client: the certificate the client actually got
 * (ECDSA by default, RSA when the client can only take RSA), its staple, what the client offered,
 * and the fingerprint kept for the whole keep-alive connection.
 */
import { createHash } from 'node:crypto';
import * as https from 'node:https';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FingerprintFacts,
  getTlsFacts,
  listen,
  type StapleServer,
  type TlsFacts,
  tlsFacts,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  get,
  HOST,
  portOf,
  serialOfPeer,
  startEnv,
  type TestEnv,
} from './helpers.js';

interface Reply {
  readonly tls: TlsFacts | undefined;
  /** getTlsFacts(req) is req.tls. */
  readonly same: boolean;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('req.tls with node:https', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    env = await startEnv();
    ca = env.pki.rootPem;
    const app = express();
    // Before the middleware: only getTlsFacts.
    app.get('/raw', (req, res) => {
      res.json({ hasTls: req.tls !== undefined, facts: getTlsFacts(req) ?? null });
    });
    app.use(tlsFacts());
    app.get('/tls', (req, res) => {
      res.json({ tls: req.tls, same: getTlsFacts(req) === req.tls } satisfies Reply);
    });
    const seen = new WeakMap<object, FingerprintFacts | null>();
    app.get('/fingerprint', (req, res) => {
      const fingerprint = req.tls!.fingerprint;
      const first = seen.get(req.socket);
      if (!first) seen.set(req.socket, fingerprint);
      res.json({ fingerprint, sameObject: first ? first === fingerprint : null });
    });
    server = await listen(app, {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      port: 0,
      host: HOST,
    });
    port = portOf(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('a TLS 1.3 client that asks for a staple: the ECDSA certificate, stapled, good', async () => {
    const got = await get<Reply>(port, '/tls', {
      ca,
      agent: false,
      ALPNProtocols: ['http/1.1'],
      requestOCSP: true,
    });
    expect(got.status).toBe(200);
    const { tls, same } = got.body;
    expect(same).toBe(true);
    const leaf = env.pki.leaf('ecdsa');
    // What the client got, and what the server says it served.
    expect(serialOfPeer(got.peer)).toBe(leaf.serialNumber);
    expect(tls?.certificate).toEqual({
      keyType: 'ecdsa',
      subject: expect.stringContaining(`CN=${leaf.commonName}`),
      issuer: expect.stringContaining(`CN=${env.pki.intermediate.commonName}`),
      serialNumber: leaf.serialNumber,
      notBefore: new Date(got.peer.valid_from).toISOString(),
      notAfter: new Date(got.peer.valid_to).toISOString(),
      names: ['localhost', '127.0.0.1', '::1'],
      mustStaple: false,
    });
    expect(tls?.staple).toMatchObject({
      stapled: true,
      status: 'good',
      state: 'good',
      stapling: true,
      responderUrl: leaf.ocspUrl,
      revocationTime: null,
      revocationReason: null,
      source: 'responder',
      lastError: null,
    });
    for (const key of ['thisUpdate', 'nextUpdate', 'producedAt', 'nextRefresh', 'servedUntil']) {
      expect(tls?.staple[key as keyof TlsFacts['staple']]).toMatch(ISO);
    }
    expect(tls?.client).toMatchObject({
      sni: 'localhost',
      alpn: ['http/1.1'],
      statusRequest: true,
    });
    expect(tls?.client?.versions).toContain('TLS 1.3');
    expect(tls?.client?.cipherSuites).toContain('TLS_AES_128_GCM_SHA256');
    expect(tls?.client?.groups).toContain('x25519');
    expect(tls?.client?.signatureSchemes).toContain('ecdsa_secp256r1_sha256');
    expect(tls?.negotiated).toEqual({
      protocol: 'TLSv1.3',
      cipher: expect.stringMatching(/^TLS_/),
      alpnProtocol: 'http/1.1',
      resumed: false,
    });
    expect(tls?.client?.cipherSuites).toContain(tls?.negotiated.cipher);
    const { ja3, ja3Hash, ja4 } = tls!.fingerprint!;
    expect(ja3Hash).toBe(createHash('md5').update(ja3).digest('hex'));
    // TLS 1.3, SNI sent ('d'), ALPN http/1.1 ('h1').
    expect(ja4).toMatch(/^t13d\d{4}h1_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });

  it('a client that does not ask for a staple: stapled false, the stapler state still good', async () => {
    const { body, peer } = await get<Reply>(port, '/tls', { ca, agent: false });
    expect(serialOfPeer(peer)).toBe(body.tls?.certificate.serialNumber);
    expect(body.tls?.client?.statusRequest).toBe(false);
    expect(body.tls?.staple.stapled).toBe(false);
    expect(body.tls?.staple.status).toBe('good');
    expect(body.tls?.client?.alpn).toEqual([]);
    expect(body.tls?.negotiated.alpnProtocol).toBeNull();
  });

  it('a TLS 1.2 client with only RSA signature algorithms and an RSA suite: the RSA certificate', async () => {
    const got = await get<Reply>(port, '/tls', {
      ca,
      agent: false,
      maxVersion: 'TLSv1.2',
      sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      requestOCSP: true,
    });
    const tls = got.body.tls!;
    const leaf = env.pki.leaf('rsa');
    expect(serialOfPeer(got.peer)).toBe(leaf.serialNumber);
    expect(tls.certificate.keyType).toBe('rsa');
    expect(tls.certificate.serialNumber).toBe(leaf.serialNumber);
    expect(tls.staple).toMatchObject({ stapled: true, status: 'good', responderUrl: leaf.ocspUrl });
    // A TLS 1.2-only client sends no supported_versions: legacy_version says it.
    expect(tls.client?.versions).toEqual(['TLS 1.2']);
    expect(tls.client?.signatureSchemes).toEqual(['rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256']);
    expect(tls.client?.cipherSuites).toContain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(tls.client?.cipherSuites).not.toContain('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(tls.negotiated).toMatchObject({
      protocol: 'TLSv1.2',
      cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    });
    expect(tls.fingerprint?.ja4).toMatch(/^t12d/);
  });

  it('a TLS 1.3 client with only RSA-PSS: the RSA certificate over TLS 1.3', async () => {
    const got = await get<Reply>(port, '/tls', {
      ca,
      agent: false,
      sigalgs: 'rsa_pss_rsae_sha256',
    });
    expect(serialOfPeer(got.peer)).toBe(env.pki.leaf('rsa').serialNumber);
    expect(got.body.tls?.certificate.keyType).toBe('rsa');
    expect(got.body.tls?.client?.signatureSchemes).toEqual(['rsa_pss_rsae_sha256']);
    expect(got.body.tls?.negotiated.protocol).toBe('TLSv1.3');
  });

  it('keep-alive: two requests on one connection share the fingerprint', async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      type Fp = { fingerprint: FingerprintFacts; sameObject: boolean | null };
      const first = await get<Fp>(port, '/fingerprint', { ca, agent });
      const second = await get<Fp>(port, '/fingerprint', { ca, agent });
      expect(second.localPort).toBe(first.localPort);
      expect(first.body.sameObject).toBeNull();
      expect(second.body.sameObject).toBe(true);
      expect(second.body.fingerprint).toEqual(first.body.fingerprint);
      expect(first.body.fingerprint.ja3Hash).toMatch(/^[0-9a-f]{32}$/);
    } finally {
      agent.destroy();
    }
  });

  for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
    it(`a resumed ${maxVersion} session: no staple went out, and req.tls says so`, async () => {
      // No keep-alive, so two connections; the agent keeps the session for the second.
      const agent = new https.Agent({ keepAlive: false, ca, maxVersion });
      try {
        const options = { ca, agent, requestOCSP: true };
        const first = await get<Reply>(port, '/tls', options);
        expect(first.body.tls?.negotiated.resumed).toBe(false);
        expect(first.body.tls?.staple.stapled).toBe(true);
        const second = await get<Reply>(port, '/tls', options);
        expect(second.localPort).not.toBe(first.localPort);
        expect(second.body.tls?.negotiated.resumed).toBe(true);
        expect(second.body.tls?.staple).toMatchObject({ stapled: false, status: 'good' });
        // The session's certificate: the one the first handshake sent.
        expect(second.body.tls?.certificate.serialNumber).toBe(serialOfPeer(first.peer));
      } finally {
        agent.destroy();
      }
    });
  }

  it('getTlsFacts works without the middleware', async () => {
    const { body } = await get<{ hasTls: boolean; facts: TlsFacts | null }>(port, '/raw', {
      ca,
      agent: false,
    });
    expect(body.hasTls).toBe(false);
    expect(body.facts?.certificate.serialNumber).toBe(env.pki.leaf('ecdsa').serialNumber);
    expect(body.facts?.staple.status).toBe('good');
  });
});
