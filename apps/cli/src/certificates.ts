/**
 * Certificates from files: a PEM bundle (leaf first, then its chain) or one DER certificate,
 * and the leaf's issuer, found in the bundle or in an --issuer file.
 */
import { X509Certificate } from 'node:crypto';
import { type CertificateInfo, parseCertificates } from '@staple/ocsp-codec';
import { CliError } from './errors.js';
import { readBytes } from './read-input.js';

/** A certificate to ask about, and the CA certificate that issued it. */
export interface Target {
  readonly certificate: CertificateInfo;
  readonly issuer: CertificateInfo;
}

/**
 * The first certificate in `certPath` and its issuer: from `issuerPath` when given, otherwise
 * the certificate in the same bundle that issued it (nginx's `ssl_certificate` and HAProxy's
 * `.pem` files hold the chain that way).
 */
export async function loadTarget(certPath: string, issuerPath?: string): Promise<Target> {
  const bundle = await readCertificates(certPath);
  const certificate = bundle[0]!;
  if (issuerPath !== undefined) {
    const issuer = (await readCertificates(issuerPath)).find((c) => isIssuerOf(c, certificate));
    if (!issuer) {
      throw new CliError(
        'ERR_ISSUER_MISMATCH',
        `${issuerPath} holds no certificate that issued ${certificate.subject} (its issuer is ${certificate.issuer})`,
      );
    }
    return { certificate, issuer };
  }
  const issuer = bundle.slice(1).find((c) => isIssuerOf(c, certificate));
  if (!issuer) {
    throw new CliError(
      'ERR_NO_ISSUER',
      `no issuer of ${certificate.subject} in ${certPath} (looked for ${certificate.issuer}); ` +
        'put it after the certificate or pass --issuer',
    );
  }
  return { certificate, issuer };
}

/** Every certificate in a file: PEM (any text around the blocks) or a single DER certificate. */
export async function readCertificates(path: string): Promise<CertificateInfo[]> {
  const bytes = await readBytes(path);
  let certificates: CertificateInfo[];
  try {
    // DER starts with a SEQUENCE tag; anything else is read as text, so that PEM with a
    // preamble (`openssl x509 -text` output, PKCS#12 "Bag Attributes") still works.
    certificates = parseCertificates(bytes[0] === 0x30 ? bytes : new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new CliError('ERR_INPUT', `${path}: not a valid X.509 certificate`, { cause });
  }
  if (certificates.length === 0) {
    throw new CliError('ERR_INPUT', `${path} holds no certificate (expected PEM or DER)`);
  }
  return certificates;
}

/**
 * Names alone are not enough: a re-keyed or cross-signed CA has the same subject with another
 * key, and the CertID hashes the key. So the issuer's key must verify the certificate.
 */
export function isIssuerOf(issuer: CertificateInfo, certificate: CertificateInfo): boolean {
  try {
    const child = new X509Certificate(certificate.der);
    const parent = new X509Certificate(issuer.der);
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    // A key type node:crypto cannot use: not an issuer we can vouch for.
    return false;
  }
}
