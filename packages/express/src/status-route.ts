/**
 * `statusRoute()`: the stapling state of every certificate as JSON, for monitoring.
 */
import type { StapleStatus } from '@staple/ocsp-client';
import type { StapleServer, StapleServerStats } from '@staple/server';
import type { RequestHandler } from 'express';
import { describeStaple, type KeyType, keyTypeOf, labelOf, type StapleFacts } from './describe.js';
import { StapleExpressError } from './errors.js';
import { serverOf } from './served-by.js';

/** One certificate in the status report. Times are ISO 8601 strings; unknowns are `null`. */
export interface CertificateStatus extends StapleFacts {
  /** As @staple/server's logs name it: `ecdsa P-256 serial 1A2B… (CN=localhost)`. */
  readonly label: string;
  /** null only for a key type @staple/server cannot serve (from a stapler shared with others). */
  readonly keyType: KeyType | null;
  readonly subject: string;
  readonly serialNumber: string;
  /** Subject alternative names: DNS names, then IP addresses. */
  readonly names: readonly string[];
  readonly notAfter: string;
  readonly mustStaple: boolean;
  /** Requests made to the responder. */
  readonly fetches: number;
  /** Failed attempts in a row (0 after a success). */
  readonly failures: number;
  /** Responses taken from the store instead of the responder. */
  readonly storeHits: number;
}

export interface StatusReport {
  readonly certificates: readonly CertificateStatus[];
  readonly server: StapleServerStats;
}

/**
 * The status report of a server: each of its certificates with its stapling state, and the
 * server's connection counters.
 *
 * @example
 * for (const c of getStatusReport(server).certificates) if (c.status !== 'good') alert(c.label);
 */
export function getStatusReport(server: StapleServer): StatusReport {
  const stapler = server.stapler;
  return {
    certificates: server.certificates.map((certificate): CertificateStatus => {
      const status: StapleStatus | undefined = stapler?.statusOf(certificate);
      return {
        label: labelOf(certificate),
        keyType: keyTypeOf(certificate) ?? null,
        subject: certificate.subject,
        serialNumber: certificate.serialNumber,
        names: [...certificate.dnsNames, ...certificate.ipAddresses],
        notAfter: certificate.notAfter.toISOString(),
        mustStaple: certificate.mustStaple,
        ...describeStaple(status),
        fetches: status?.fetches ?? 0,
        failures: status?.failures ?? 0,
        storeHits: status?.storeHits ?? 0,
      };
    }),
    server: server.stats(),
  };
}

/**
 * A handler that answers with the status report as JSON (`Cache-Control: no-store`). Nothing is
 * exposed unless you mount it, and where: it names your certificates and their responders, so
 * put it behind your own access control if the port is public.
 *
 * Without `server`, it reports on the server the request came through, which must have been
 * made by this package's `createServer` or `listen` (otherwise `next` gets a
 * `StapleExpressError` `ERR_STAPLE_EXPRESS_NO_SERVER`).
 *
 * @example
 * app.get('/staple/status', statusRoute());
 */
export function statusRoute(server?: StapleServer): RequestHandler {
  return (req, res, next) => {
    const target = server ?? serverOf(req.socket);
    if (!target) {
      next(
        new StapleExpressError(
          'ERR_STAPLE_EXPRESS_NO_SERVER',
          'statusRoute() without a server: this request did not come through createServer() or listen() of @staple/express; pass the server',
        ),
      );
      return;
    }
    res.set('Cache-Control', 'no-store');
    res.json(getStatusReport(target));
  };
}
