/**
 * req.tls and the status route with undici as the client (`request`, `fetch`, an Agent with the
 * test root as `ca`): the certificate it got (seen from its own connector), RSA when its TLS
 * options allow only RSA, one fingerprint for its pooled keep-alive connection.
 *
 * undici 7: undici 8 needs Node >= 22.19 and this project runs on Node 20.
 */
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import express from 'express';
import { Agent, buildConnector, fetch, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listen,
  type StapleServer,
  type StatusReport,
  statusRoute,
  type TlsFacts,
  tlsFacts,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  HOST,
  portOf,
  serialOfPeer,
  startEnv,
  type TestEnv,
} from './helpers.js';

interface Reply {
  readonly tls: TlsFacts;
  readonly remotePort: number;
}

describe('undici', () => {
  let env: TestEnv;
  let server: StapleServer;
  let origin: string;

  beforeAll(async () => {
    env = await startEnv();
    const app = express();
    app.use(tlsFacts());
    app.get('/staple/status', statusRoute());
    app.get('/tls', (req, res) => {
      res.json({ tls: req.tls, remotePort: req.socket.remotePort } as Reply);
    });
    server = await listen(app, {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      host: HOST,
    });
    origin = `https://localhost:${portOf(server)}`;
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  /** An Agent whose connector records the leaf each new connection got. */
  function agentWith(options: tls.ConnectionOptions = {}) {
    const peers: tls.PeerCertificate[] = [];
    const connector = buildConnector({ ca: env.pki.rootPem, ...options });
    const agent = new Agent({
      connections: 1,
      connect: (opts, callback) =>
        connector(opts, (error, socket) => {
          if (socket) peers.push((socket as tls.TLSSocket).getPeerCertificate());
          if (error) callback(error, null);
          else callback(null, socket as net.Socket);
        }),
    });
    return { agent, peers };
  }

  it('request(): the ECDSA certificate it got, good staple', async () => {
    const { agent, peers } = agentWith();
    try {
      const res = await request(`${origin}/tls`, { dispatcher: agent });
      expect(res.statusCode).toBe(200);
      const { tls } = (await res.body.json()) as Reply;
      const leaf = env.pki.leaf('ecdsa');
      expect(peers.map(serialOfPeer)).toEqual([leaf.serialNumber]);
      expect(tls.certificate).toMatchObject({ keyType: 'ecdsa', serialNumber: leaf.serialNumber });
      // undici does not ask for a staple; the stapler's state is good all the same.
      expect(tls.staple).toMatchObject({ stapled: false, status: 'good', state: 'good' });
      expect(tls.client).toMatchObject({ sni: 'localhost', statusRequest: false });
      expect(tls.client?.versions).toContain('TLS 1.3');
      expect(tls.negotiated.protocol).toBe('TLSv1.3');
      if (tls.negotiated.alpnProtocol !== null) {
        expect(tls.client?.alpn).toContain(tls.negotiated.alpnProtocol);
      }
    } finally {
      await agent.close();
    }
  });

  it('request() with RSA-only TLS options: the RSA certificate', async () => {
    const { agent, peers } = agentWith({
      maxVersion: 'TLSv1.2',
      sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
    });
    try {
      const res = await request(`${origin}/tls`, { dispatcher: agent });
      const { tls } = (await res.body.json()) as Reply;
      const leaf = env.pki.leaf('rsa');
      expect(peers.map(serialOfPeer)).toEqual([leaf.serialNumber]);
      expect(tls.certificate).toMatchObject({ keyType: 'rsa', serialNumber: leaf.serialNumber });
      expect(tls.staple.status).toBe('good');
      expect(tls.client?.signatureSchemes).toEqual(['rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256']);
      expect(tls.negotiated).toMatchObject({
        protocol: 'TLSv1.2',
        cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      });
    } finally {
      await agent.close();
    }
  });

  it('fetch(): the status route, and one fingerprint across its keep-alive requests', async () => {
    const agent = new Agent({ connections: 1, connect: { ca: env.pki.rootPem } });
    try {
      const status = await fetch(`${origin}/staple/status`, { dispatcher: agent });
      expect(status.status).toBe(200);
      const report = (await status.json()) as StatusReport;
      expect(report.certificates.map((c) => [c.keyType, c.status])).toEqual([
        ['rsa', 'good'],
        ['ecdsa', 'good'],
      ]);
      const first = (await (await fetch(`${origin}/tls`, { dispatcher: agent })).json()) as Reply;
      const second = (await (await fetch(`${origin}/tls`, { dispatcher: agent })).json()) as Reply;
      expect(second.remotePort).toBe(first.remotePort);
      expect(second.tls.fingerprint).toEqual(first.tls.fingerprint);
      expect(first.tls.fingerprint?.ja4).toMatch(/^t13d/);
    } finally {
      await agent.close();
    }
  });
});
