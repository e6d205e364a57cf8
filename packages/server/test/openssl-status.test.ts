/**
 * `openssl s_client -status` against a server holding an RSA and an ECDSA certificate: the
 * staple is there for TLS 1.2 and 1.3, and it is the served certificate's own. s_client never
 * rejects a wrong staple, so the serials are compared here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  HOST,
  listen,
  opensslSerial,
  parseSClient,
  run,
  sClient,
  startEnv,
  type TestEnv,
} from './helpers.js';

describe('openssl s_client -status', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;
  const served: string[] = [];

  beforeAll(async () => {
    env = await startEnv({
      pki: {
        leaves: [
          { name: 'rsa', keyType: 'rsa' },
          { name: 'ecdsa', keyType: 'ecdsa-p256' },
        ],
      },
    });
    // RSA first, so that choosing ECDSA for capable clients is the server's doing.
    server = createTlsServer({ certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']) }, (s) => {
      served.push(getStapleInfo(s)?.keyType ?? 'none');
      endWith('ok\n')(s);
    });
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  const cases = [
    {
      name: 'TLS 1.3, ECDSA-capable',
      args: ['-tls1_3'],
      leaf: 'ecdsa',
      protocol: 'TLSv1.3',
      signature: 'ECDSA',
    },
    {
      name: 'TLS 1.2, ECDSA-capable',
      args: ['-tls1_2'],
      leaf: 'ecdsa',
      protocol: 'TLSv1.2',
      signature: 'ECDSA',
    },
    {
      name: 'TLS 1.2, RSA-only client',
      args: ['-sigalgs', 'RSA+SHA256', '-tls1_2', '-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'],
      leaf: 'rsa',
      protocol: 'TLSv1.2',
      signature: 'RSA',
    },
    {
      name: 'TLS 1.3, RSA-only signature algorithms',
      args: ['-tls1_3', '-sigalgs', 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256'],
      leaf: 'rsa',
      protocol: 'TLSv1.3',
      signature: 'RSA-PSS',
    },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: ${c.leaf} certificate with its own good staple`, async () => {
      const result = await sClient(port, env.files.root, c.args);
      expect(result.timedOut).toBe(false);
      // Not the exit code: s_client now and then exits 1 on an "unexpected eof" when the server
      // ends the connection right after the handshake. The handshake facts are what count.
      const facts = parseSClient(result.stdout);
      expect(facts.protocol).toBe(c.protocol);
      expect(facts.verified).toBe(true);
      expect(facts.noStaple).toBe(false);
      expect(facts.ocspStatus).toBe('successful');
      expect(facts.certStatus).toBe('good');

      // The served certificate, as the client saw it.
      expect(facts.serverCertificatePem).toBeDefined();
      const servedSerial = await opensslSerial(facts.serverCertificatePem!);
      expect(servedSerial).toBe(env.pki.leaf(c.leaf).serialNumber);
      expect(facts.peerSignatureType).toBe(c.signature);
      // ...and the staple is about exactly that certificate.
      expect(facts.ocspSerial).toBe(servedSerial);
    });
  }

  it('the server recorded what it chose for each connection', () => {
    expect(served).toEqual(['ecdsa', 'ecdsa', 'rsa', 'rsa']);
  });

  it('a client that does not ask (no -status) gets no OCSP section', async () => {
    const plain = await run('openssl', [
      's_client',
      '-connect',
      `${HOST}:${port}`,
      '-servername',
      'localhost',
      '-CAfile',
      env.files.root,
    ]);
    expect(parseSClient(plain.stdout).verified).toBe(true);
    expect(plain.stdout).not.toContain('OCSP Response Data');
    expect(plain.stdout).not.toContain('OCSP response:');
  });
});
