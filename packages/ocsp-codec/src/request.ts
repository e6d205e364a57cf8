import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fromSchema, parseDer } from './asn1.js';
import { copyBytes, serialFromHex, toBase64 } from './bytes.js';
import { computeCertId } from './cert-id.js';
import { OcspError } from './errors.js';
import {
  algorithmInfo,
  certIdFrom,
  extensionsFrom,
  nonceExtensionValue,
  nonceFrom,
} from './fields.js';
import { formatName } from './names.js';
import { OID } from './oids.js';
import type { CertId, CertificateInput, DecodedRequest, HashAlgorithmName } from './types.js';

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
  const asn1 = parseDer(der, 'OCSPRequest');
  const req = fromSchema('OCSPRequest', () => new pkijs.OCSPRequest({ schema: asn1 }));
  return fromSchema('OCSPRequest', () => {
    const tbs = req.tbsRequest;
    if (tbs.requestList.length === 0) {
      throw new OcspError('ERR_OCSP_MALFORMED', 'OCSPRequest: empty requestList');
    }
    const extensions = extensionsFrom(tbs.requestExtensions, 'OCSPRequest');
    const nonce = nonceFrom(extensions);
    const signature = req.optionalSignature;
    const requestorName = tbs.requestorName;
    return Object.freeze({
      version: tbs.version ?? 0,
      ...(requestorName
        ? {
            requestorName:
              requestorName.type === 4
                ? formatName(requestorName.value as pkijs.RelativeDistinguishedNames)
                : String(requestorName.value),
          }
        : {}),
      requests: Object.freeze(
        tbs.requestList.map((r) =>
          Object.freeze({
            certId: certIdFrom(r.reqCert),
            extensions: extensionsFrom(r.singleRequestExtensions, 'Request'),
          }),
        ),
      ),
      extensions,
      ...(nonce ? { nonce } : {}),
      signed: signature !== undefined,
      ...(signature ? { signatureAlgorithm: algorithmInfo(signature.signatureAlgorithm) } : {}),
      certificates: Object.freeze(
        (signature?.certs ?? []).map((c) => new Uint8Array(c.toSchema().toBER(false))),
      ),
      der: copyBytes(der),
    });
  });
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
