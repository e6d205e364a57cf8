import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCertificate } from '@staple/ocsp-codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOtherIssuer,
  createTestPki,
  type TestPki,
  type TestPkiFiles,
  writeTestPki,
} from '../src/index.js';
import { openssl, tempDir } from './helpers.js';

const OCSP_URL = 'http://127.0.0.1:8123/ocsp';

describe('createTestPki with OpenSSL checking the result', () => {
  let pki: TestPki;
  let files: TestPkiFiles;
  let remove: () => Promise<void>;
  let elapsedMs: number;

  beforeAll(async () => {
    const started = performance.now();
    pki = await createTestPki({
      ocspUrl: OCSP_URL,
      leaves: [
        { name: 'rsa', keyType: 'rsa', mustStaple: true },
        { name: 'ecdsa', keyType: 'ecdsa-p256' },
        { name: 'p384', keyType: 'ecdsa-p384', dnsNames: ['a.test', 'b.test'], ips: ['10.1.2.3'] },
        { name: 'no-aia', keyType: 'ecdsa-p256', ocspUrl: null },
      ],
    });
    elapsedMs = performance.now() - started;
    const tmp = await tempDir();
    remove = tmp.remove;
    files = await writeTestPki(pki, tmp.dir);
  });
  afterAll(() => remove?.());

  it('is made quickly', () => {
    // One RSA-2048 key plus ECDSA everywhere else; RSA key generation dominates.
    console.info(`createTestPki (1 RSA + 3 ECDSA leaves, ECDSA CAs): ${elapsedMs.toFixed(0)} ms`);
    expect(elapsedMs).toBeLessThan(5000);
  });

  it.each(['rsa', 'ecdsa', 'p384', 'no-aia'])('leaf %s chains to the root', async (name) => {
    const leaf = files.leaves[name]!;
    const res = await openssl([
      'verify',
      '-CAfile',
      files.root,
      '-untrusted',
      files.intermediate,
      '-purpose',
      'sslserver',
      leaf.certificate,
    ]);
    expect(res.stdout.trim()).toBe(`${leaf.certificate}: OK`);
    expect(res.code).toBe(0);
  });

  it('the OCSP signer chains to the root', async () => {
    const signer = files.ocspSigner!.certificate;
    const res = await openssl([
      'verify',
      '-CAfile',
      files.root,
      '-untrusted',
      files.intermediate,
      signer,
    ]);
    expect(res.stdout.trim()).toBe(`${signer}: OK`);
  });

  it('leaf chain files hold the leaf then the intermediate', async () => {
    const chain = await readFile(files.leaves['ecdsa']!.chain, 'utf8');
    expect(chain).toBe(pki.leaf('ecdsa').certificatePem + pki.intermediate.certificatePem);
    const res = await openssl([
      'verify',
      '-CAfile',
      files.root,
      '-untrusted',
      files.leaves['ecdsa']!.chain,
      files.leaves['ecdsa']!.certificate,
    ]);
    expect(res.code).toBe(0);
  });

  it('the root and intermediate are CAs with the right key usage', async () => {
    const root = await openssl(['x509', '-in', files.root, '-noout', '-text']);
    expect(root.stdout).toMatch(/Basic Constraints: critical\s+CA:TRUE\n/);
    expect(root.stdout).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(root.stdout).toMatch(/Subject Key Identifier/);
    const inter = await openssl(['x509', '-in', files.intermediate, '-noout', '-text']);
    expect(inter.stdout).toMatch(/CA:TRUE, pathlen:0/);
    expect(inter.stdout).toMatch(/Authority Key Identifier/);
    const subject = await openssl([
      'x509',
      '-in',
      files.intermediate,
      '-noout',
      '-subject',
      '-issuer',
    ]);
    // Separate RDNs, not one multi-valued RDN ("O = x + CN = y").
    expect(subject.stdout).toMatch(
      /^subject=O = Staple Testkit, CN = Staple Test Intermediate CA [0-9A-F]{8}$/m,
    );
    expect(subject.stdout).toMatch(
      /^issuer=O = Staple Testkit, CN = Staple Test Root CA [0-9A-F]{8}$/m,
    );
  });

  it('a Must-Staple RSA leaf shows every extension', async () => {
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.leaves['rsa']!.certificate,
      '-noout',
      '-text',
    ]);
    expect(stdout).toMatch(/TLS Feature:\s+status_request/);
    expect(stdout).toContain(`OCSP - URI:${OCSP_URL}`);
    expect(stdout).toContain('DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(stdout).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(stdout).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(stdout).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(stdout).toContain('Public-Key: (2048 bit)');
    expect(stdout).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('an ECDSA leaf without Must-Staple has digitalSignature only', async () => {
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.leaves['ecdsa']!.certificate,
      '-noout',
      '-text',
    ]);
    expect(stdout).not.toContain('TLS Feature');
    expect(stdout).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(stdout).toContain('NIST CURVE: P-256');
  });

  it('a P-384 leaf has its own names and addresses', async () => {
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.leaves['p384']!.certificate,
      '-noout',
      '-text',
    ]);
    expect(stdout).toContain('NIST CURVE: P-384');
    expect(stdout).toContain('DNS:a.test, DNS:b.test, IP Address:10.1.2.3');
    expect(stdout).toMatch(/Subject: O = Staple Testkit, CN = a\.test/);
  });

  it('a leaf with ocspUrl null has no AIA', async () => {
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.leaves['no-aia']!.certificate,
      '-noout',
      '-text',
    ]);
    expect(stdout).not.toContain('Authority Information Access');
    expect(pki.leaf('no-aia').ocspUrl).toBeUndefined();
  });

  it('the OCSP signer has OCSP Signing and OCSP No Check', async () => {
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.ocspSigner!.certificate,
      '-noout',
      '-text',
    ]);
    expect(stdout).toMatch(/Extended Key Usage:\s+OCSP Signing/);
    expect(stdout).toContain('OCSP No Check');
    expect(stdout).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(stdout).not.toContain('Authority Information Access');
  });

  it.each(['rsa', 'ecdsa', 'p384'])(
    'the %s key file is PKCS#8 and matches its certificate',
    async (name) => {
      const leaf = files.leaves[name]!;
      const pem = await readFile(leaf.privateKey, 'utf8');
      expect(pem.startsWith('-----BEGIN PRIVATE KEY-----\n')).toBe(true);
      expect((await openssl(['pkey', '-in', leaf.privateKey, '-noout'])).code).toBe(0);
      const fromCert = await openssl(['x509', '-in', leaf.certificate, '-noout', '-pubkey']);
      const fromKey = await openssl(['pkey', '-in', leaf.privateKey, '-pubout']);
      expect(fromKey.stdout).toBe(fromCert.stdout);
      expect(fromKey.stdout).toContain('BEGIN PUBLIC KEY');
    },
  );

  it('every CA and signer key matches its certificate', async () => {
    const pairs = [
      [files.root, files.rootKey],
      [files.intermediate, files.intermediateKey],
      [files.ocspSigner!.certificate, files.ocspSigner!.privateKey],
    ] as const;
    for (const [cert, key] of pairs) {
      const fromCert = await openssl(['x509', '-in', cert, '-noout', '-pubkey']);
      const fromKey = await openssl(['pkey', '-in', key, '-pubout']);
      expect(fromKey.stdout).toBe(fromCert.stdout);
    }
  });

  it('serials are 16 random positive bytes, printed as OpenSSL prints them', async () => {
    const all = [pki.root, pki.intermediate, pki.ocspSigner!, ...pki.leaves];
    for (const entity of all) {
      expect(entity.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
      expect(entity.serialNumber.startsWith('00')).toBe(false);
    }
    expect(new Set(all.map((e) => e.serialNumber)).size).toBe(all.length);
    const { stdout } = await openssl([
      'x509',
      '-in',
      files.leaves['rsa']!.certificate,
      '-noout',
      '-serial',
    ]);
    expect(stdout.trim()).toBe(`serial=${pki.leaf('rsa').serialNumber}`);
  });

  it('notBefore is an hour back, leaves last 90 days and CAs 10 years', () => {
    const leaf = parseCertificate(pki.leaf('ecdsa').certificate);
    const root = parseCertificate(pki.root.certificate);
    const hourAgo = Date.now() - 3_600_000;
    expect(Math.abs(leaf.notBefore.getTime() - hourAgo)).toBeLessThan(60_000);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(90 * 86_400_000);
    expect(root.notAfter.getTime() - root.notBefore.getTime()).toBe(3650 * 86_400_000);
  });

  it('writes keys with mode 0600 and certificates 0644', async () => {
    expect((await stat(files.leaves['rsa']!.privateKey)).mode & 0o777).toBe(0o600);
    expect((await stat(files.rootKey)).mode & 0o777).toBe(0o600);
    expect((await stat(files.ocspSigner!.privateKey)).mode & 0o777).toBe(0o600);
    expect((await stat(files.leaves['rsa']!.certificate)).mode & 0o777).toBe(0o644);
    expect(files.root).toBe(join(files.dir, 'root.pem'));
    expect(files.leaves['rsa']!.chain).toBe(join(files.dir, 'rsa.chain.pem'));
    expect(files.ocspSigner!.privateKey).toBe(join(files.dir, 'ocsp-signer.key.pem'));
    expect(await readFile(files.root, 'utf8')).toBe(pki.rootPem);
  });

  it('the codec reads back what was written', () => {
    const rsa = parseCertificate(pki.leaf('rsa').certificatePem);
    expect(rsa.mustStaple).toBe(true);
    expect(rsa.ocspUrls).toEqual([OCSP_URL]);
    expect(rsa.dnsNames).toEqual(['localhost']);
    expect(rsa.key).toEqual({ type: 'rsa', bits: 2048 });
    expect(rsa.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(rsa.isCA).toBe(false);
    expect(rsa.serialNumber).toBe(pki.leaf('rsa').serialNumber);
    const p384 = parseCertificate(pki.leaf('p384').certificate);
    expect(p384.key).toMatchObject({ type: 'ec', curve: 'P-384' });
    expect(p384.mustStaple).toBe(false);
    const signer = parseCertificate(pki.ocspSigner!.certificate);
    expect(signer.ocspNoCheck).toBe(true);
    expect(signer.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.9']);
    expect(parseCertificate(pki.intermediate.certificate).isCA).toBe(true);
  });

  it('keys are extractable WebCrypto private keys', async () => {
    const leaf = pki.leaf('ecdsa');
    expect(leaf.privateKey.type).toBe('private');
    expect(leaf.privateKey.extractable).toBe(true);
    const pkcs8 = await crypto.subtle.exportKey('pkcs8', leaf.privateKey);
    expect(pkcs8.byteLength).toBeGreaterThan(0);
  });

  it('issueLeaf makes one more leaf from the same intermediate', async () => {
    const extra = await pki.issueLeaf({ name: 'later', keyType: 'ecdsa-p256', mustStaple: true });
    expect(extra.ocspUrl).toBe(OCSP_URL);
    expect(pki.leaves.map((l) => l.name)).not.toContain('later');
    const tmp = await tempDir();
    try {
      const { writeFile } = await import('node:fs/promises');
      const path = join(tmp.dir, 'later.pem');
      await writeFile(path, extra.certificatePem);
      const res = await openssl([
        'verify',
        '-CAfile',
        files.root,
        '-untrusted',
        files.intermediate,
        path,
      ]);
      expect(res.stdout.trim()).toBe(`${path}: OK`);
    } finally {
      await tmp.remove();
    }
  });

  it('leaf() throws for an unknown name', () => {
    expect(() => pki.leaf('nope')).toThrow(/no leaf named "nope"/);
  });
});

describe('createTestPki defaults and options', () => {
  it('makes an RSA leaf and an ECDSA leaf, a signer with no-check, and no AIA without ocspUrl', async () => {
    const pki = await createTestPki();
    expect(pki.leaves.map((l) => [l.name, l.keyType])).toEqual([
      ['rsa', 'rsa'],
      ['ecdsa', 'ecdsa-p256'],
    ]);
    expect(pki.root.keyType).toBe('ecdsa-p256');
    expect(pki.ocspSigner?.keyType).toBe('ecdsa-p256');
    expect(parseCertificate(pki.ocspSigner!.certificate).ocspNoCheck).toBe(true);
    for (const leaf of pki.leaves) {
      expect(leaf.ocspUrl).toBeUndefined();
      expect(parseCertificate(leaf.certificate).ocspUrls).toEqual([]);
      expect(leaf.ips).toEqual(['127.0.0.1', '::1']);
      expect(leaf.chainPem).toBe(leaf.certificatePem + pki.intermediate.certificatePem);
    }
    expect(pki.rootPem).toBe(pki.root.certificatePem);
  });

  it('ECDSA-only PKIs take well under a second', async () => {
    const started = performance.now();
    await createTestPki({ leaves: [{ name: 'a', keyType: 'ecdsa-p256' }] });
    const ms = performance.now() - started;
    console.info(`createTestPki (ECDSA only): ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
  });

  it('can leave out the signer, or its no-check extension', async () => {
    const none = await createTestPki({ delegatedSigner: false, leaves: [] });
    expect(none.ocspSigner).toBeUndefined();
    const tmp = await tempDir();
    try {
      const files = await writeTestPki(none, tmp.dir);
      expect(files.ocspSigner).toBeUndefined();
      expect(files.leaves).toEqual({});
    } finally {
      await tmp.remove();
    }
    const checked = await createTestPki({
      delegatedSigner: { keyType: 'ecdsa-p384', noCheck: false },
      leaves: [],
    });
    const signer = parseCertificate(checked.ocspSigner!.certificate);
    expect(signer.ocspNoCheck).toBe(false);
    expect(signer.key).toMatchObject({ curve: 'P-384' });
  });

  it('builds an RSA hierarchy that OpenSSL accepts', async () => {
    const pki = await createTestPki({
      caKeyType: 'rsa',
      leaves: [{ name: 'p384', keyType: 'ecdsa-p384' }],
      delegatedSigner: false,
    });
    const tmp = await tempDir();
    try {
      const files = await writeTestPki(pki, tmp.dir);
      const res = await openssl([
        'verify',
        '-CAfile',
        files.root,
        '-untrusted',
        files.intermediate,
        files.leaves['p384']!.certificate,
      ]);
      expect(res.code).toBe(0);
      const text = await openssl([
        'x509',
        '-in',
        files.leaves['p384']!.certificate,
        '-noout',
        '-text',
      ]);
      expect(text.stdout).toContain('Signature Algorithm: sha256WithRSAEncryption');
    } finally {
      await tmp.remove();
    }
  });

  it('a P-384 CA signs with SHA-384', async () => {
    const pki = await createTestPki({
      caKeyType: 'ecdsa-p384',
      leaves: [{ name: 'e', keyType: 'ecdsa-p256' }],
    });
    expect(parseCertificate(pki.leaf('e').certificate).signatureAlgorithm.name).toBe(
      'ecdsa-with-SHA384',
    );
  });

  it('takes validity settings', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const pki = await createTestPki({
      validity: { notBefore, caDays: 20, leafDays: 7 },
      leaves: [
        { name: 'short', keyType: 'ecdsa-p256', validityDays: 1 },
        { name: 'plain', keyType: 'ecdsa-p256' },
      ],
      delegatedSigner: { validityDays: 2, notBefore: new Date('2030-01-05T00:00:00Z') },
    });
    const root = parseCertificate(pki.root.certificate);
    expect(root.notBefore).toEqual(notBefore);
    expect(root.notAfter).toEqual(new Date('2030-01-21T00:00:00Z'));
    expect(parseCertificate(pki.leaf('short').certificate).notAfter).toEqual(
      new Date('2030-01-02T00:00:00Z'),
    );
    expect(parseCertificate(pki.leaf('plain').certificate).notAfter).toEqual(
      new Date('2030-01-08T00:00:00Z'),
    );
    const signer = parseCertificate(pki.ocspSigner!.certificate);
    expect(signer.notBefore).toEqual(new Date('2030-01-05T00:00:00Z'));
    expect(signer.notAfter).toEqual(new Date('2030-01-07T00:00:00Z'));
  });

  it('uses GeneralizedTime from 2050 on', async () => {
    const pki = await createTestPki({
      validity: { notBefore: new Date('2049-12-31T00:00:00Z'), caDays: 2 },
      leaves: [],
      delegatedSigner: false,
    });
    expect(parseCertificate(pki.root.certificate).notAfter).toEqual(
      new Date('2050-01-02T00:00:00Z'),
    );
  });

  it('refuses bad options before generating anything', async () => {
    await expect(
      createTestPki({
        leaves: [
          { name: 'a', keyType: 'rsa' },
          { name: 'a', keyType: 'rsa' },
        ],
      }),
    ).rejects.toThrow(/two leaves/);
    await expect(createTestPki({ leaves: [{ name: 'root', keyType: 'rsa' }] })).rejects.toThrow(
      /reserved/,
    );
    await expect(createTestPki({ leaves: [{ name: '../x', keyType: 'rsa' }] })).rejects.toThrow(
      /safe file name/,
    );
    await expect(createTestPki({ leaves: [{ name: 'a.key', keyType: 'rsa' }] })).rejects.toThrow(
      /safe file name/,
    );
    await expect(
      createTestPki({ leaves: [{ name: 'a', keyType: 'dsa' as 'rsa' }] }),
    ).rejects.toThrow(/key type/);
    await expect(createTestPki({ caKeyType: 'ed25519' as 'rsa' })).rejects.toThrow(/key type/);
    await expect(createTestPki({ ocspUrl: 'not a url' })).rejects.toThrow(/not a URL/);
    await expect(createTestPki({ validity: { leafDays: 0 } })).rejects.toThrow(/positive/);
    await expect(
      createTestPki({ ips: ['300.1.1.1'], leaves: [{ name: 'a', keyType: 'ecdsa-p256' }] }),
    ).rejects.toThrow(/not an IP/);
  });
});

describe('createOtherIssuer', () => {
  it('is a self-signed CA that the test PKI does not trust', async () => {
    const other = await createOtherIssuer();
    const pki = await createTestPki({ leaves: [{ name: 'e', keyType: 'ecdsa-p256' }] });
    const info = parseCertificate(other.certificate);
    expect(info.isCA).toBe(true);
    expect(info.subject).toBe(info.issuer);
    expect(info.subject).toMatch(/Staple Unrelated CA/);
    const tmp = await tempDir();
    try {
      const { writeFile } = await import('node:fs/promises');
      const otherPath = join(tmp.dir, 'other.pem');
      await writeFile(otherPath, other.certificatePem);
      const files = await writeTestPki(pki, tmp.dir);
      expect((await openssl(['verify', '-CAfile', otherPath, otherPath])).code).toBe(0);
      const res = await openssl([
        'verify',
        '-CAfile',
        otherPath,
        '-untrusted',
        files.intermediate,
        files.leaves['e']!.certificate,
      ]);
      expect(res.code).not.toBe(0);
    } finally {
      await tmp.remove();
    }
  });

  it('takes a key type and a name', async () => {
    const other = await createOtherIssuer({ keyType: 'rsa', commonName: 'Evil CA' });
    expect(other.keyType).toBe('rsa');
    expect(other.commonName).toBe('Evil CA');
    expect(parseCertificate(other.certificate).key).toEqual({ type: 'rsa', bits: 2048 });
  });
});
