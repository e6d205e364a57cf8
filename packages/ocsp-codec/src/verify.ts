import { bytesEqual, toHex } from './bytes.js';
import { certIdMatches } from './cert-id.js';
import { parseCertificate, pkijsCertificate } from './certificate.js';
import { digest } from './digest.js';
import { OcspError } from './errors.js';
import { describeCertId } from './fields.js';
import { OID } from './oids.js';
import { type ParsedResponse, parseResponse } from './response.js';
import { verifySignature } from './signature.js';
import type {
  BasicResponse,
  CertificateInfo,
  CertificateInput,
  DecodedResponse,
  SingleResponse,
  VerifiedResponse,
} from './types.js';

export interface VerifyOptions {
  /**
   * The certificate the response must be about, or just its serial (uppercase hex) when only
   * that is known; the issuer hashes are checked either way.
   */
  readonly certificate: CertificateInput | { readonly serialNumber: string };
  /** Its issuer: the only key that may sign, itself or through a delegated responder. */
  readonly issuer: CertificateInput;
  /** The time to check against (default: now). */
  readonly now?: Date;
  /** Clock skew allowed on thisUpdate, nextUpdate and the signer's validity (default 300 s). */
  readonly skewSeconds?: number;
  /** The nonce that was sent. A different nonce in the response is always refused. */
  readonly nonce?: Uint8Array;
  /** Refuse a response without the nonce that was sent (default false: RFC 5019 responders omit it). */
  readonly requireNonce?: boolean;
  /**
   * Refuse a response without nextUpdate (default true). Without it a response never expires,
   * which a stapling server cannot honour (RFC 6960 §4.2.2.1 leaves it optional).
   */
  readonly requireNextUpdate?: boolean;
}

const DEFAULT_SKEW_SECONDS = 300;

// Extensions we understand; any other one marked critical makes the response unusable
// (RFC 5280 §4.2, applied to OCSP by RFC 6960 §4.4; Go and BoringSSL refuse them too).
const KNOWN_RESPONSE_EXTENSIONS = new Set<string>([
  OID.ocspNonce,
  OID.ocspCrlId,
  OID.ocspArchiveCutoff,
  OID.sctList,
  OID.crlReason,
  OID.invalidityDate,
]);

/**
 * Verifies an OCSP response for one certificate, per RFC 6960 §3.2 and §4.2.2.2:
 * 1. it is a successful basic response with no unknown critical extension;
 * 2. a SingleResponse's CertID names the certificate (recomputed with its own hash algorithm);
 * 3. the signer is the issuer itself, or a certificate issued directly by the issuer that
 *    carries id-kp-OCSPSigning and is valid now;
 * 4. the signature over tbsResponseData is valid;
 * 5. thisUpdate is not in the future and nextUpdate is present and not past (with skew);
 * 6. the nonce matches when one was sent.
 * Returns the checked SingleResponse (its status may be `revoked` or `unknown`: the caller
 * decides what those mean), or throws `OcspError` with the code of the first failed check.
 *
 * @example
 * const res = await verifyResponse(der, { certificate: leafPem, issuer: caPem });
 * if (res.certStatus === 'good') staple(der);
 */
export async function verifyResponse(
  response: Uint8Array | DecodedResponse,
  options: VerifyOptions,
): Promise<VerifiedResponse> {
  const der = response instanceof Uint8Array ? response : response.der;
  const parsed = parseResponse(der);
  const decoded = parsed.decoded;
  if (decoded.responseStatus !== 'successful' || !parsed.signature) {
    throw new OcspError('ERR_OCSP_UNSUCCESSFUL', `responder answered ${decoded.responseStatus}`, {
      responseStatus: decoded.responseStatus,
    });
  }
  const basic = decoded.basic;
  const certificate = targetCertificate(options.certificate);
  const issuer = parseCertificateArg(options.issuer, 'issuer');
  const now = options.now ?? new Date();
  const skewMs = (options.skewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;

  if (basic.version !== 0) {
    throw new OcspError('ERR_OCSP_MALFORMED', `ResponseData version ${basic.version} is not v1`);
  }
  checkCriticalExtensions(basic);

  const single = await findSingle(basic, certificate, issuer);
  const signer = await findSigner(basic, issuer, now, skewMs);
  await checkSignature(basic, parsed, signer.certificate);
  checkTimes(single, now, skewMs, options.requireNextUpdate ?? true);
  checkNonce(basic, options);

  return Object.freeze({
    certStatus: single.certStatus,
    ...(single.revocationTime ? { revocationTime: single.revocationTime } : {}),
    ...(single.revocationReason ? { revocationReason: single.revocationReason } : {}),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    producedAt: basic.producedAt,
    responderId: basic.responderId,
    signer: signer.kind,
    signerCertificate: signer.certificate.der,
    ...(basic.nonce ? { nonce: basic.nonce } : {}),
    single,
    der: decoded.der,
  });
}

function targetCertificate(input: VerifyOptions['certificate']): { serialNumber: string } {
  if (typeof input === 'object' && input !== null && !(input instanceof Uint8Array)) {
    if (typeof input.serialNumber === 'string' && !('der' in input)) {
      return { serialNumber: input.serialNumber.toUpperCase().replace(/^(00)+(?=.)/, '') };
    }
  }
  return parseCertificateArg(input as CertificateInput, 'certificate');
}

function parseCertificateArg(input: CertificateInput, what: string): CertificateInfo {
  if (input === undefined || input === null) {
    throw new OcspError('ERR_OCSP_INVALID_ARGUMENT', `verifyResponse: ${what} is required`);
  }
  return parseCertificate(input);
}

function checkCriticalExtensions(basic: BasicResponse): void {
  const all = [...basic.extensions, ...basic.responses.flatMap((r) => r.extensions)];
  for (const ext of all) {
    if (ext.critical && !KNOWN_RESPONSE_EXTENSIONS.has(ext.oid)) {
      throw new OcspError(
        'ERR_OCSP_UNSUPPORTED_CRITICAL_EXTENSION',
        `unknown critical extension ${ext.oid} in the response`,
      );
    }
  }
}

async function findSingle(
  basic: BasicResponse,
  certificate: { serialNumber: string },
  issuer: CertificateInfo,
): Promise<SingleResponse> {
  // More than one SingleResponse may name the certificate; a revoked one wins, since trusting
  // the friendlier of two signed answers is exactly the choice an attacker would like us to make.
  let found: SingleResponse | undefined;
  for (const single of basic.responses) {
    if (!(await certIdMatches(single.certId, certificate, issuer))) continue;
    if (single.certStatus === 'revoked') return single;
    found ??= single;
  }
  if (found) return found;
  const got = basic.responses.map((r) => describeCertId(r.certId)).join('; ') || 'none';
  throw new OcspError(
    'ERR_OCSP_CERTID_MISMATCH',
    `no SingleResponse for serial ${certificate.serialNumber} from this issuer (got: ${got})`,
  );
}

interface Signer {
  readonly kind: 'issuer' | 'delegated';
  readonly certificate: CertificateInfo;
}

async function responderIdMatches(basic: BasicResponse, cert: CertificateInfo): Promise<boolean> {
  const id = basic.responderId;
  if (id.type === 'byName') return bytesEqual(id.der, cert.subjectDer);
  // RFC 6960 §4.2.1: KeyHash is the SHA-1 of the subjectPublicKey BIT STRING contents.
  return bytesEqual(id.keyHash, await digest('SHA-1', cert.publicKeyBits));
}

// RFC 6960 §4.2.2.2: the issuer itself, or a responder it authorised directly.
async function findSigner(
  basic: BasicResponse,
  issuer: CertificateInfo,
  now: Date,
  skewMs: number,
): Promise<Signer> {
  if (await responderIdMatches(basic, issuer)) return { kind: 'issuer', certificate: issuer };

  const reasons: string[] = [];
  for (let i = 0; i < basic.certificates.length; i++) {
    let candidate: CertificateInfo;
    try {
      candidate = embeddedCertificate(basic.certificates[i]!);
    } catch {
      reasons.push(`embedded certificate ${i} does not parse`);
      continue;
    }
    if (!(await responderIdMatches(basic, candidate))) continue;
    const problem = await delegationProblem(candidate, issuer, now, skewMs);
    if (problem === undefined) return { kind: 'delegated', certificate: candidate };
    reasons.push(problem);
  }
  const id = basic.responderId;
  const who = id.type === 'byName' ? id.name : `key ${toHex(id.keyHash)}`;
  throw new OcspError(
    'ERR_OCSP_UNAUTHORIZED_SIGNER',
    `responder ${who} is neither the issuer nor a responder it delegated to` +
      (reasons.length ? ` (${reasons.join('; ')})` : ' (no matching certificate in the response)'),
  );
}

// Responders embed the same delegated certificate in every response; parsing it (and importing
// its key) once per process rather than once per verification is most of the saving.
const EMBEDDED_CACHE_SIZE = 64;
const embedded = new Map<string, CertificateInfo>();

function embeddedCertificate(der: Uint8Array): CertificateInfo {
  const id = toHex(der);
  const cached = embedded.get(id);
  if (cached) return cached;
  const info = parseCertificate(der);
  if (embedded.size >= EMBEDDED_CACHE_SIZE) embedded.delete(embedded.keys().next().value!);
  embedded.set(id, info);
  return info;
}

async function delegationProblem(
  candidate: CertificateInfo,
  issuer: CertificateInfo,
  now: Date,
  skewMs: number,
): Promise<string | undefined> {
  if (!candidate.extKeyUsage.includes(OID.kpOcspSigning)) {
    return `${candidate.subject} lacks id-kp-OCSPSigning`;
  }
  // Issued *directly* by the issuer: same name, and the issuer's key signed it. A certificate
  // that merely chains to the same root is not authorised (RFC 6960 §4.2.2.2).
  if (!bytesEqual(candidate.issuerDer, issuer.subjectDer)) {
    return `${candidate.subject} was not issued by ${issuer.subject}`;
  }
  const cert = pkijsCertificate(candidate);
  let valid = false;
  try {
    valid = await verifySignature(
      cert.tbsView,
      cert.signatureValue.valueBlock.valueHexView,
      cert.signatureAlgorithm.toSchema(),
      issuer,
    );
  } catch {
    valid = false;
  }
  if (!valid) return `${candidate.subject} is not signed by ${issuer.subject}`;
  const t = now.getTime();
  if (candidate.notBefore.getTime() - skewMs > t || candidate.notAfter.getTime() + skewMs < t) {
    return `${candidate.subject} is not valid at ${now.toISOString()}`;
  }
  return undefined;
}

async function checkSignature(
  basic: BasicResponse,
  parsed: ParsedResponse,
  signer: CertificateInfo,
): Promise<void> {
  let valid: boolean;
  try {
    valid = await verifySignature(
      basic.tbsResponseData,
      parsed.signature!.valueBlock.valueHexView,
      parsed.signatureAlgorithm!,
      signer,
    );
  } catch (cause) {
    if (cause instanceof OcspError) throw cause;
    throw new OcspError('ERR_OCSP_SIGNATURE', 'the response signature is invalid', { cause });
  }
  if (!valid) throw new OcspError('ERR_OCSP_SIGNATURE', 'the response signature is invalid');
}

function checkTimes(
  single: SingleResponse,
  now: Date,
  skewMs: number,
  requireNextUpdate: boolean,
): void {
  const t = now.getTime();
  if (single.thisUpdate.getTime() - skewMs > t) {
    throw new OcspError(
      'ERR_OCSP_NOT_YET_VALID',
      `thisUpdate ${single.thisUpdate.toISOString()} is in the future`,
    );
  }
  if (!single.nextUpdate) {
    if (requireNextUpdate) {
      throw new OcspError('ERR_OCSP_NO_NEXT_UPDATE', 'the response has no nextUpdate');
    }
    return;
  }
  if (single.nextUpdate.getTime() + skewMs < t) {
    throw new OcspError(
      'ERR_OCSP_EXPIRED',
      `nextUpdate ${single.nextUpdate.toISOString()} has passed`,
    );
  }
}

function checkNonce(basic: BasicResponse, options: VerifyOptions): void {
  if (!options.nonce) return;
  if (!basic.nonce) {
    if (options.requireNonce) {
      throw new OcspError('ERR_OCSP_NONCE_MISSING', 'the response does not echo the nonce');
    }
    return;
  }
  if (!bytesEqual(basic.nonce, options.nonce)) {
    throw new OcspError('ERR_OCSP_NONCE_MISMATCH', 'the response nonce differs from the one sent');
  }
}
