/**
 * @staple/ocsp-codec: OCSP requests and responses (RFC 6960, RFC 5019, RFC 8954). Build, encode,
 * decode, verify and sign. No I/O; runs wherever WebCrypto does.
 */
export { bytesEqual, fromBase64, fromHex, toBase64, toHex } from './bytes.js';
export { certIdMatches, computeCertId } from './cert-id.js';
export { parseCertificate, parseCertificates } from './certificate.js';
export type { OcspErrorCode } from './errors.js';
export { isOcspError, OcspError } from './errors.js';
export { OCSP_OIDS } from './oids.js';
export type { PemBlock } from './pem.js';
export { decodePem, encodePem } from './pem.js';
export type { CreatedRequest, RequestOptions } from './request.js';
export {
  chooseRequestMethod,
  createRequest,
  decodeRequest,
  MAX_GET_URL_BYTES,
  NONCE_MAX_BYTES,
  NONCE_MIN_BYTES,
  requestGetUrl,
} from './request.js';
export { decodeResponse, RESPONSE_STATUS_CODES, REVOCATION_REASON_CODES } from './response.js';
export type { SignResponseOptions, SingleResponseInput } from './sign.js';
export { encodeUnsuccessfulResponse, signResponse } from './sign.js';
export type {
  AlgorithmInfo,
  BasicResponse,
  CertId,
  CertificateInfo,
  CertificateInput,
  CertStatus,
  DecodedRequest,
  DecodedResponse,
  Extension,
  HashAlgorithmName,
  KeyInfo,
  ResponderId,
  ResponseStatus,
  RevocationReason,
  SingleResponse,
  VerifiedResponse,
} from './types.js';
export type { VerifyOptions } from './verify.js';
export { verifyResponse } from './verify.js';
