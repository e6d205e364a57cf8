/**
 * @staple/express: serve an Express app with OCSP stapling and RSA/ECDSA certificate selection
 * (@staple/server), with the TLS facts of each request on `req.tls` and an optional JSON status
 * route.
 */
export type {
  CertificateOptions,
  StapleServer,
  StapleServerOptions,
  StapleServerStats,
} from '@staple/server';
export type { CertificateFacts, KeyType, StapleFacts } from './describe.js';
export type { StapleExpressErrorCode } from './errors.js';
export { StapleExpressError } from './errors.js';
export { tlsFacts } from './middleware.js';
export type { StapleListenOptions } from './serve.js';
export { createServer, listen } from './serve.js';
export type { CertificateStatus, StatusReport } from './status-route.js';
export { getStatusReport, statusRoute } from './status-route.js';
export type {
  ClientFacts,
  FingerprintFacts,
  NegotiatedFacts,
  TlsFacts,
  TlsStapleFacts,
} from './tls-facts.js';
export { getTlsFacts } from './tls-facts.js';
