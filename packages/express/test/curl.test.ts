/**
 * curl --cert-status, which fails unless the server staples a good response it can verify for
 * the very certificate it sent: the ECDSA certificate by default, the RSA one for an RSA-only
 * TLS 1.2 client; req.tls agrees with what curl asked for.
 */
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, type StapleServer, type TlsFacts, tlsFacts } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  HOST,
  portOf,
  run,
  startEnv,
  type TestEnv,
} from './helpers.js';

describe('curl --cert-status', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    const app = express();
    app.use(tlsFacts());
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

  const curl = (extra: readonly string[]) =>
    run('curl', [
      '--silent',
      '--show-error',
      '--max-time',
      '8',
      '--cacert',
      env.files.root,
      '--cert-status',
      '--http1.1',
      ...extra,
      `https://localhost:${port}/tls`,
    ]);

  it('default: the ECDSA certificate, its staple verified by curl', async () => {
    const result = await curl([]);
    expect(result.code, result.stderr).toBe(0);
    const tls = JSON.parse(result.stdout) as TlsFacts;
    expect(tls.certificate.keyType).toBe('ecdsa');
    expect(tls.certificate.serialNumber).toBe(env.pki.leaf('ecdsa').serialNumber);
    expect(tls.staple).toMatchObject({ stapled: true, status: 'good' });
    expect(tls.client).toMatchObject({ sni: 'localhost', statusRequest: true });
    expect(tls.client?.alpn).toContain('http/1.1');
    expect(tls.negotiated).toMatchObject({ protocol: 'TLSv1.3', alpnProtocol: 'http/1.1' });
  });

  it('RSA only (TLS 1.2, ECDHE-RSA): the RSA certificate, its staple verified by curl', async () => {
    const result = await curl(['--tls-max', '1.2', '--ciphers', 'ECDHE-RSA-AES128-GCM-SHA256']);
    expect(result.code, result.stderr).toBe(0);
    const tls = JSON.parse(result.stdout) as TlsFacts;
    expect(tls.certificate.keyType).toBe('rsa');
    expect(tls.certificate.serialNumber).toBe(env.pki.leaf('rsa').serialNumber);
    expect(tls.staple).toMatchObject({ stapled: true, status: 'good' });
    expect(tls.client?.cipherSuites).toContain('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
    expect(tls.negotiated).toMatchObject({
      protocol: 'TLSv1.2',
      cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
    });
  });
});
