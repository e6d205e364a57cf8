import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fromSchema, parseDer } from './asn1.js';
import { copyBytes } from './bytes.js';
import { OcspError } from './errors.js';
import { algorithmInfo, certIdFrom, extensionsFrom, nonceFrom } from './fields.js';
import { formatName } from './names.js';
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

export const REASON_CODES: Record<RevocationReason, number> = Object.fromEntries(
  Object.entries(REASONS).map(([code, name]) => [name, Number(code)]),
) as Record<RevocationReason, number>;

/** @internal a decoded response with the pkijs object kept for verification. */
export interface ParsedResponse {
  readonly decoded: DecodedResponse;
  readonly basic?: pkijs.BasicOCSPResponse;
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
  const asn1 = parseDer(der, 'OCSPResponse');
  const outer = fromSchema('OCSPResponse', () => new pkijs.OCSPResponse({ schema: asn1 }));
  const statusBlock = outer.responseStatus.valueBlock;
  const code =
    statusBlock.isHexOnly || statusBlock.valueHexView.length > 1 ? -1 : statusBlock.valueDec;
  const responseStatus = RESPONSE_STATUSES[code];
  if (!responseStatus) {
    throw new OcspError('ERR_OCSP_MALFORMED', `OCSPResponse: unknown responseStatus ${code}`);
  }
  const copy = copyBytes(der);
  if (responseStatus !== 'successful') {
    return { decoded: Object.freeze({ responseStatus, der: copy }) };
  }
  const bytes = outer.responseBytes;
  if (!bytes) {
    throw new OcspError(
      'ERR_OCSP_MALFORMED',
      'OCSPResponse: successful status without responseBytes',
    );
  }
  if (bytes.responseType !== OID.ocspBasic) {
    throw new OcspError(
      'ERR_OCSP_UNSUPPORTED_RESPONSE_TYPE',
      `OCSPResponse: responseType ${bytes.responseType} is not id-pkix-ocsp-basic`,
    );
  }
  const inner = parseDer(bytes.response.valueBlock.valueHexView, 'BasicOCSPResponse');
  const emptyList = fillEmptyResponseList(inner);
  const basic = fromSchema(
    'BasicOCSPResponse',
    () => new pkijs.BasicOCSPResponse({ schema: inner }),
  );
  if (emptyList) basic.tbsResponseData.responses = [];
  const decodedBasic = fromSchema('BasicOCSPResponse', () => describeBasic(basic));
  return {
    decoded: Object.freeze({
      responseStatus,
      responseType: bytes.responseType,
      basic: decodedBasic,
      der: copy,
    }),
    basic,
  };
}

/**
 * pkijs 4 cannot read an empty `responses` SEQUENCE (it iterates an undefined match), yet such
 * a response is well-formed (BoringSSL's no_response vector). Put a placeholder in the parsed
 * tree for pkijs to read and drop it afterwards; the signed bytes (tbsView) are not touched.
 */
function fillEmptyResponseList(basic: asn1js.AsnType): boolean {
  const tbs = basic instanceof asn1js.Sequence ? basic.valueBlock.value[0] : undefined;
  if (!(tbs instanceof asn1js.Sequence)) return false;
  const list = tbs.valueBlock.value.find(
    (block, i) => i > 0 && block instanceof asn1js.Sequence && block.idBlock.tagClass === 1,
  );
  if (!(list instanceof asn1js.Sequence) || list.valueBlock.value.length > 0) return false;
  list.valueBlock.value.push(asn1js.fromBER(PLACEHOLDER_SINGLE).result);
  return true;
}

const PLACEHOLDER_SINGLE = new pkijs.SingleResponse({
  certID: new pkijs.CertID({
    hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha1 }),
    issuerNameHash: new asn1js.OctetString(),
    issuerKeyHash: new asn1js.OctetString(),
    serialNumber: new asn1js.Integer({ value: 1 }),
  }),
  certStatus: new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } }),
  thisUpdate: new Date(0),
})
  .toSchema()
  .toBER(false);

function describeBasic(basic: pkijs.BasicOCSPResponse): BasicResponse {
  const data = basic.tbsResponseData;
  const extensions = extensionsFrom(data.responseExtensions, 'ResponseData');
  const nonce = nonceFrom(extensions);
  return Object.freeze({
    version: data.version ?? 0,
    responderId: responderId(data.responderID),
    producedAt: data.producedAt,
    responses: Object.freeze(data.responses.map(singleResponse)),
    extensions: Object.freeze(extensions),
    ...(nonce ? { nonce } : {}),
    signatureAlgorithm: algorithmInfo(basic.signatureAlgorithm),
    signature: copyBytes(basic.signature.valueBlock.valueHexView),
    certificates: Object.freeze(
      (basic.certs ?? []).map((c) => new Uint8Array(c.toSchema().toBER(false))),
    ),
    tbsResponseData: copyBytes(data.tbsView),
  });
}

function responderId(id: unknown): ResponderId {
  if (id instanceof pkijs.RelativeDistinguishedNames) {
    return Object.freeze({
      type: 'byName',
      name: formatName(id),
      der: new Uint8Array(id.toSchema().toBER(false)),
    });
  }
  if (id instanceof asn1js.OctetString) {
    return Object.freeze({ type: 'byKey', keyHash: copyBytes(id.valueBlock.valueHexView) });
  }
  throw new OcspError(
    'ERR_OCSP_MALFORMED',
    'ResponseData: responderID is neither byName nor byKey',
  );
}

function singleResponse(single: pkijs.SingleResponse): SingleResponse {
  const status = single.certStatus as asn1js.BaseBlock;
  const tag = status.idBlock.tagNumber;
  const extensions = extensionsFrom(single.singleExtensions, 'SingleResponse');
  const base = {
    certId: certIdFrom(single.certID),
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
    extensions: Object.freeze(extensions),
  };
  if (status.idBlock.tagClass !== 3 || tag > 2) {
    throw new OcspError(
      'ERR_OCSP_MALFORMED',
      'SingleResponse: certStatus is not good/revoked/unknown',
    );
  }
  if (tag !== 1) {
    const certStatus: CertStatus = tag === 0 ? 'good' : 'unknown';
    return Object.freeze({ ...base, certStatus });
  }
  // RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
  const parts = (status as asn1js.Constructed).valueBlock.value;
  const time = parts[0];
  if (!(time instanceof asn1js.GeneralizedTime)) {
    throw new OcspError('ERR_OCSP_MALFORMED', 'RevokedInfo: revocationTime missing');
  }
  let revocationReason: RevocationReason | undefined;
  const reasonTag = parts[1];
  if (reasonTag) {
    const reason = (reasonTag as asn1js.Constructed).valueBlock.value?.[0];
    if (!(reason instanceof asn1js.Enumerated)) {
      throw new OcspError('ERR_OCSP_MALFORMED', 'RevokedInfo: revocationReason is not ENUMERATED');
    }
    revocationReason = REASONS[reason.valueBlock.valueDec];
    if (!revocationReason) {
      throw new OcspError(
        'ERR_OCSP_MALFORMED',
        `RevokedInfo: unknown CRLReason ${reason.valueBlock.valueDec}`,
      );
    }
  }
  return Object.freeze({
    ...base,
    certStatus: 'revoked',
    revocationTime: time.toDate(),
    ...(revocationReason ? { revocationReason } : {}),
  });
}
