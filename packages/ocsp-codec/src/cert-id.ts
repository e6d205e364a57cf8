import { bytesEqual } from './bytes.js';
import { parseCertificate } from './certificate.js';
import { digest } from './digest.js';
import { OcspError } from './errors.js';
import { HASH_NAME_TO_OID, HASH_OIDS, oidName } from './oids.js';
import type { CertId, CertificateInput, HashAlgorithmName } from './types.js';

/**
 * The CertID (RFC 6960 §4.1.1) that names `certificate` in requests and responses: hashes of
 * the issuer's subject Name and public key, and the certificate's serial.
 *
 * @example
 * const id = await computeCertId(leafPem, issuerPem, 'SHA-256');
 */
export async function computeCertId(
  certificate: CertificateInput,
  issuer: CertificateInput,
  hash: HashAlgorithmName = 'SHA-1',
): Promise<CertId> {
  const oid = HASH_NAME_TO_OID[hash];
  if (!oid) throw new OcspError('ERR_OCSP_INVALID_ARGUMENT', `unsupported hash ${String(hash)}`);
  const cert = parseCertificate(certificate);
  const ca = parseCertificate(issuer);
  const [issuerNameHash, issuerKeyHash] = await Promise.all([
    digest(hash, ca.subjectDer),
    digest(hash, ca.publicKeyBits),
  ]);
  return Object.freeze({
    hashAlgorithm: Object.freeze({ oid, name: oidName(oid) }),
    issuerNameHash,
    issuerKeyHash,
    serialNumber: cert.serialNumber,
  });
}

/**
 * Whether `certId` names this certificate, recomputing the hashes with the CertID's own hash
 * algorithm (RFC 6960 §4.1.1: a responder may answer with a different one than was asked).
 * An unknown hash algorithm cannot match.
 */
export async function certIdMatches(
  certId: CertId,
  certificate: CertificateInput | { readonly serialNumber: string },
  issuer: CertificateInput,
): Promise<boolean> {
  const hash = HASH_OIDS[certId.hashAlgorithm.oid];
  const serial =
    typeof certificate === 'object' &&
    !(certificate instanceof Uint8Array) &&
    !('der' in certificate)
      ? certificate.serialNumber
      : parseCertificate(certificate).serialNumber;
  if (!hash || certId.serialNumber !== serial) return false;
  const ca = parseCertificate(issuer);
  const [issuerNameHash, issuerKeyHash] = await Promise.all([
    digest(hash, ca.subjectDer),
    digest(hash, ca.publicKeyBits),
  ]);
  const expected = { issuerNameHash, issuerKeyHash };
  return (
    bytesEqual(expected.issuerNameHash, certId.issuerNameHash) &&
    bytesEqual(expected.issuerKeyHash, certId.issuerKeyHash)
  );
}
