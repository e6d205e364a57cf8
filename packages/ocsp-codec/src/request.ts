import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseDer } from './asn1.js';
import { copyBytes, serialFromHex, toBase64 } from './bytes.js';
import { computeCertId } from './cert-id.js';
import {
  bitString,
  explicit,
  isContext,
  malformed,
  rawBytes,
  sequence,
  smallNumber,
} from './der.js';
import { OcspError } from './errors.js';
import {
  algorithmFrom,
  certIdFrom,
  extensionsFrom,
  nonceExtensionValue,
  nonceFrom,
} from './fields.js';
import { formatNameElement } from './names.js';
import { OID } from './oids.js';
import type {
  AlgorithmInfo,
  CertId,
  CertificateInput,
  DecodedRequest,
  HashAlgorithmName,
} from './types.js';

export interface RequestOptions {
  /** CertID hash: SHA-1 (the default every responder takes, RFC 5019 §2.1.1) or SHA-256. */
  readonly hashAlgorithm?: HashAlgorithmName;
  /**
   * Add a nonce (RFC 8954): `true` for 16 random bytes, a length (1..32), or the bytes to use.
   * Off by default: pre-signed responders (RFC 5019) ignore it.
   */
  readonly nonce?: boolean | number | Uint8Array;
}

export interface CreatedRequest {
  readonly der: Uint8Array;
  readonly certIds: readonly CertId[];
  readonly nonce?: Uint8Array;
}

/** The smallest and largest nonce RFC 8954 §2.1 allows. */
export const NONCE_MIN_BYTES = 1;
export const NONCE_MAX_BYTES = 32;

/**
 * Builds an OCSPRequest for one or more certificates issued by `issuer`.
 *
 * @example
 * const { der, nonce } = await createRequest([{ certificate: leafPem, issuer: caPem }], { nonce: true });
 */
export async function createRequest(
  certificates: readonly { certificate: CertificateInput; issuer: CertificateInput }[],
  options: RequestOptions = {},
): Promise<CreatedRequest> {
  if (certificates.length === 0) {
    throw new OcspError('ERR_OCSP_INVALID_ARGUMENT', 'a request needs at least one certificate');
  }
  const hash = options.hashAlgorithm ?? 'SHA-1';
  const certIds = await Promise.all(
    certificates.map((c) => computeCertId(c.certificate, c.issuer, hash)),
  );
  const nonce = makeNonce(options.nonce);
  const tbs = new pkijs.TBSRequest({
    requestList: certIds.map((id) => new pkijs.Request({ reqCert: toPkijsCertId(id) })),
  });
  if (nonce) {
    tbs.requestExtensions = [
      new pkijs.Extension({
        extnID: OID.ocspNonce,
        critical: false,
        extnValue: nonceExtensionValue(nonce),
      }),
    ];
  }
  const der = new Uint8Array(
    new pkijs.OCSPRequest({ tbsRequest: tbs }).toSchema(true).toBER(false),
  );
  return Object.freeze({ der, certIds: Object.freeze(certIds), ...(nonce ? { nonce } : {}) });
}

function makeNonce(option: RequestOptions['nonce']): Uint8Array | undefined {
  if (option === undefined || option === false) return undefined;
  if (option instanceof Uint8Array) {
    checkNonceLength(option.length);
    return copyBytes(option);
  }
  const length = option === true ? 16 : option;
  checkNonceLength(length);
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

function checkNonceLength(length: number): void {
  if (!Number.isInteger(length) || length < NONCE_MIN_BYTES || length > NONCE_MAX_BYTES) {
    throw new OcspError(
      'ERR_OCSP_INVALID_ARGUMENT',
      `nonce length must be ${NONCE_MIN_BYTES}..${NONCE_MAX_BYTES} bytes (RFC 8954), got ${length}`,
    );
  }
}

/** @internal */
export function toPkijsCertId(id: CertId): pkijs.CertID {
  return new pkijs.CertID({
    // SHA-1/SHA-2 AlgorithmIdentifiers carry an explicit NULL, as OpenSSL and Go encode them.
    hashAlgorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: id.hashAlgorithm.oid,
      algorithmParams: new asn1js.Null(),
    }),
    issuerNameHash: new asn1js.OctetString({ valueHex: id.issuerNameHash }),
    issuerKeyHash: new asn1js.OctetString({ valueHex: id.issuerKeyHash }),
    serialNumber: new asn1js.Integer({ valueHex: serialFromHex(id.serialNumber) }),
  });
}

/**
 * Decodes an OCSPRequest (as a responder receives it). A signed request's signature is
 * reported (`signed`), not verified.
 */
export function decodeRequest(der: Uint8Array): DecodedRequest {
  // OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
  const outer = sequence(parseDer(der, 'OCSPRequest'), 'OCSPRequest');
  if (outer.length > 2 || (outer[1] && !isContext(outer[1], 0))) {
    throw malformed('OCSPRequest', 'unexpected elements');
  }
  // TBSRequest ::= SEQUENCE { version [0] EXPLICIT DEFAULT v1, requestorName [1] EXPLICIT GeneralName
  //   OPTIONAL, requestList SEQUENCE OF Request, requestExtensions [2] EXPLICIT Extensions OPTIONAL }
  const fields = sequence(outer[0], 'TBSRequest');
  let i = 0;
  let version = 0;
  if (isContext(fields[i], 0))
    version = smallNumber(explicit(fields[i++], 0, 'TBSRequest.version'), 'TBSRequest.version');
  let requestorName: string | undefined;
  if (isContext(fields[i], 1))
    requestorName = generalName(explicit(fields[i++], 1, 'TBSRequest.requestorName'));
  const requests = sequence(fields[i++], 'TBSRequest.requestList').map((request) => {
    // Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
    const [reqCert, exts, extra] = sequence(request, 'Request');
    if (extra || (exts && !isContext(exts, 0))) throw malformed('Request', 'unexpected elements');
    return Object.freeze({
      certId: certIdFrom(reqCert),
      extensions: Object.freeze(
        exts ? extensionsFrom(explicit(exts, 0, 'Request'), 'Request') : [],
      ),
    });
  });
  if (requests.length === 0) throw malformed('OCSPRequest', 'empty requestList');
  let extensions: ReturnType<typeof extensionsFrom> = [];
  if (isContext(fields[i], 2))
    extensions = extensionsFrom(
      explicit(fields[i++], 2, 'TBSRequest.requestExtensions'),
      'OCSPRequest',
    );
  if (fields.length !== i) throw malformed('TBSRequest', 'unexpected elements');
  const nonce = nonceFrom(extensions);

  // Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
  let signatureAlgorithm: AlgorithmInfo | undefined;
  let certificates: Uint8Array[] = [];
  if (outer[1]) {
    const [alg, sig, certs] = sequence(
      explicit(outer[1], 0, 'OCSPRequest.optionalSignature'),
      'Signature',
    );
    signatureAlgorithm = algorithmFrom(alg, 'Signature.signatureAlgorithm');
    bitString(sig, 'Signature.signature');
    if (certs)
      certificates = sequence(explicit(certs, 0, 'Signature.certs'), 'Signature.certs').map(
        rawBytes,
      );
  }
  return Object.freeze({
    version,
    ...(requestorName !== undefined ? { requestorName } : {}),
    requests: Object.freeze(requests),
    extensions: Object.freeze(extensions),
    ...(nonce ? { nonce } : {}),
    signed: outer[1] !== undefined,
    ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
    certificates: Object.freeze(certificates),
    der: copyBytes(der),
  });
}

// GeneralName (RFC 5280 §4.2.1.6): a directoryName [4] is shown as a DN, the rest by tag.
function generalName(block: asn1js.AsnType): string {
  if (isContext(block, 4))
    return formatNameElement(explicit(block, 4, 'GeneralName'), 'GeneralName');
  return `[${block.idBlock.tagNumber}]`;
}

/** RFC 5019 §5 / RFC 9919: a GET URL is usable when the whole URL is at most this long. */
export const MAX_GET_URL_BYTES = 255;

/**
 * The RFC 5019 GET form: the responder URL, a `/`, then the base64 request, URL-encoded.
 *
 * @example
 * requestGetUrl('http://ocsp.example.com', der) // 'http://ocsp.example.com/MEUwQz...%3D'
 */
export function requestGetUrl(responderUrl: string, der: Uint8Array): string {
  const base = responderUrl.endsWith('/') ? responderUrl : `${responderUrl}/`;
  return base + encodeURIComponent(toBase64(der));
}

/** GET when the whole URL fits in 255 bytes (RFC 5019 §5), POST otherwise. */
export function chooseRequestMethod(
  responderUrl: string,
  der: Uint8Array,
): { method: 'GET'; url: string } | { method: 'POST'; url: string; body: Uint8Array } {
  const url = requestGetUrl(responderUrl, der);
  if (new TextEncoder().encode(url).length <= MAX_GET_URL_BYTES) return { method: 'GET', url };
  return { method: 'POST', url: responderUrl, body: der };
}
