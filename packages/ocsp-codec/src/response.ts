import * as asn1js from 'asn1js';
import { parseDer } from './asn1.js';
import { copyBytes } from './bytes.js';
import {
  bitString,
  children,
  explicit,
  generalizedTime,
  isContext,
  malformed,
  octets,
  oid,
  rawBytes,
  readTlv,
  sequence,
  smallNumber,
} from './der.js';
import { OcspError } from './errors.js';
import { algorithmFrom, certIdFrom, extensionsFrom, nonceFrom } from './fields.js';
import { formatNameElement } from './names.js';
import { OID } from './oids.js';
import type {
  BasicResponse,
  CertStatus,
  DecodedResponse,
  ResponderId,
  ResponseStatus,
  RevocationReason,
  SingleResponse,
} from './types.js';

// RFC 6960 §4.2.1 OCSPResponseStatus; 4 is not used.
const RESPONSE_STATUSES: Record<number, ResponseStatus> = {
  0: 'successful',
  1: 'malformedRequest',
  2: 'internalError',
  3: 'tryLater',
  5: 'sigRequired',
  6: 'unauthorized',
};

// RFC 5280 §5.3.1 CRLReason; 7 is not used.
const REASONS: Record<number, RevocationReason> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

/** CRLReason numbers by name (RFC 5280 §5.3.1). */
export const REVOCATION_REASON_CODES: Readonly<Record<RevocationReason, number>> = Object.freeze(
  Object.fromEntries(Object.entries(REASONS).map(([code, name]) => [name, Number(code)])),
) as Record<RevocationReason, number>;

/** OCSPResponseStatus numbers by name (RFC 6960 §4.2.1). */
export const RESPONSE_STATUS_CODES: Readonly<Record<ResponseStatus, number>> = Object.freeze(
  Object.fromEntries(Object.entries(RESPONSE_STATUSES).map(([code, name]) => [name, Number(code)])),
) as Record<ResponseStatus, number>;

/** @internal a decoded response with the parsed signature parts kept for verification. */
export interface ParsedResponse {
  readonly decoded: DecodedResponse;
  readonly signatureAlgorithm?: asn1js.AsnType;
  readonly signature?: asn1js.BitString;
}

/**
 * Decodes an OCSPResponse. Every field comes back as plain data; a responder's error status
 * (tryLater, unauthorized, ...) is a result, not an exception. Throws `OcspError` with
 * `ERR_OCSP_MALFORMED` for anything that is not a well-formed response, and
 * `ERR_OCSP_UNSUPPORTED_RESPONSE_TYPE` for a response type other than id-pkix-ocsp-basic.
 *
 * @example
 * const res = decodeResponse(der);
 * if (res.responseStatus === 'successful') console.log(res.basic.responses[0]?.certStatus);
 */
export function decodeResponse(der: Uint8Array): DecodedResponse {
  return parseResponse(der).decoded;
}

/** @internal */
export function parseResponse(der: Uint8Array): ParsedResponse {
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
  const outer = sequence(parseDer(der, 'OCSPResponse'), 'OCSPResponse');
  if (!(outer[0] instanceof asn1js.Enumerated)) {
    throw malformed('OCSPResponse', 'responseStatus is not ENUMERATED');
  }
  const code = smallNumber(outer[0], 'OCSPResponse.responseStatus');
  const responseStatus = RESPONSE_STATUSES[code];
  if (!responseStatus) {
    throw malformed('OCSPResponse', `unknown responseStatus ${code === -1 ? '(too large)' : code}`);
  }
  if (outer.length > 2 || (outer[1] && !isContext(outer[1], 0))) {
    throw malformed('OCSPResponse', 'unexpected elements after responseStatus');
  }
  const copy = copyBytes(der);
  if (responseStatus !== 'successful') {
    return { decoded: Object.freeze({ responseStatus, der: copy }) };
  }
  if (!outer[1]) throw malformed('OCSPResponse', 'successful status without responseBytes');
  // ResponseBytes ::= SEQUENCE { responseType OID, response OCTET STRING }
  const [typeBlock, responseBlock, extra] = sequence(
    explicit(outer[1], 0, 'OCSPResponse.responseBytes'),
    'ResponseBytes',
  );
  if (extra) throw malformed('ResponseBytes', 'too many elements');
  const responseType = oid(typeBlock, 'ResponseBytes.responseType');
  const response = octets(responseBlock, 'ResponseBytes.response');
  if (responseType !== OID.ocspBasic) {
    throw new OcspError(
      'ERR_OCSP_UNSUPPORTED_RESPONSE_TYPE',
      `OCSPResponse: responseType ${responseType} is not id-pkix-ocsp-basic`,
    );
  }
  // BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING,
  //                                  certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
  // Split by hand so the embedded certificates are only sliced, not parsed: verification parses
  // the one it needs, and decoding stays cheap for responses that carry a chain.
  const top = readTlv(response, 0, 'BasicOCSPResponse');
  if (top.tag !== 0x30 || top.end !== response.length) {
    throw malformed('BasicOCSPResponse', 'expected one SEQUENCE');
  }
  const parts = children(response, top, 'BasicOCSPResponse');
  if (parts.length < 3 || parts.length > 4)
    throw malformed('BasicOCSPResponse', 'expected 3 or 4 elements');
  const element = (i: number) =>
    parseDer(response.subarray(parts[i]!.start, parts[i]!.end), 'BasicOCSPResponse');
  const tbs = element(0);
  const sigAlg = element(1);
  const signature = bitString(element(2), 'BasicOCSPResponse.signature');
  let certificates: Uint8Array[] = [];
  const certsPart = parts[3];
  if (certsPart) {
    if (certsPart.tag !== 0xa0) throw malformed('BasicOCSPResponse', 'certs must be [0] EXPLICIT');
    const [list, extra] = children(response, certsPart, 'BasicOCSPResponse.certs');
    if (!list || extra || list.tag !== 0x30)
      throw malformed('BasicOCSPResponse.certs', 'expected a SEQUENCE OF Certificate');
    certificates = children(response, list, 'BasicOCSPResponse.certs').map((cert) => {
      if (cert.tag !== 0x30)
        throw malformed('BasicOCSPResponse.certs', 'a certificate is not a SEQUENCE');
      return response.slice(cert.start, cert.end);
    });
  }
  const basic: BasicResponse = Object.freeze({
    ...responseData(tbs),
    signatureAlgorithm: algorithmFrom(sigAlg, 'BasicOCSPResponse.signatureAlgorithm'),
    signature: copyBytes(signature.valueBlock.valueHexView),
    certificates: Object.freeze(certificates),
    tbsResponseData: rawBytes(tbs),
  });
  return {
    decoded: Object.freeze({ responseStatus, responseType, basic, der: copy }),
    signatureAlgorithm: sigAlg,
    signature,
  };
}

// ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
//   producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
//   responseExtensions [1] EXPLICIT Extensions OPTIONAL }
function responseData(block: asn1js.AsnType | undefined) {
  const fields = sequence(block, 'ResponseData');
  let i = 0;
  let version = 0;
  if (isContext(fields[0], 0)) {
    version = smallNumber(explicit(fields[0], 0, 'ResponseData.version'), 'ResponseData.version');
    i++;
  }
  const responderId = responderIdFrom(fields[i++]);
  const producedAt = generalizedTime(fields[i++], 'ResponseData.producedAt');
  const responses = sequence(fields[i++], 'ResponseData.responses').map(singleResponse);
  let extensions: ReturnType<typeof extensionsFrom> = [];
  if (fields[i]) {
    extensions = extensionsFrom(
      explicit(fields[i], 1, 'ResponseData.responseExtensions'),
      'ResponseData',
    );
    i++;
  }
  if (fields.length !== i) throw malformed('ResponseData', 'unexpected elements');
  const nonce = nonceFrom(extensions);
  return {
    version,
    responderId,
    producedAt,
    responses: Object.freeze(responses),
    extensions: Object.freeze(extensions),
    ...(nonce ? { nonce } : {}),
  };
}

// ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
function responderIdFrom(block: asn1js.AsnType | undefined): ResponderId {
  if (isContext(block, 1)) {
    const name = explicit(block, 1, 'ResponderID.byName');
    return Object.freeze({
      type: 'byName',
      name: formatNameElement(name, 'ResponderID.byName'),
      der: rawBytes(name),
    });
  }
  if (isContext(block, 2)) {
    const keyHash = octets(explicit(block, 2, 'ResponderID.byKey'), 'ResponderID.byKey');
    return Object.freeze({ type: 'byKey', keyHash: copyBytes(keyHash) });
  }
  throw malformed('ResponseData', 'responderID is neither byName [1] nor byKey [2]');
}

// SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
//   nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
function singleResponse(block: asn1js.AsnType): SingleResponse {
  const fields = sequence(block, 'SingleResponse');
  const certId = certIdFrom(fields[0]);
  const status = certStatusFrom(fields[1]);
  const thisUpdate = generalizedTime(fields[2], 'SingleResponse.thisUpdate');
  let i = 3;
  let nextUpdate: Date | undefined;
  if (isContext(fields[i], 0)) {
    nextUpdate = generalizedTime(
      explicit(fields[i], 0, 'SingleResponse.nextUpdate'),
      'SingleResponse.nextUpdate',
    );
    i++;
  }
  let extensions: ReturnType<typeof extensionsFrom> = [];
  if (isContext(fields[i], 1)) {
    extensions = extensionsFrom(
      explicit(fields[i], 1, 'SingleResponse.singleExtensions'),
      'SingleResponse',
    );
    i++;
  }
  if (fields.length !== i) throw malformed('SingleResponse', 'unexpected elements');
  return Object.freeze({
    certId,
    ...status,
    thisUpdate,
    ...(nextUpdate ? { nextUpdate } : {}),
    extensions: Object.freeze(extensions),
  });
}

// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL }
// RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
function certStatusFrom(block: asn1js.AsnType | undefined): {
  certStatus: CertStatus;
  revocationTime?: Date;
  revocationReason?: RevocationReason;
} {
  if (isContext(block, 0) || isContext(block, 2)) {
    if (block!.idBlock.isConstructed || block!.valueBeforeDecodeView.length !== 2) {
      throw malformed('SingleResponse', 'good/unknown must be an empty primitive');
    }
    return { certStatus: isContext(block, 0) ? 'good' : 'unknown' };
  }
  if (!isContext(block, 1) || !(block instanceof asn1js.Constructed)) {
    throw malformed('SingleResponse', 'certStatus is not good/revoked/unknown');
  }
  const [time, reasonBlock, extra] = block.valueBlock.value;
  if (extra) throw malformed('RevokedInfo', 'unexpected elements');
  const revocationTime = generalizedTime(time, 'RevokedInfo.revocationTime');
  if (!reasonBlock) return { certStatus: 'revoked', revocationTime };
  const reason = explicit(reasonBlock, 0, 'RevokedInfo.revocationReason');
  if (!(reason instanceof asn1js.Enumerated)) {
    throw malformed('RevokedInfo', 'revocationReason is not ENUMERATED');
  }
  const revocationReason = REASONS[smallNumber(reason, 'RevokedInfo.revocationReason')];
  if (!revocationReason) throw malformed('RevokedInfo', 'unknown CRLReason');
  return { certStatus: 'revoked', revocationTime, revocationReason };
}
