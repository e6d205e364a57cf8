/**
 * The `tlsFacts()` middleware: `req.tls` on every request.
 */
import type { RequestHandler } from 'express';
import { getTlsFacts, type TlsFacts } from './tls-facts.js';

declare global {
  // Express's documented way to add to its Request type (declaration merging).
  namespace Express {
    interface Request {
      /**
       * The TLS facts of this request's connection, set by `tlsFacts()`; undefined for a request
       * that did not come through @staple/server.
       */
      tls?: TlsFacts | undefined;
    }
  }
}

/**
 * Puts the TLS facts on `req.tls`. Cheap enough for every request: the per-connection facts are
 * built once per connection, the fingerprint and the staple state only when read.
 *
 * @example
 * app.use(tlsFacts());
 * app.get('/', (req, res) => res.json({ served: req.tls?.certificate.keyType }));
 */
export function tlsFacts(): RequestHandler {
  return (req, _res, next) => {
    req.tls = getTlsFacts(req);
    next();
  };
}
