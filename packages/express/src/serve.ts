/**
 * `createServer` and `listen`: an Express app served by @staple/server's HTTPS server.
 */

import {
  createServer as createStapleServer,
  type StapleServer,
  type StapleServerOptions,
} from '@staple/server';
import type { Application } from 'express';
import { recordServer } from './served-by.js';

export interface StapleListenOptions extends StapleServerOptions {
  /** Default 0: any free port (read it from `server.address()`). */
  readonly port?: number;
  /** Default: every interface, as `net.Server.listen`. */
  readonly host?: string;
  /**
   * Wait for the first OCSP fetches (good or failed) before listening, so that the first
   * handshake already gets its staple and a Must-Staple certificate is served from the start.
   * Default true.
   */
  readonly ready?: boolean;
}

/**
 * An HTTPS server (a `StapleServer` from @staple/server) for an Express app: each client gets the
 * certificate it can use (ECDSA before RSA) with that certificate's OCSP staple. Call
 * `server.listen(...)` yourself; `listen()` does both.
 *
 * @example
 * const server = createServer(app, { certificates: [{ key, cert: chainPem }] });
 * await server.ready();
 * server.listen(8443);
 */
export function createServer(app: Application, options: StapleServerOptions): StapleServer {
  const server: StapleServer = createStapleServer(options, (req, res) => {
    recordServer(req.socket, server);
    app(req, res);
  });
  return server;
}

/**
 * Creates the server, waits for its first staples (unless `ready: false`), and listens.
 * Rejects with the listen error (e.g. `EADDRINUSE`) after stopping what the server started.
 *
 * @example
 * const server = await listen(app, { certificates, port: 8443, host: '127.0.0.1' });
 * // ... later
 * await new Promise((resolve) => server.close(resolve));
 */
export async function listen(
  app: Application,
  options: StapleListenOptions,
): Promise<StapleServer> {
  const { port, host, ready = true, ...serverOptions } = options;
  const server = createServer(app, serverOptions);
  try {
    if (ready) await server.ready();
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off('listening', onListening);
        reject(error);
      };
      const onListening = () => {
        server.off('error', onError);
        resolve();
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen({ port: port ?? 0, ...(host === undefined ? {} : { host }) });
    });
  } catch (error) {
    // Stops the stapler the server owns: a failed listen leaves no timer or socket behind.
    server.close();
    throw error;
  }
  return server;
}
