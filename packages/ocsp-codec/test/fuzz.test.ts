import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  isOcspError,
  parseCertificate,
  toHex,
  verifyResponse,
} from '../src/index.js';
import { readVector, readVectorText } from './vectors.js';

// Untrusted bytes: the codec may only ever answer with data or an OcspError — no other
// exception, no hang — and never with a verified result for a message whose meaning changed.

function onlyOcspErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isOcspError(error)) throw error;
  }
}

const REAL = [
  {
    file: 'bssl-good_response_sha256.der',
    issuer: 'certs/bssl-good_response_sha256.ca.pem',
    leaf: 'certs/bssl-good_response_sha256.leaf.pem',
    now: new Date('2017-03-05T00:00:00Z'),
  },
  {
    file: 'bssl-ocsp_sign_indirect.der',
    issuer: 'certs/bssl-ocsp_sign_indirect.ca.pem',
    leaf: 'certs/bssl-ocsp_sign_indirect.leaf.pem',
    now: new Date('2017-03-05T00:00:00Z'),
  },
  {
    file: 'awslc-ocsp_response_sha256.der',
    issuer: 'certs/awslc-ca_cert.pem',
    leaf: 'certs/awslc-rsa_cert.pem',
    now: undefined,
  },
].map((v) => {
  const der = readVector(v.file);
  const decoded = decodeResponse(der);
  if (decoded.responseStatus !== 'successful') throw new Error('vector is not successful');
  return {
    ...v,
    der,
    tbs: decoded.basic.tbsResponseData,
    issuerCert: parseCertificate(readVectorText(v.issuer)),
    leafCert: parseCertificate(readVectorText(v.leaf)),
    now: v.now ?? new Date(decoded.basic.responses[0]!.thisUpdate.getTime() + 60_000),
  };
});

const allVectors = [
  ...REAL.map((r) => r.der),
  readVector('pyca-resp-revoked-reason.der'),
  readVector('pyca-ocsp-army.deps.mil-resp.der'),
  readVector('pyca-req-ext-nonce.der'),
  readVector('awslc-ocsp_request_signed_sha256.der'),
];

describe('fuzz: decoding untrusted bytes', () => {
  it('random bytes give data or OcspError (3,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        onlyOcspErrors(() => decodeResponse(bytes));
        onlyOcspErrors(() => decodeRequest(bytes));
        onlyOcspErrors(() => parseCertificate(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('DER-looking random bytes (a SEQUENCE header first) give data or OcspError (1,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (body) => {
        const bytes = new Uint8Array([0x30, 0x82, body.length >> 8, body.length & 0xff, ...body]);
        onlyOcspErrors(() => decodeResponse(bytes));
        onlyOcspErrors(() => decodeRequest(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('every truncation of real messages is refused with OcspError (2,000 cases)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...allVectors), fc.nat(), (der, n) => {
        const cut = der.subarray(0, n % der.length);
        let code: string | undefined;
        try {
          decodeResponse(cut);
        } catch (error) {
          if (!isOcspError(error)) throw error;
          code = error.code;
        }
        expect(code).toBe('ERR_OCSP_MALFORMED');
        onlyOcspErrors(() => decodeRequest(cut));
      }),
      { numRuns: 2000 },
    );
  });

  it('single-byte mutations never verify with a changed meaning (4,000 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...REAL),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (real, position, xor) => {
          const mutated = real.der.slice();
          const i = position % mutated.length;
          mutated[i] = mutated[i]! ^ xor;
          onlyOcspErrors(() => decodeResponse(mutated));
          let result: Awaited<ReturnType<typeof verifyResponse>> | undefined;
          try {
            result = await verifyResponse(mutated, {
              certificate: real.leafCert,
              issuer: real.issuerCert,
              now: real.now,
              requireNextUpdate: false,
            });
          } catch (error) {
            if (!isOcspError(error)) throw error;
            return;
          }
          // A mutation may only pass where it changed nothing that was signed or matters
          // (e.g. an unused encoding detail of an embedded certificate's wrapper).
          const decoded = decodeResponse(mutated);
          if (decoded.responseStatus !== 'successful') throw new Error('verified a non-success');
          expect(toHex(decoded.basic.tbsResponseData)).toBe(toHex(real.tbs));
          expect(result.single.certId.serialNumber).toBe(real.leafCert.serialNumber);
        },
      ),
      { numRuns: 4000 },
    );
  }, 120_000);
});
