import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@staple/ocsp-codec';
import { startTestOcsp, type TestOcsp, type TestPkiFiles, writeTestPki } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { StatusJson } from '../src/commands/status.js';
import { closedPort, run, runJson, tempDir } from './helpers.js';

// `staple status` against the testkit's real OCSP responder on 127.0.0.1.

let ocsp: TestOcsp;
let files: TestPkiFiles;
let dir: ReturnType<typeof tempDir>;

beforeAll(async () => {
  ocsp = await startTestOcsp();
  dir = tempDir('status');
  files = await writeTestPki(ocsp.pki, join(dir.path, 'pki'));
});

afterAll(async () => {
  await ocsp?.close();
  dir?.remove();
});

afterEach(() => {
  ocsp.responder.setFault(null);
  for (const leaf of ocsp.pki.leaves) ocsp.responder.setStatus(leaf, 'good');
});

const leafFiles = (name: string) => files.leaves[name]!;

describe('staple status: the three answers', () => {
  test('good: exit 0, status, times and the responder URL', async () => {
    const leaf = ocsp.pki.leaf('rsa');
    const { code, stdout, stderr } = await run(['status', leafFiles('rsa').chain]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Serial number: +${leaf.serialNumber}$`, 'm'));
    expect(stdout).toMatch(/^Cert status: +good$/m);
    expect(stdout).toMatch(/^Responder: +http:\/\/127\.0\.0\.1:\d+\/ocsp \(GET\)$/m);
    expect(stdout).toContain(` ${ocsp.responder.url} (GET)\n`);
    expect(stdout).toMatch(/^This update: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/m);
    expect(stdout).toMatch(/^Next update: +\d{4}-/m);
    expect(stdout).toMatch(/^Produced at: +\d{4}-/m);
    expect(stdout).toMatch(/^Signed by: +the issuer$/m);
    expect(stdout).not.toMatch(/Revocation/);
  });

  test('good, --json', async () => {
    const leaf = ocsp.pki.leaf('ecdsa');
    const { code, json } = await runJson<StatusJson>(['status', leafFiles('ecdsa').chain]);
    expect(code).toBe(0);
    expect(json).toMatchObject({
      certificate: { serialNumber: leaf.serialNumber, subject: 'O=Staple Testkit, CN=localhost' },
      responder: ocsp.responder.url,
      method: 'GET',
      certStatus: 'good',
      signer: { kind: 'issuer' },
      maxAgeSeconds: 3600,
    });
    expect(json.requestUrl.startsWith(`${ocsp.responder.url}/`)).toBe(true);
    const thisUpdate = Date.parse(json.thisUpdate);
    expect(Math.abs(thisUpdate - Date.now())).toBeLessThan(60_000);
    expect(Date.parse(json.nextUpdate!) - thisUpdate).toBe(3600_000);
    expect(json).not.toHaveProperty('revocationTime');
  });

  test('revoked with a reason: exit 1, time and reason shown', async () => {
    const leaf = ocsp.pki.leaf('rsa');
    const time = new Date('2025-03-04T05:06:07Z');
    ocsp.responder.revoke(leaf, { reason: 'keyCompromise', time });
    const text = await run(['status', leafFiles('rsa').chain]);
    expect(text.code).toBe(1);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^Cert status: +revoked$/m);
    expect(text.stdout).toMatch(/^Revocation time: +2025-03-04T05:06:07Z$/m);
    expect(text.stdout).toMatch(/^Revocation reason: +keyCompromise \(1\)$/m);
    const { code, json } = await runJson<StatusJson>(['status', leafFiles('rsa').chain]);
    expect(code).toBe(1);
    expect(json).toMatchObject({
      certStatus: 'revoked',
      revocationTime: '2025-03-04T05:06:07.000Z',
      revocationReason: 'keyCompromise',
    });
  });

  test('unknown: exit 2', async () => {
    ocsp.responder.setStatus(ocsp.pki.leaf('ecdsa'), 'unknown');
    const { code, json } = await runJson<StatusJson>(['status', leafFiles('ecdsa').chain]);
    expect(code).toBe(2);
    expect(json.certStatus).toBe('unknown');
  });

  test('a delegated responder: signed by its certificate, verified all the same', async () => {
    const delegated = await startTestOcsp({ signer: 'delegated' });
    try {
      const chain = join(dir.path, 'delegated.chain.pem');
      writeFileSync(chain, delegated.pki.leaf('ecdsa').chainPem);
      const { code, json } = await runJson<StatusJson>(['status', chain]);
      expect(code).toBe(0);
      expect(json.signer).toEqual({
        kind: 'delegated',
        subject: parseCertificate(delegated.pki.ocspSigner!.certificate).subject,
      });
    } finally {
      await delegated.close();
    }
  });
});

describe('staple status: finding the issuer', () => {
  test('in the bundle: the certificate then its chain', async () => {
    expect((await run(['status', leafFiles('rsa').chain])).code).toBe(0);
  });

  test('--issuer with the certificate alone', async () => {
    const { code, stderr } = await run([
      'status',
      leafFiles('rsa').certificate,
      '--issuer',
      files.intermediate,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  test('--issuer holding several certificates: the one that issued it is used', async () => {
    const bundle = join(dir.path, 'cas.pem');
    writeFileSync(bundle, ocsp.pki.root.certificatePem + ocsp.pki.intermediate.certificatePem);
    expect((await run(['status', leafFiles('ecdsa').certificate, '--issuer', bundle])).code).toBe(
      0,
    );
  });

  test('DER certificate and DER issuer', async () => {
    const cert = join(dir.path, 'leaf.der');
    const issuer = join(dir.path, 'issuer.der');
    writeFileSync(cert, ocsp.pki.leaf('ecdsa').certificate);
    writeFileSync(issuer, ocsp.pki.intermediate.certificate);
    expect((await run(['status', cert, '--issuer', issuer])).code).toBe(0);
  });

  test('missing: exit 3, ERR_NO_ISSUER, saying what to do', async () => {
    const { code, stdout, stderr } = await run(['status', leafFiles('rsa').certificate]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^staple: no issuer of O=Staple Testkit, CN=localhost in .*rsa\.pem \(looked for .*Intermediate.*\); put it after the certificate or pass --issuer \(ERR_NO_ISSUER\)\n$/,
    );
  });

  test('--issuer that did not issue it: ERR_ISSUER_MISMATCH', async () => {
    const { code, stderr } = await run([
      'status',
      leafFiles('rsa').certificate,
      '--issuer',
      files.root,
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/holds no certificate that issued .* \(ERR_ISSUER_MISMATCH\)\n$/);
  });

  test('a file that is not a certificate: ERR_INPUT', async () => {
    const junk = join(dir.path, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    const { code, stderr } = await run(['status', junk]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /junk\.pem holds no certificate \(expected PEM or DER\) \(ERR_INPUT\)\n$/,
    );
  });
});

describe('staple status: the responder fails', () => {
  test('down (connection refused): exit 3, one clear line', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/ocsp`;
    const { code, stdout, stderr } = await run(['status', leafFiles('rsa').chain, '--url', url]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `staple: cannot reach the OCSP responder ${url}: connection refused (ERR_OCSP_CLIENT_NETWORK)\n`,
    );
  });

  test('hanging: exit 3 once --timeout has passed', async () => {
    ocsp.responder.setFault({ kind: 'hang' });
    const { code, stderr, ms } = await run(['status', leafFiles('rsa').chain, '--timeout', '400']);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^staple: no answer from .* within 400 ms \(ERR_OCSP_CLIENT_TIMEOUT\)\n$/,
    );
    expect(ms).toBeGreaterThanOrEqual(400);
    // Node's own startup is in this, and a loaded CI machine is slow; a hang would be 15 s.
    expect(ms).toBeLessThan(5_000);
  });

  test('HTTP 500: ERR_OCSP_CLIENT_HTTP_STATUS', async () => {
    ocsp.responder.setFault({ kind: 'http-error', status: 500 });
    const { code, stderr } = await run(['status', leafFiles('rsa').chain]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/answered HTTP 500 \(ERR_OCSP_CLIENT_HTTP_STATUS\)\n$/);
  });

  test('an expired response is refused with the codec check that failed', async () => {
    ocsp.responder.setFault({ kind: 'expired' });
    const { code, stdout, stderr } = await run(['status', leafFiles('rsa').chain]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(
      /^staple: the response from http:\/\/127\.0\.0\.1:\d+\/ocsp was refused: nextUpdate .* has passed \(ERR_OCSP_EXPIRED\)\n$/,
    );
  });

  test('signed by someone else: ERR_OCSP_UNAUTHORIZED_SIGNER', async () => {
    ocsp.responder.setFault({ kind: 'wrong-signer' });
    const { code, stderr } = await run(['status', leafFiles('rsa').chain]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/\(ERR_OCSP_UNAUTHORIZED_SIGNER\)\n$/);
  });

  test('tryLater: not a status but an error, ERR_OCSP_UNSUCCESSFUL', async () => {
    ocsp.responder.setFault({ kind: 'status', status: 'tryLater' });
    const { code, stderr } = await run(['status', leafFiles('rsa').chain]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/responder answered tryLater \(ERR_OCSP_UNSUCCESSFUL\)\n$/);
  });
});

describe('staple status: the URL', () => {
  test('a certificate without AIA: ERR_NO_OCSP_URL, and --url makes it work', async () => {
    const leaf = await ocsp.pki.issueLeaf({ name: 'noaia', keyType: 'ecdsa-p256', ocspUrl: null });
    const chain = join(dir.path, 'noaia.chain.pem');
    writeFileSync(chain, leaf.chainPem);
    const without = await run(['status', chain]);
    expect(without.code).toBe(3);
    expect(without.stderr).toMatch(
      /has no OCSP responder URL \(AIA\); pass --url \(ERR_NO_OCSP_URL\)\n$/,
    );
    const { code, json } = await runJson<StatusJson>([
      'status',
      chain,
      '--url',
      ocsp.responder.url,
    ]);
    expect(code).toBe(0);
    expect(json.certificate.serialNumber).toBe(leaf.serialNumber);
  });
});

describe('staple status: usage', () => {
  test('no file, two files, a bad --timeout: ERR_USAGE', async () => {
    expect((await run(['status'])).stderr).toMatch(
      /status needs a certificate file.*\(ERR_USAGE\)\n$/,
    );
    expect((await run(['status', 'a', 'b'])).stderr).toMatch(/\(ERR_USAGE\)\n$/);
    const bad = await run(['status', leafFiles('rsa').chain, '--timeout', 'soon']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/--timeout must be milliseconds .* got 'soon' \(ERR_USAGE\)\n$/);
  });
});
