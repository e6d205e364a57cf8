/**
 * @staple/server: node:tls, node:https and node:http2 servers with OCSP stapling and RSA/ECDSA certificate
 * selection from the ClientHello.
 */
export type { CertificateOptions } from './certificates.js';
export type { StapleServerErrorCode } from './errors.js';
export { StapleServerError } from './errors.js';
export type {
  CertificateChoice,
  StapleHttp2ServerOptions,
  StapleInfo,
  StapleServerOptions,
  StapleServerStats,
} from './server.js';
export {
  createHttp2Server,
  createServer,
  createTlsServer,
  getStapleInfo,
  StapleServer,
} from './server.js';
