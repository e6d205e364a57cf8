/**
 * @staple/server: node:tls and node:https servers with OCSP stapling and RSA/ECDSA certificate
 * selection from the ClientHello.
 */
export type { CertificateOptions } from './certificates.js';
export type { StapleServerErrorCode } from './errors.js';
export { StapleServerError } from './errors.js';
export type {
  CertificateChoice,
  StapleInfo,
  StapleServerOptions,
  StapleServerStats,
} from './server.js';
export { createServer, createTlsServer, getStapleInfo, StapleServer } from './server.js';
