import {
  computeCertId,
  decodeResponse,
  encodeUnsuccessfulResponse,
  isOcspError,
  type OcspErrorCode,
  signResponse,
  toHex,
  verifyResponse,
} from '@staple/ocsp-codec';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createOtherIssuer,
  createTestPki,
  type TestCertificate,
  type TestPki,
} from '../src/index.js';

// The codec's signer and verifier against each other on a real PKI: every kind of response it
// can make verifies, and every way a response can be wrong is refused with its own code.

let pki: TestPki;
const HOUR = 3_600_000;

beforeAll(async () => {
  pki = await createTestPki({
    leaves: [
      { name: 'rsa', keyType: 'rsa' },
      { name: 'ecdsa', keyType: 'ecdsa-p256' },
      { name: 'p384', keyType: 'ecdsa-p384' },
    ],
  });
}, 60_000);

async function make(options: {
  leaf?: string;
  signer?: TestCertificate;
  status?: 'good' | 'revoked' | 'unknown';
  thisUpdate?: Date;
  nextUpdate?: Date | null;
  nonce?: Uint8Array;
  responderIdType?: 'byKey' | 'byName';
  certificates?: Uint8Array[];
  hash?: 'SHA-1' | 'SHA-256';
}) {
  const leaf = pki.leaf(options.leaf ?? 'ecdsa');
  const now = Date.now();
  const signer = options.signer ?? pki.intermediate;
  const thisUpdate = options.thisUpdate ?? new Date(now - HOUR);
  return signResponse({
    issuer: pki.intermediate.certificate,
    signer: { certificate: signer.certificate, privateKey: signer.privateKey },
    responses: [
      {
        certId: await computeCertId(leaf.certificate, pki.intermediate.certificate, options.hash),
        certStatus: options.status ?? 'good',
        ...(options.status === 'revoked'
          ? { revocationTime: new Date(now - 2 * HOUR), revocationReason: 'keyCompromise' as const }
          : {}),
        thisUpdate,
        ...(options.nextUpdate === null
          ? {}
          : { nextUpdate: options.nextUpdate ?? new Date(thisUpdate.getTime() + 24 * HOUR) }),
      },
    ],
    ...(options.responderIdType ? { responderIdType: options.responderIdType } : {}),
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.certificates ? { certificates: options.certificates } : {}),
  });
}

async function outcome(der: Uint8Array, leaf = 'ecdsa', extra: Record<string, unknown> = {}) {
  try {
    const res = await verifyResponse(der, {
      certificate: pki.leaf(leaf).certificate,
      issuer: pki.intermediate.certificate,
      ...extra,
    });
    return res.certStatus;
  } catch (error) {
    if (isOcspError(error)) return error.code;
    throw error;
  }
}

describe('signResponse -> verifyResponse', () => {
  for (const leaf of ['rsa', 'ecdsa', 'p384']) {
    for (const status of ['good', 'revoked', 'unknown'] as const) {
      for (const responderIdType of ['byKey', 'byName'] as const) {
        for (const who of ['issuer', 'delegated'] as const) {
          it(`${leaf} ${status} ${responderIdType} ${who}`, async () => {
            const signer = who === 'issuer' ? pki.intermediate : pki.ocspSigner!;
            const der = await make({ leaf, status, responderIdType, signer });
            const res = await verifyResponse(der, {
              certificate: pki.leaf(leaf).certificate,
              issuer: pki.intermediate.certificate,
            });
            expect(res.certStatus).toBe(status);
            expect(res.signer).toBe(who);
            expect(res.responderId.type).toBe(responderIdType);
            if (status === 'revoked') expect(res.revocationReason).toBe('keyCompromise');
            const decoded = decodeResponse(der);
            if (decoded.responseStatus !== 'successful') throw new Error('not successful');
            // The delegated signer's certificate travels with the response; the issuer's does not.
            expect(decoded.basic.certificates).toHaveLength(who === 'delegated' ? 1 : 0);
          });
        }
      }
    }
  }

  it('echoes a nonce, and the nonce checks hold', async () => {
    const nonce = crypto.getRandomValues(new Uint8Array(16));
    const der = await make({ nonce });
    expect(await outcome(der, 'ecdsa', { nonce, requireNonce: true })).toBe('good');
    const other = crypto.getRandomValues(new Uint8Array(16));
    expect(await outcome(der, 'ecdsa', { nonce: other })).toBe('ERR_OCSP_NONCE_MISMATCH');
    const without = await make({});
    expect(await outcome(without, 'ecdsa', { nonce })).toBe('good');
    expect(await outcome(without, 'ecdsa', { nonce, requireNonce: true })).toBe(
      'ERR_OCSP_NONCE_MISSING',
    );
  });

  it('SHA-256 CertIDs verify too', async () => {
    expect(await outcome(await make({ hash: 'SHA-256' }))).toBe('good');
  });
});

describe('verifyResponse refuses', () => {
  const cases: [string, () => Promise<Uint8Array>, OcspErrorCode, string?][] = [
    [
      'an expired response',
      () => make({ thisUpdate: new Date(Date.now() - 48 * HOUR) }),
      'ERR_OCSP_EXPIRED',
    ],
    [
      'a response from the future',
      () => make({ thisUpdate: new Date(Date.now() + HOUR) }),
      'ERR_OCSP_NOT_YET_VALID',
    ],
    ['a response without nextUpdate', () => make({ nextUpdate: null }), 'ERR_OCSP_NO_NEXT_UPDATE'],
    [
      'a response about another certificate',
      () => make({ leaf: 'rsa' }),
      'ERR_OCSP_CERTID_MISMATCH',
    ],
    [
      'a response signed by the root (not the issuer)',
      async () => make({ signer: pki.root }),
      'ERR_OCSP_UNAUTHORIZED_SIGNER',
    ],
    [
      'a response signed by a leaf of the issuer without id-kp-OCSPSigning',
      async () => {
        const leaf = pki.leaf('rsa');
        return make({ signer: leaf, certificates: [leaf.certificate] });
      },
      'ERR_OCSP_UNAUTHORIZED_SIGNER',
    ],
    [
      'a response signed by an unrelated CA that embeds itself',
      async () => {
        const stranger = await createOtherIssuer();
        return make({ signer: stranger, certificates: [stranger.certificate] });
      },
      'ERR_OCSP_UNAUTHORIZED_SIGNER',
    ],
    [
      'a tryLater status',
      async () => encodeUnsuccessfulResponse('tryLater'),
      'ERR_OCSP_UNSUCCESSFUL',
    ],
  ];
  for (const [label, build, code] of cases) {
    it(label, async () => {
      expect(await outcome(await build())).toBe(code);
    });
  }

  it('a delegated signer whose certificate has expired', async () => {
    const old = await createTestPki({
      leaves: [{ name: 'ecdsa', keyType: 'ecdsa-p256' }],
      delegatedSigner: { notBefore: new Date(Date.now() - 10 * 24 * HOUR), validityDays: 1 },
    });
    const leaf = old.leaf('ecdsa');
    const der = await signResponse({
      issuer: old.intermediate.certificate,
      signer: { certificate: old.ocspSigner!.certificate, privateKey: old.ocspSigner!.privateKey },
      responses: [
        {
          certId: await computeCertId(leaf.certificate, old.intermediate.certificate),
          certStatus: 'good',
          thisUpdate: new Date(Date.now() - HOUR),
          nextUpdate: new Date(Date.now() + HOUR),
        },
      ],
    });
    await expect(
      verifyResponse(der, { certificate: leaf.certificate, issuer: old.intermediate.certificate }),
    ).rejects.toMatchObject({ code: 'ERR_OCSP_UNAUTHORIZED_SIGNER' });
  });

  it('a signature that was tampered with, and a body that was', async () => {
    const der = await make({});
    const decoded = decodeResponse(der);
    if (decoded.responseStatus !== 'successful') throw new Error('not successful');
    const sigAt = indexOf(der, decoded.basic.signature);
    const badSig = der.slice();
    badSig[sigAt + 10] = badSig[sigAt + 10]! ^ 1;
    expect(await outcome(badSig)).toBe('ERR_OCSP_SIGNATURE');
    // Flip the status from good [0] to unknown [2] inside the signed data.
    const tbsAt = indexOf(der, decoded.basic.tbsResponseData);
    const statusAt = indexOf(der.subarray(tbsAt), new Uint8Array([0x80, 0x00])) + tbsAt;
    const badBody = der.slice();
    badBody[statusAt] = 0x82;
    expect(toHex(badBody)).not.toBe(toHex(der));
    expect(await outcome(badBody)).toBe('ERR_OCSP_SIGNATURE');
  });
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}
