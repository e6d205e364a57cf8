import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponse,
  type Extension,
  isOcspError,
  type OcspErrorCode,
  parseCertificate,
  toHex,
  verifyResponse,
} from '../src/index.js';
import { manifest, readVector, readVectorText } from './vectors.js';

// Every vector in ../shared/vectors/ocsp, decoded and compared field by field with what the
// OpenSSL CLI printed for it (MANIFEST.json), which nobody here wrote.

const iso = (d: Date | undefined) => (d ? d.toISOString().replace('.000Z', 'Z') : null);
const opensslName = (dn: string) => dn.replace(/=/g, ' = ');
const opensslHash = (name: string) => (name.includes('.') ? name : name);

interface ExpectedCertId {
  hashAlgorithm: string;
  issuerNameHash: string;
  issuerKeyHash: string;
  serialNumber: string;
}

function expectCertId(
  got: {
    hashAlgorithm: { name: string };
    issuerNameHash: Uint8Array;
    issuerKeyHash: Uint8Array;
    serialNumber: string;
  },
  want: ExpectedCertId,
) {
  expect(opensslHash(got.hashAlgorithm.name)).toBe(want.hashAlgorithm);
  expect(toHex(got.issuerNameHash)).toBe(want.issuerNameHash);
  expect(toHex(got.issuerKeyHash)).toBe(want.issuerKeyHash);
  expect(got.serialNumber).toBe(want.serialNumber);
}

function expectExtensions(
  got: readonly Extension[],
  want: { name: string; critical: boolean; nonce_extnValue_hex?: string }[],
) {
  expect(got.map((e) => e.name ?? e.oid)).toEqual(want.map((e) => e.name));
  expect(got.map((e) => e.critical)).toEqual(want.map((e) => e.critical));
  want.forEach((e, i) => {
    if (e.nonce_extnValue_hex) expect(toHex(got[i]!.value)).toBe(e.nonce_extnValue_hex);
  });
}

function codeOf(fn: () => unknown): OcspErrorCode | 'no error' {
  try {
    fn();
    return 'no error';
  } catch (error) {
    if (isOcspError(error)) return error.code;
    throw error;
  }
}

// Where we deliberately part from OpenSSL's parser, and why.
const DECODE_DIFFERENCES: Record<string, OcspErrorCode> = {
  // RFC 6960 §4.2.1 defines statuses 0..6; openssl prints "(UNKNOWN)", we refuse the message.
  'pyca-resp-unknown-response-status.der': 'ERR_OCSP_MALFORMED',
  'bssl-fuzz-response_status_type_too_large.der': 'ERR_OCSP_MALFORMED',
  // Duplicate extensions are refused (RFC 5280 §4.2); openssl lists both.
  'pyca-req-duplicate-ext.der': 'ERR_OCSP_MALFORMED',
};
const DECODE_ERRORS: Record<string, OcspErrorCode> = {
  'pyca-resp-successful-no-response-bytes.der': 'ERR_OCSP_MALFORMED',
  'pyca-resp-response-type-unknown-oid.der': 'ERR_OCSP_UNSUPPORTED_RESPONSE_TYPE',
  'bssl-fuzz-trailing_outer_data.der': 'ERR_OCSP_MALFORMED',
};

describe('shared vectors decode like openssl prints them', () => {
  it('covers all 42 vectors', () => {
    expect(manifest.vectors).toHaveLength(42);
  });

  for (const vector of manifest.vectors) {
    // biome-ignore lint/suspicious/noExplicitAny: the manifest's fields differ per vector and are compared one by one below
    const expected = vector.expected as Record<string, any>;
    it(`${vector.file}: ${vector.description}`, () => {
      const der = readVector(vector.file);
      const wantError = DECODE_DIFFERENCES[vector.file] ?? DECODE_ERRORS[vector.file];
      if (wantError) {
        const decode = vector.kind === 'request' ? decodeRequest : decodeResponse;
        expect(codeOf(() => decode(der))).toBe(wantError);
        return;
      }
      if (vector.kind === 'request') {
        const req = decodeRequest(der);
        expect(req.signed).toBe(expected.signed);
        expect(req.certificates).toHaveLength(expected.certsCount);
        expect(req.requests).toHaveLength(expected.requestCount);
        req.requests.forEach((r, i) => {
          expectCertId(r.certId, expected.requestList[i].certId);
        });
        expectExtensions(req.extensions, expected.requestExtensions ?? []);
        if (expected.signatureAlgorithm)
          expect(req.signatureAlgorithm?.name).toBe(expected.signatureAlgorithm);
        if (expected.requestorName)
          expect(`DirName:${opensslName(req.requestorName!)}`).toBe(expected.requestorName);
        return;
      }
      const res = decodeResponse(der);
      if (expected.openssl_result !== 'parsed' && !vector.file.includes('invalid_serial')) {
        expect(res.responseStatus.toLowerCase()).toBe(expected.responseStatus.name.toLowerCase());
        expect(res.responseStatus).not.toBe('successful');
        return;
      }
      if (res.responseStatus !== 'successful') throw new Error(`unexpected ${res.responseStatus}`);
      const basic = res.basic;
      expect(basic.version).toBe(0);
      expect(basic.certificates).toHaveLength(expected.certsCount ?? 0);
      if (vector.file.includes('invalid_serial')) {
        // OpenSSL refuses the non-minimal INTEGER; BoringSSL (its source) accepts it, as do we.
        expect(basic.responses).toHaveLength(1);
        return;
      }
      const rid = expected.responderId;
      if (rid.type === 'byName') {
        expect(basic.responderId.type).toBe('byName');
        if (basic.responderId.type === 'byName')
          expect(opensslName(basic.responderId.name)).toBe(rid.name);
      } else {
        expect(basic.responderId.type).toBe('byKey');
        if (basic.responderId.type === 'byKey')
          expect(toHex(basic.responderId.keyHash)).toBe(rid.keyHash);
      }
      expect(iso(basic.producedAt)).toBe(expected.producedAt);
      expect(basic.signatureAlgorithm.name).toBe(expected.signatureAlgorithm);
      expect(basic.responses).toHaveLength(expected.responsesCount);
      basic.responses.forEach((single, i) => {
        const want = expected.responses[i];
        expectCertId(single.certId, want.certId);
        expect(single.certStatus).toBe(want.certStatus);
        expect(iso(single.thisUpdate)).toBe(want.thisUpdate);
        expect(iso(single.nextUpdate)).toBe(want.nextUpdate ?? null);
        if (want.revocationTime) expect(iso(single.revocationTime)).toBe(want.revocationTime);
        expect(single.revocationReason ?? null).toBe(want.revocationReason?.name ?? null);
        expect(single.extensions.map((e) => e.name ?? e.oid)).toEqual(
          (want.singleExtensions ?? []).map((e: { name: string }) => e.name),
        );
      });
      expectExtensions(basic.extensions, expected.responseExtensions ?? []);
    });
  }
});

// What verifyResponse says for every vector that comes with its issuer, at the time the source
// project's own test uses. Where it differs from `openssl ocsp`, the comment says why.
const VERIFY_CASES: {
  file: string;
  issuer: string;
  leaf?: string;
  serial?: string;
  at?: string;
  want: 'good' | 'revoked' | 'unknown' | OcspErrorCode;
}[] = [
  {
    file: 'go-ocspResponse-gts.der',
    issuer: 'certs/go-gts-ca-1c3.pem',
    serial: 'F374542E3C7A68360A00000001103462',
    want: 'good',
  },
  {
    file: 'bssl-good_response_sha256.der',
    issuer: 'certs/bssl-good_response_sha256.ca.pem',
    leaf: 'certs/bssl-good_response_sha256.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'good',
  },
  {
    file: 'bssl-has_version.der',
    issuer: 'certs/bssl-has_version.ca.pem',
    leaf: 'certs/bssl-has_version.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'good',
  },
  {
    file: 'bssl-multiple_response_good_revoked.der',
    issuer: 'certs/bssl-multiple_response_good_revoked.ca.pem',
    leaf: 'certs/bssl-multiple_response_good_revoked.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'revoked',
  },
  {
    file: 'bssl-no_response.der',
    issuer: 'certs/bssl-no_response.ca.pem',
    leaf: 'certs/bssl-no_response.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'ERR_OCSP_CERTID_MISMATCH',
  },
  // openssl ignores the unknown critical extension; BoringSSL and Go refuse it, as do we.
  {
    file: 'bssl-has_critical_response_extension.der',
    issuer: 'certs/bssl-has_critical_response_extension.ca.pem',
    leaf: 'certs/bssl-has_critical_response_extension.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'ERR_OCSP_UNSUPPORTED_CRITICAL_EXTENSION',
  },
  // openssl fails building a chain for the test CA (no basicConstraints); the delegation itself
  // (EKU, issued directly by the issuer, signature) is sound, as BoringSSL's test says.
  {
    file: 'bssl-ocsp_sign_indirect.der',
    issuer: 'certs/bssl-ocsp_sign_indirect.ca.pem',
    leaf: 'certs/bssl-ocsp_sign_indirect.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'good',
  },
  {
    file: 'bssl-bad_signature.der',
    issuer: 'certs/bssl-bad_signature.ca.pem',
    leaf: 'certs/bssl-bad_signature.leaf.pem',
    at: '2017-03-05T00:00:00Z',
    want: 'ERR_OCSP_SIGNATURE',
  },
  {
    file: 'awslc-ocsp_response_sha256.der',
    issuer: 'certs/awslc-ca_cert.pem',
    leaf: 'certs/awslc-rsa_cert.pem',
    want: 'good',
  },
  {
    file: 'awslc-ocsp_response_revoked_sha256.der',
    issuer: 'certs/awslc-ca_cert.pem',
    leaf: 'certs/awslc-rsa_cert.pem',
    want: 'revoked',
  },
  {
    file: 'openssl-ND1.der',
    issuer: 'certs/openssl-ND1_Issuer_ICA.pem',
    serial: '22E1332220A048DF29B2BF9A31C29B07',
    at: '2012-10-12T00:00:00Z',
    want: 'good',
  },
  {
    file: 'openssl-ISOP_ND1.der',
    issuer: 'certs/openssl-ND1_Issuer_ICA.pem',
    serial: '22E1332220A048DF29B2BF9A31C29B07',
    at: '2012-10-12T00:00:00Z',
    want: 'ERR_OCSP_SIGNATURE',
  },
  {
    file: 'openssl-WRID_ND1.der',
    issuer: 'certs/openssl-ND1_Issuer_ICA.pem',
    serial: '22E1332220A048DF29B2BF9A31C29B07',
    at: '2012-10-12T00:00:00Z',
    want: 'ERR_OCSP_UNAUTHORIZED_SIGNER',
  },
];

describe('shared vectors verify', () => {
  for (const c of VERIFY_CASES) {
    it(`${c.file} -> ${c.want}`, async () => {
      const der = readVector(c.file);
      const decoded = decodeResponse(der);
      if (decoded.responseStatus !== 'successful') throw new Error('not successful');
      const first = decoded.basic.responses[0];
      const now = c.at ? new Date(c.at) : new Date(first!.thisUpdate.getTime() + 60_000);
      const issuer = parseCertificate(readVectorText(c.issuer));
      const certificate = c.leaf ? readVectorText(c.leaf) : { serialNumber: c.serial! };
      let outcome: string;
      try {
        const res = await verifyResponse(der, {
          certificate,
          issuer,
          now,
          requireNextUpdate: false,
        });
        outcome = res.certStatus;
      } catch (error) {
        if (!isOcspError(error)) throw error;
        outcome = error.code;
      }
      expect(outcome).toBe(c.want);
    });
  }

  it('openssl-D1.der: a delegated responder found by key hash', async () => {
    const der = readVector('openssl-D1.der');
    const decoded = decodeResponse(der);
    if (decoded.responseStatus !== 'successful') throw new Error('not successful');
    const single = decoded.basic.responses[0]!;
    const res = await verifyResponse(der, {
      certificate: { serialNumber: single.certId.serialNumber },
      issuer: readVectorText('certs/openssl-D1_Issuer_ICA.pem'),
      now: new Date(single.thisUpdate.getTime() + 60_000),
    });
    expect(res.certStatus).toBe('good');
  });
});
