import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createRequest,
  decodeResponse,
  isOcspError,
  parseCertificate,
  toHex,
  verifyResponse,
} from '@staple/ocsp-codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../src/index.js';

// `openssl ocsp` — a peer nobody here wrote — as the responder for our requests (its offline
// form: OpenSSL 3.0's -port listens on every address and spins after an empty connect), and
// its -resp_text as the reference for what our decoder reads from its responses.

const run = promisify(execFile);
let pki: TestPki;
let dir: string;

async function openssl(args: string[]): Promise<string> {
  const { stdout, stderr } = await run('openssl', args, { cwd: dir, timeout: 20_000 });
  return stdout + stderr;
}

// index.txt as `openssl ca` keeps it: status, expiry, revocation[,reason], serial, file, DN.
function indexLine(
  status: 'V' | 'R',
  serial: string,
  revoked?: { at: Date; reason?: string },
): string {
  const t = (d: Date) => `${d.toISOString().slice(2, 19).replace(/[-:T]/g, '')}Z`;
  const rev = revoked ? `${t(revoked.at)}${revoked.reason ? `,${revoked.reason}` : ''}` : '';
  return `${status}\t${t(new Date(Date.now() + 86_400_000 * 30))}\t${rev}\t${serial}\tunknown\t/CN=x\n`;
}

beforeAll(async () => {
  pki = await createTestPki({
    leaves: [
      { name: 'good', keyType: 'ecdsa-p256' },
      { name: 'revoked', keyType: 'rsa' },
      { name: 'unknown', keyType: 'ecdsa-p256' },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'staple-openssl-'));
  const signer = pki.ocspSigner!;
  await Promise.all([
    writeFile(join(dir, 'ca.pem'), pki.intermediate.certificatePem),
    writeFile(join(dir, 'ca.key'), pki.intermediate.privateKeyPem),
    writeFile(join(dir, 'signer.pem'), signer.certificatePem),
    writeFile(join(dir, 'signer.key'), signer.privateKeyPem),
    writeFile(join(dir, 'root.pem'), pki.root.certificatePem),
    writeFile(join(dir, 'root.key'), pki.root.privateKeyPem),
    writeFile(
      join(dir, 'index.txt'),
      indexLine('V', pki.leaf('good').serialNumber) +
        indexLine('R', pki.leaf('revoked').serialNumber, {
          at: new Date('2026-01-02T03:04:05Z'),
          reason: 'keyCompromise',
        }),
    ),
  ]);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const SIGNER_FILES = {
  issuer: ['ca.pem', 'ca.key'],
  delegated: ['signer.pem', 'signer.key'],
  root: ['root.pem', 'root.key'],
} as const;

async function respond(
  requestDer: Uint8Array,
  extra: string[],
  signer: keyof typeof SIGNER_FILES,
): Promise<Uint8Array> {
  await writeFile(join(dir, 'req.der'), requestDer);
  const [cert, key] = SIGNER_FILES[signer];
  await openssl([
    'ocsp',
    '-index',
    'index.txt',
    '-CA',
    'ca.pem',
    '-rsigner',
    cert,
    '-rkey',
    key,
    '-reqin',
    'req.der',
    '-respout',
    'resp.der',
    ...extra,
  ]);
  return new Uint8Array(await readFile(join(dir, 'resp.der')));
}

describe('our request -> openssl ocsp responder -> our verify', () => {
  for (const signer of ['issuer', 'delegated'] as const) {
    for (const hash of ['SHA-1', 'SHA-256'] as const) {
      it(`good, revoked (with reason) and unknown; ${signer}-signed; ${hash} CertID`, async () => {
        const issuer = pki.intermediate.certificate;
        for (const name of ['good', 'revoked', 'unknown'] as const) {
          const leaf = pki.leaf(name).certificate;
          const { der: request, nonce } = await createRequest([{ certificate: leaf, issuer }], {
            hashAlgorithm: hash,
            nonce: true,
          });
          const response = await respond(request, ['-ndays', '1'], signer);
          const verified = await verifyResponse(response, {
            certificate: leaf,
            issuer,
            nonce: nonce!,
            requireNonce: true,
          });
          expect(verified.certStatus).toBe(name);
          expect(verified.signer).toBe(signer);
          expect(toHex(verified.nonce!)).toBe(toHex(nonce!));
          expect(verified.single.certId.hashAlgorithm.name).toBe(
            hash === 'SHA-1' ? 'sha1' : 'sha256',
          );
          if (name === 'revoked') {
            expect(verified.revocationTime?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
            expect(verified.revocationReason).toBe('keyCompromise');
          }
        }
      });
    }
  }

  it('refuses an openssl response about another certificate, and one from the wrong signer', async () => {
    const issuer = pki.intermediate.certificate;
    const { der } = await createRequest([{ certificate: pki.leaf('good').certificate, issuer }]);
    const response = await respond(der, ['-ndays', '1'], 'issuer');
    await expect(
      verifyResponse(response, { certificate: pki.leaf('revoked').certificate, issuer }),
    ).rejects.toMatchObject({ code: 'ERR_OCSP_CERTID_MISMATCH' });
    // Signed by the root: a CA in the chain, but not the issuer nor a responder it authorised.
    const wrong = await respond(der, ['-ndays', '1'], 'root');
    await expect(
      verifyResponse(wrong, { certificate: pki.leaf('good').certificate, issuer }),
    ).rejects.toMatchObject({ code: 'ERR_OCSP_UNAUTHORIZED_SIGNER' });
  });

  it('without -ndays openssl omits nextUpdate, which a stapler must refuse', async () => {
    const issuer = pki.intermediate.certificate;
    const leaf = pki.leaf('good').certificate;
    const { der } = await createRequest([{ certificate: leaf, issuer }]);
    const response = await respond(der, [], 'issuer');
    try {
      await verifyResponse(response, { certificate: leaf, issuer });
      expect.unreachable();
    } catch (error) {
      expect(isOcspError(error, 'ERR_OCSP_NO_NEXT_UPDATE')).toBe(true);
    }
    const lenient = await verifyResponse(response, {
      certificate: leaf,
      issuer,
      requireNextUpdate: false,
    });
    expect(lenient.certStatus).toBe('good');
  });
});

// Parses the fields of `openssl ocsp -resp_text` that we compare.
function opensslText(text: string) {
  const field = (label: string) => {
    const m = text.match(new RegExp(`${label}: ?(.*)`));
    return m?.[1]?.trim();
  };
  const time = (s: string | undefined) =>
    s ? new Date(s.replace(' GMT', ' UTC')).toISOString() : undefined;
  return {
    responderId: field('Responder Id'),
    producedAt: time(field('Produced At')),
    hashAlgorithm: field('Hash Algorithm'),
    issuerNameHash: field('Issuer Name Hash'),
    issuerKeyHash: field('Issuer Key Hash'),
    serialNumber: field('Serial Number'),
    certStatus: field('Cert Status'),
    thisUpdate: time(field('This Update')),
    nextUpdate: time(field('Next Update')),
    signatureAlgorithm: field('Signature Algorithm'),
    hasCertificate: /Certificate:\s*\n\s*Data:/.test(text),
  };
}

describe('responses made by openssl ocsp decode to what openssl prints', () => {
  const variants: [string, string[]][] = [
    ['default', ['-ndays', '1']],
    ['-resp_no_certs', ['-resp_no_certs', '-ndays', '2']],
    ['-resp_key_id', ['-resp_key_id', '-nmin', '30']],
    ['-resp_key_id -resp_no_certs -nmin', ['-resp_key_id', '-resp_no_certs', '-nmin', '5']],
  ];
  for (const [label, flags] of variants) {
    for (const signer of ['issuer', 'delegated'] as const) {
      it(`${label}, ${signer}-signed`, async () => {
        const issuer = pki.intermediate.certificate;
        const leaf = pki.leaf('revoked').certificate;
        const { der } = await createRequest([{ certificate: leaf, issuer }]);
        const response = await respond(der, flags, signer);
        const printed = opensslText(
          await openssl(['ocsp', '-respin', 'resp.der', '-resp_text', '-noverify']),
        );
        const decoded = decodeResponse(response);
        if (decoded.responseStatus !== 'successful') throw new Error('not successful');
        const basic = decoded.basic;
        const single = basic.responses[0]!;
        if (basic.responderId.type === 'byKey') {
          expect(flags).toContain('-resp_key_id');
          expect(toHex(basic.responderId.keyHash)).toBe(printed.responderId);
        } else {
          expect(flags).not.toContain('-resp_key_id');
          expect(basic.responderId.name.replace(/=/g, ' = ')).toBe(printed.responderId);
        }
        expect(basic.producedAt.toISOString()).toBe(printed.producedAt);
        expect(single.certId.hashAlgorithm.name).toBe(printed.hashAlgorithm);
        expect(toHex(single.certId.issuerNameHash)).toBe(printed.issuerNameHash);
        expect(toHex(single.certId.issuerKeyHash)).toBe(printed.issuerKeyHash);
        expect(single.certId.serialNumber).toBe(printed.serialNumber);
        expect(single.certStatus).toBe(printed.certStatus);
        expect(single.thisUpdate.toISOString()).toBe(printed.thisUpdate);
        expect(single.nextUpdate?.toISOString()).toBe(printed.nextUpdate);
        expect(basic.signatureAlgorithm.name).toBe(printed.signatureAlgorithm);
        const expectCerts = !flags.includes('-resp_no_certs');
        expect(basic.certificates.length > 0).toBe(expectCerts);
        expect(printed.hasCertificate).toBe(expectCerts);
        if (expectCerts) {
          const embedded = parseCertificate(basic.certificates[0]!);
          expect(embedded.serialNumber).toBe(
            (signer === 'issuer' ? pki.intermediate : pki.ocspSigner!).serialNumber,
          );
        }
        // The next update window openssl was asked for.
        const windowMs = single.nextUpdate!.getTime() - single.thisUpdate.getTime();
        const asked = flags.includes('-nmin')
          ? Number(flags[flags.indexOf('-nmin') + 1]) * 60_000
          : Number(flags[flags.indexOf('-ndays') + 1]) * 86_400_000;
        expect(windowMs).toBe(asked);
      });
    }
  }
});
