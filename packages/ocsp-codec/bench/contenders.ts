// The three implementations measured, each called the way its own users would call it.
import * as asn1js from 'asn1js';
import ocsp, { type OcspRequest } from 'ocsp';
import * as pkijs from 'pkijs';
import {
  type CertificateInfo,
  computeCertId,
  type DecodedResponse,
  decodeResponse,
  type HashAlgorithmName,
  type VerifiedResponse,
  verifyResponse,
} from '../src/index.js';

// ---------------------------------------------------------------- ours (@staple/ocsp-codec)

export function oursDecode(der: Uint8Array): DecodedResponse {
  return decodeResponse(der);
}

export function oursVerify(
  der: Uint8Array,
  options: {
    certificate: CertificateInfo;
    issuer: CertificateInfo;
    now: Date;
    requireNextUpdate: boolean;
  },
): Promise<VerifiedResponse> {
  return verifyResponse(der, options);
}

// ---------------------------------------------------------------- indutny's `ocsp` 1.2.0

/** `ocsp.utils.parseResponse`: asn1.js decode of OCSPResponse, then of BasicOCSPResponse. */
export function ocspDecode(der: Buffer): ReturnType<typeof ocsp.utils.parseResponse> {
  return ocsp.utils.parseResponse(der);
}

/**
 * `ocsp.verify({ request, response }, cb)` as a promise. It calls back on its own checks, but
 * `findResponder` throws synchronously (bad delegated signature, unknown algorithm), so the
 * call itself is guarded too.
 */
export function ocspVerify(request: OcspRequest, der: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      ocsp.verify({ request, response: der }, (err) => (err ? reject(err) : resolve()));
    } catch (err) {
      reject(err);
    }
  });
}

const HASH_OID_ARCS: Partial<Record<HashAlgorithmName, number[]>> = {
  'SHA-1': [1, 3, 14, 3, 2, 26],
  'SHA-256': [2, 16, 840, 1, 101, 3, 4, 2, 1],
};

/**
 * What `ocsp.verify` needs: the request from `ocsp.request.generate(cert, issuer)` (its CertID
 * and the decoded issuer). That CertID is always SHA-1 and `verify` compares it field by field
 * with the response's, so for a SHA-256 CertID the hashes are recomputed from the certificates
 * (never copied from the response).
 */
export async function ocspRequestFor(
  leafPem: string,
  issuerPem: string,
  hash: HashAlgorithmName,
): Promise<OcspRequest> {
  const request = ocsp.request.generate(leafPem, issuerPem);
  if (hash === 'SHA-1') return request;
  const arcs = HASH_OID_ARCS[hash];
  if (!arcs) throw new Error(`the ocsp package cannot express a ${hash} CertID`);
  const id = await computeCertId(leafPem, issuerPem, hash);
  request.certID = {
    ...request.certID,
    hashAlgorithm: { algorithm: arcs },
    issuerNameHash: Buffer.from(id.issuerNameHash),
    issuerKeyHash: Buffer.from(id.issuerKeyHash),
  };
  return request;
}

// ---------------------------------------------------------------- bare pkijs

/** asn1js.fromBER + pkijs.OCSPResponse, then the same for the BasicOCSPResponse inside. */
export function pkijsDecode(der: Uint8Array): pkijs.BasicOCSPResponse {
  const outer = asn1js.fromBER(der);
  if (outer.offset === -1) throw new Error(`OCSPResponse: ${outer.result.error}`);
  const response = new pkijs.OCSPResponse({ schema: outer.result });
  if (!response.responseBytes) throw new Error('OCSPResponse without responseBytes');
  const inner = asn1js.fromBER(response.responseBytes.response.valueBlock.valueHexView);
  if (inner.offset === -1) throw new Error(`BasicOCSPResponse: ${inner.result.error}`);
  return new pkijs.BasicOCSPResponse({ schema: inner.result });
}

/**
 * `BasicOCSPResponse.verify({ trustedCerts })`. pkijs needs the signer among the embedded
 * certificates, validates its chain to `trustedCerts` at the wall-clock time (it takes no
 * `now`), and checks that it is authorised for every SingleResponse. It does not look at the
 * certificate asked about, at thisUpdate/nextUpdate, or at the status.
 */
export async function pkijsVerify(
  der: Uint8Array,
  trustedCerts: pkijs.Certificate[],
): Promise<pkijs.BasicOCSPResponse> {
  const basic = pkijsDecode(der);
  if (!(await basic.verify({ trustedCerts }))) throw new Error('pkijs: signature mismatch');
  return basic;
}

export function pkijsCertificate(der: Uint8Array): pkijs.Certificate {
  const asn1 = asn1js.fromBER(der);
  if (asn1.offset === -1) throw new Error(`certificate: ${asn1.result.error}`);
  return new pkijs.Certificate({ schema: asn1.result });
}
