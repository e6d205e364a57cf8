/**
 * The responder is down (not even listening) when the server starts: the server still serves
 * TLS, with no staple (never a stale or wrong one); once the responder is up, staples appear,
 * after a refresh or on the stapler's own retry.
 */
import { type OcspResponder, startOcspResponder } from '@staple/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  curlHttps,
  listen,
  nodeHandshake,
  parseSClient,
  type StapleInfoLine,
  sClient,
  stapleSerial,
  startEnv,
  type TestEnv,
  waitFor,
} from './helpers.js';

describe('responder down from the start', () => {
  let env: TestEnv;
  let server: StapleServer | undefined;
  let revived: OcspResponder | undefined;

  beforeEach(async () => {
    env = await startEnv();
    // The leaves point at this port; nothing listens there now.
    await env.responder.close();
  });

  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    await revived?.close();
    revived = undefined;
    await env.close();
  });

  const revive = async () => {
    revived = await startOcspResponder({ issuer: env.pki.intermediate, port: env.responder.port });
  };

  const start = async (stapling?: Parameters<typeof createServer>[0]['stapling']) => {
    server = createServer(
      { certificates: certificatesOf(env.pki), ...(stapling ? { stapling } : {}) },
      (req, res) => {
        const info = getStapleInfo(req.socket);
        const line: StapleInfoLine = {
          keyType: info?.keyType ?? 'none',
          serial: info?.certificate.serialNumber ?? '',
          stapled: info?.stapled ?? false,
        };
        res.end(JSON.stringify(line));
      },
    );
    await server.ready();
    return listen(server);
  };

  const curl = (port: number, extra: readonly string[] = []) => curlHttps(env, port, extra);

  it('serves TLS without a staple; after the responder is up and a refresh, staples appear', async () => {
    const port = await start();
    for (const s of server!.stapler!.status()) {
      expect(s.state).toBe('failed');
      expect(s.stapling).toBe(false);
      expect(s.lastError?.code).toBeDefined();
    }

    const down = parseSClient((await sClient(port, env.files.root)).stdout);
    expect(down.verified).toBe(true);
    expect(down.noStaple).toBe(true);
    expect(down.ocspStatus).toBeUndefined();
    // TLS works; only the staple is missing.
    const plain = await curl(port);
    expect(plain.code, plain.stderr).toBe(0);
    expect(JSON.parse(plain.stdout)).toMatchObject({ keyType: 'ecdsa', stapled: false });
    const checking = await curl(port, ['--cert-status']);
    expect(checking.code).not.toBe(0);
    expect((await nodeHandshake(port, env.pki.rootPem, { end: true })).ocsp).toBeNull();

    await revive();
    for (const leaf of env.pki.leaves) await server!.stapler!.refresh(leaf.certificate);
    expect(server!.stapler!.status().map((s) => s.state)).toEqual(['good', 'good']);

    const up = parseSClient((await sClient(port, env.files.root)).stdout);
    expect(up.noStaple).toBe(false);
    expect(up.ocspStatus).toBe('successful');
    expect(up.certStatus).toBe('good');
    expect(up.ocspSerial).toBe(env.pki.leaf('ecdsa').serialNumber);
    const stapled = await curl(port, ['--cert-status']);
    expect(stapled.code, stapled.stderr).toBe(0);
    expect(JSON.parse(stapled.stdout)).toMatchObject({ keyType: 'ecdsa', stapled: true });
    const rsa = await nodeHandshake(port, env.pki.rootPem, {
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256',
      maxVersion: 'TLSv1.2',
      end: true,
    });
    expect(stapleSerial(rsa.ocsp!)).toBe(env.pki.leaf('rsa').serialNumber);
  });

  it('with a short retry, staples appear on their own once the responder is back', async () => {
    const port = await start({ retry: { initialMs: 100, maxMs: 200 } });
    expect((await nodeHandshake(port, env.pki.rootPem, { end: true })).ocsp).toBeNull();
    await revive();
    const stapler = server!.stapler!;
    await waitFor(
      () => env.pki.leaves.every((l) => stapler.get(l.certificate) !== undefined),
      5_000,
      'staples after the responder came back',
    );
    const result = await nodeHandshake(port, env.pki.rootPem, { end: true });
    expect(stapleSerial(result.ocsp!)).toBe(env.pki.leaf('ecdsa').serialNumber);
    const checking = await curl(port, ['--cert-status']);
    expect(checking.code, checking.stderr).toBe(0);
  });
});
