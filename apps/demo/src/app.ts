/**
 * The demo's Express app: the page, what this connection got (`req.tls`), every certificate's
 * staple state, and the buttons' actions (revoke / un-revoke at the demo responder, refresh).
 */
import { statusRoute, tlsFacts } from '@staple/express';
import type { Stapler } from '@staple/ocsp-client';
import type { OcspResponder, TestPki } from '@staple/testkit';
import express, { type Request, type Response } from 'express';
import { PAGE } from './page.js';

export interface DemoAppContext {
  readonly pki: TestPki;
  readonly responder: OcspResponder;
  /** The server's stapler, once the server exists (the app is made first). */
  readonly stapler: () => Stapler | undefined;
}

export function createDemoApp({ pki, responder, stapler }: DemoAppContext): express.Express {
  const app = express();
  const serials = new Set(pki.leaves.map((leaf) => leaf.serialNumber));
  app.disable('x-powered-by');
  app.use(tlsFacts());
  app.use('/api', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  app.get('/', (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(PAGE);
  });
  app.get('/api/connection', (req, res) => {
    res.json({ facts: req.tls ?? null });
  });
  app.get('/api/status', statusRoute());

  // The page only ever names the demo's own leaves; anything else is refused rather than
  // passed to the responder, which would accept any serial.
  const serialFrom = (req: Request, res: Response): string | undefined => {
    const serial = String((req.body as { serialNumber?: unknown } | undefined)?.serialNumber ?? '');
    if (serials.has(serial.toUpperCase())) return serial.toUpperCase();
    res.status(400).json({ error: `not a demo certificate: '${serial}'` });
    return undefined;
  };
  app.post('/api/revoke', express.json({ limit: '1kb' }), (req, res) => {
    const serial = serialFrom(req, res);
    if (!serial) return;
    responder.revoke(serial, { reason: 'keyCompromise' });
    res.json({ serialNumber: serial, atResponder: responder.statusOf(serial) });
  });
  app.post('/api/unrevoke', express.json({ limit: '1kb' }), (req, res) => {
    const serial = serialFrom(req, res);
    if (!serial) return;
    responder.unrevoke(serial);
    res.json({ serialNumber: serial, atResponder: responder.statusOf(serial) });
  });
  // Asks the responder now for every certificate, as an operator's "refresh" would; the
  // stapler keeps the last good response if the responder fails.
  app.post('/api/refresh', async (_req, res) => {
    const target = stapler();
    if (!target) {
      res.status(409).json({ error: 'stapling is off' });
      return;
    }
    await Promise.all(target.status().map((s) => target.refresh(s.certificate)));
    res.json({ refreshed: target.status().length });
  });
  return app;
}
