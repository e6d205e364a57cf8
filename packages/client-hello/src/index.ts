/**
 * @staple/client-hello: read the TLS ClientHello before the handshake and understand it —
 * every field, JA3/JA4 fingerprints, and which certificate the client can take.
 */

export type {
  CertificateDescription,
  CertificateKeyType,
  EcdsaCurve,
  SupportsCertificateOptions,
  TlsVersionName,
  UnsupportedCertificateReason,
} from './capabilities.js';
export { supportsCertificate, UNSUPPORTED_CERTIFICATE_REASONS } from './capabilities.js';
export type {
  CertificateIndexOptions,
  CertificateIndexSelectOptions,
  CertificatesForName,
} from './certificate-index.js';
export { CertificateIndex } from './certificate-index.js';
export type { ClientHelloErrorCode } from './errors.js';
export { ClientHelloError, isClientHelloError } from './errors.js';
export type { Ja3, Ja4, Ja4Options } from './fingerprint.js';
export { ja3, ja4 } from './fingerprint.js';
export { isGrease, isGreaseByte } from './grease.js';
export {
  cipherSuiteName,
  extensionName,
  groupName,
  signatureSchemeName,
  versionName,
} from './names.js';
export {
  EXTENSION,
  type ParseClientHelloOptions,
  parseClientHello,
  parseClientHelloMessage,
} from './parse.js';
export type {
  ReadClientHelloCallback,
  ReadClientHelloOptions,
  ReadClientHelloResult,
} from './read-client-hello.js';
export { readClientHello, readClientHelloWith } from './read-client-hello.js';
export type {
  CertificateCandidate,
  CertificateRejection,
  CertificateSelection,
  SelectCertificateOptions,
} from './select.js';
export { selectCertificate } from './select.js';
export type { ClientHello, KeyShareEntry, RawExtension } from './types.js';
