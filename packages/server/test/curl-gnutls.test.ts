/**
 * The clients that check the staple and fail without a good one: `curl --cert-status` and
 * `gnutls-cli --ocsp`, against the HTTPS server, for the ECDSA and the RSA certificate.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  curlHttps,
  gnutlsOcsp,
  listen,
  type StapleInfoLine,
  stapleCertStatus,
  stapleSerial,
  startEnv,
  type TestEnv,
} from './helpers.js';

describe('curl --cert-status and gnutls-cli --ocsp', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    server = createServer(
      { certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']) },
      (req, res) => {
        const info = getStapleInfo(req.socket);
        const line: StapleInfoLine = {
          keyType: info?.keyType ?? 'none',
          serial: info?.certificate.serialNumber ?? '',
          stapled: info?.stapled ?? false,
        };
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(line));
      },
    );
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  const curl = (extra: readonly string[]) => curlHttps(env, port, ['--cert-status', ...extra]);

  it('curl (default: TLS 1.3, ECDSA) verifies the staple and gets the ECDSA certificate', async () => {
    const result = await curl([]);
    expect(result.code, result.stderr).toBe(0);
    const line = JSON.parse(result.stdout) as StapleInfoLine;
    expect(line).toEqual({
      keyType: 'ecdsa',
      serial: env.pki.leaf('ecdsa').serialNumber,
      stapled: true,
    });
  });

  it('curl forced to RSA (TLS 1.2, ECDHE-RSA only) verifies the RSA certificate’s staple', async () => {
    const result = await curl([
      '--ciphers',
      'ECDHE-RSA-AES128-GCM-SHA256',
      '--tls-max',
      '1.2',
      '--verbose',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('SSL connection using TLSv1.2 / ECDHE-RSA-AES128-GCM-SHA256');
    expect(result.stderr).toMatch(/SSL certificate status: good/);
    const line = JSON.parse(result.stdout) as StapleInfoLine;
    expect(line).toEqual({
      keyType: 'rsa',
      serial: env.pki.leaf('rsa').serialNumber,
      stapled: true,
    });
  });

  const gnutls = (extra: readonly string[]) => {
    const saved = join(env.dir, `gnutls-${Math.random().toString(36).slice(2)}.der`);
    return gnutlsOcsp(env, port, [`--save-ocsp=${saved}`, ...extra]).then(async (result) => ({
      result,
      staple: await readFile(saved).then(
        (b) => new Uint8Array(b),
        () => undefined,
      ),
    }));
  };

  const servedSerial = (output: string) =>
    /Certificate\[0\] info:\n - subject [^\n]*serial 0x([0-9a-f]+)/
      .exec(output)?.[1]
      ?.toUpperCase();

  it('gnutls-cli --ocsp (TLS 1.3, ECDSA) verifies the staple', async () => {
    const { result, staple } = await gnutls([]);
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('The certificate is trusted');
    expect(result.stdout).toContain('ECDSA');
    expect(result.stdout).toContain('Handshake was completed');
    expect(servedSerial(result.stdout)).toBe(env.pki.leaf('ecdsa').serialNumber);
    expect(staple).toBeDefined();
    expect(stapleSerial(staple!)).toBe(env.pki.leaf('ecdsa').serialNumber);
    expect(stapleCertStatus(staple!)).toBe('good');
  });

  it('gnutls-cli --ocsp forced to RSA (TLS 1.2) verifies the RSA certificate’s staple', async () => {
    const { result, staple } = await gnutls([
      '--priority',
      'NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA',
    ]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('The certificate is trusted');
    expect(result.stdout).toContain('(TLS1.2-X.509)-(ECDHE-');
    expect(result.stdout).toMatch(/\(RSA-(PSS-RSAE-)?SHA256\)/);
    expect(servedSerial(result.stdout)).toBe(env.pki.leaf('rsa').serialNumber);
    expect(staple).toBeDefined();
    expect(stapleSerial(staple!)).toBe(env.pki.leaf('rsa').serialNumber);
    expect(stapleCertStatus(staple!)).toBe('good');
  });
});
