/**
 * Revocation at the responder: after a refresh the status route and req.tls say 'revoked' for
 * that certificate (on a connection made before, too: the staple facts are the stapler's state
 * now), the other certificate stays good, and curl --cert-status refuses the revoked one.
 */
import * as https from 'node:https';
import express from 'express';
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
  get,
  HOST,
  portOf,
  run,
  startEnv,
  type TestEnv,
} from './helpers.js';

describe('revocation', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    const app = express();
    app.use(tlsFacts());
    app.get('/staple/status', statusRoute());
    app.get('/tls', (req, res) => {
      res.json(req.tls);
    });
    server = await listen(app, {
      certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
      host: HOST,
    });
    port = portOf(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('shows revoked after the stapler refreshes', async () => {
    const ca = env.pki.rootPem;
    const ecdsa = env.pki.leaf('ecdsa');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca });
    try {
      const before = await get<TlsFacts>(port, '/tls', { ca, agent });
      expect(before.body.staple.status).toBe('good');

      env.responder.revoke(ecdsa, { reason: 'keyCompromise' });
      // The stapler asks when it is told to (or at its next refresh), not on its own at once.
      await server.stapler!.refresh(ecdsa.certificate);

      const report = await get<StatusReport>(port, '/staple/status', { ca, agent: false });
      const byType = Object.fromEntries(report.body.certificates.map((c) => [c.keyType, c]));
      expect(byType['ecdsa']).toMatchObject({
        serialNumber: ecdsa.serialNumber,
        status: 'revoked',
        state: 'revoked',
        stapling: true,
        revocationReason: 'keyCompromise',
        revocationTime: expect.stringMatching(/Z$/),
        fetches: 2,
      });
      expect(byType['rsa']).toMatchObject({ status: 'good', fetches: 1 });

      // The same keep-alive connection: the staple facts are the stapler's, now.
      const after = await get<TlsFacts>(port, '/tls', { ca, agent });
      expect(after.localPort).toBe(before.localPort);
      expect(after.body.certificate.serialNumber).toBe(ecdsa.serialNumber);
      expect(after.body.staple).toMatchObject({
        status: 'revoked',
        revocationReason: 'keyCompromise',
      });

      // A new connection that asks for a staple gets the revoked one.
      const fresh = await get<TlsFacts>(port, '/tls', {
        ca,
        agent: false,
        requestOCSP: true,
      });
      expect(fresh.body.staple).toMatchObject({ stapled: true, status: 'revoked' });

      const curl = await run('curl', [
        '--silent',
        '--show-error',
        '--max-time',
        '8',
        '--cacert',
        env.files.root,
        '--cert-status',
        `https://localhost:${port}/tls`,
      ]);
      // 91: CURLE_SSL_INVALIDCERTSTATUS.
      expect(curl.code).toBe(91);
      expect(curl.stderr).toContain('revocation reason: keyCompromise');
    } finally {
      agent.destroy();
    }
  });
});
