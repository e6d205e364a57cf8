import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { bytesEqual } from './bytes.js';
import { parseCertificate, pkijsCertificate } from './certificate.js';
import { digest } from './digest.js';
import { OcspError } from './errors.js';
import { nonceExtensionValue } from './fields.js';
import { OID } from './oids.js';
import { toPkijsCertId } from './request.js';
import { RESPONSE_STATUS_CODES, REVOCATION_REASON_CODES } from './response.js';
import type {
  CertId,
  CertificateInput,
  CertStatus,
  HashAlgorithmName,
  ResponseStatus,
  RevocationReason,
} from './types.js';

export interface SingleResponseInput {
  /** The CertID exactly as the request named it (responders echo it). */
  readonly certId: CertId;
  readonly certStatus: CertStatus;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

export interface SignResponseOptions {
  /** The CA the responses are about. */
  readonly issuer: CertificateInput;
  /** Who signs: the issuer itself, or a delegated responder certificate and its key. */
  readonly signer: { readonly certificate: CertificateInput; readonly privateKey: CryptoKey };
  readonly responses: readonly SingleResponseInput[];
  /** How the responder is named (RFC 6960 §4.2.1); byKey is shorter and what RFC 5019 prefers. */
  readonly responderIdType?: 'byName' | 'byKey';
  readonly producedAt?: Date;
  /** Echo of the request's nonce (RFC 8954). */
  readonly nonce?: Uint8Array;
  /** Certificates to embed; default: the signer's when it is not the issuer, none otherwise. */
  readonly certificates?: readonly CertificateInput[];
  /** Signature hash; default SHA-256 (SHA-384 for P-384 keys). */
  readonly hashAlgorithm?: HashAlgorithmName;
}

/**
 * Encodes and signs a successful basic OCSP response (for responders and tests).
 *
 * @example
 * const der = await signResponse({
 *   issuer: caPem,
 *   signer: { certificate: caPem, privateKey: caKey },
 *   responses: [{ certId, certStatus: 'good', thisUpdate: new Date(), nextUpdate: tomorrow }],
 * });
 */
export async function signResponse(options: SignResponseOptions): Promise<Uint8Array> {
  if (options.responses.length === 0) {
    throw new OcspError(
      'ERR_OCSP_INVALID_ARGUMENT',
      'a response needs at least one SingleResponse',
    );
  }
  const issuer = parseCertificate(options.issuer);
  const signer = parseCertificate(options.signer.certificate);
  const responderID =
    (options.responderIdType ?? 'byKey') === 'byName'
      ? new pkijs.RelativeDistinguishedNames({
          schema: asn1js.fromBER(signer.subjectDer).result,
        })
      : new asn1js.OctetString({ valueHex: await digest('SHA-1', signer.publicKeyBits) });

  const data = new pkijs.ResponseData({
    responderID,
    producedAt: wholeSeconds(options.producedAt ?? new Date()),
    responses: options.responses.map(singleResponse),
  });
  if (options.nonce) {
    data.responseExtensions = [
      new pkijs.Extension({
        extnID: OID.ocspNonce,
        critical: false,
        extnValue: nonceExtensionValue(options.nonce),
      }),
    ];
  }
  const basic = new pkijs.BasicOCSPResponse({ tbsResponseData: data });
  const embedded = options.certificates ?? (bytesEqual(signer.der, issuer.der) ? [] : [signer]);
  if (embedded.length > 0) basic.certs = embedded.map((c) => pkijsCertificate(c));

  const hash =
    options.hashAlgorithm ??
    (signer.key.type === 'ec' && signer.key.curve === 'P-384'
      ? 'SHA-384'
      : signer.key.type === 'ec' && signer.key.curve === 'P-521'
        ? 'SHA-512'
        : 'SHA-256');
  await basic.sign(options.signer.privateKey, hash);

  const outer = new pkijs.OCSPResponse({
    responseStatus: new asn1js.Enumerated({ value: 0 }),
    responseBytes: new pkijs.ResponseBytes({
      responseType: OID.ocspBasic,
      response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
    }),
  });
  return new Uint8Array(outer.toSchema().toBER(false));
}

/** An unsigned error response (RFC 6960 §4.2.1): just the status, no responseBytes. */
export function encodeUnsuccessfulResponse(
  status: Exclude<ResponseStatus, 'successful'>,
): Uint8Array {
  // Callers without types may still pass 'successful', which has no error encoding.
  const code = (status as string) === 'successful' ? undefined : RESPONSE_STATUS_CODES[status];
  if (code === undefined) {
    throw new OcspError('ERR_OCSP_INVALID_ARGUMENT', `not an error status: ${String(status)}`);
  }
  const outer = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: code }) });
  return new Uint8Array(outer.toSchema().toBER(false));
}

// DER GeneralizedTime has no fractional seconds worth keeping here; whole seconds keep the
// encoding identical to what OpenSSL and Go produce.
function wholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function singleResponse(input: SingleResponseInput): pkijs.SingleResponse {
  return new pkijs.SingleResponse({
    certID: toPkijsCertId(input.certId),
    certStatus: certStatus(input),
    thisUpdate: wholeSeconds(input.thisUpdate),
    ...(input.nextUpdate ? { nextUpdate: wholeSeconds(input.nextUpdate) } : {}),
  });
}

function certStatus(input: SingleResponseInput): asn1js.BaseBlock {
  switch (input.certStatus) {
    case 'good':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
    case 'unknown':
      return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
    case 'revoked': {
      const value: asn1js.BaseBlock[] = [
        new asn1js.GeneralizedTime({ valueDate: wholeSeconds(input.revocationTime ?? new Date()) }),
      ];
      if (input.revocationReason) {
        const code = REVOCATION_REASON_CODES[input.revocationReason];
        if (code === undefined) {
          throw new OcspError(
            'ERR_OCSP_INVALID_ARGUMENT',
            `unknown reason ${input.revocationReason}`,
          );
        }
        value.push(
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 0 },
            value: [new asn1js.Enumerated({ value: code })],
          }),
        );
      }
      return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value });
    }
    default:
      throw new OcspError(
        'ERR_OCSP_INVALID_ARGUMENT',
        `unknown certStatus ${String(input.certStatus)}`,
      );
  }
}
