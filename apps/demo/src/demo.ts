/**
 * The whole demo in one call: a test PKI (RSA and ECDSA leaves for localhost, 127.0.0.1 and ::1;
 * the ECDSA one Must-Staple), the testkit OCSP responder, and the Express app served by
 * @staple/express. Everything listens on loopback and stops with `close()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listen } from '@staple/express';
import type { StapleServer } from '@staple/server';
import {
  type OcspResponder,
  startTestOcsp,
  type TestPki,
  type TestPkiFiles,
  writeTestPki,
} from '@staple/testkit';
import { createDemoApp } from './app.js';
import type { DemoOptions } from './options.js';

export interface Demo {
  /** The page, e.g. `https://localhost:7443/`. */
  readonly url: string;
  readonly port: number;
  readonly ocspUrl: string;
  /** Where the PKI was written; `files.root` is what clients trust. */
  readonly files: TestPkiFiles;
  readonly pki: TestPki;
  readonly responder: OcspResponder;
  readonly server: StapleServer;
  /** Stops the server, its stapler and the responder; removes the PKI folder it created. */
  close(): Promise<void>;
}

/** A port the demo wanted is held by another program. */
export class DemoPortError extends Error {
  override readonly name = 'DemoPortError';
  readonly code = 'ERR_DEMO_PORT_IN_USE';
}

export async function startDemo(options: DemoOptions): Promise<Demo> {
  const ocsp = await startTestOcsp({
    pki: {
      names: ['localhost'],
      ips: ['127.0.0.1', '::1'],
      leaves: [
        { name: 'rsa', keyType: 'rsa' },
        { name: 'ecdsa', keyType: 'ecdsa-p256', mustStaple: true },
      ],
    },
    responder: { port: options.ocspPort, validitySeconds: options.validitySeconds },
  }).catch((error: unknown) => {
    throw portError(
      error,
      'OCSP responder',
      '127.0.0.1',
      options.ocspPort,
      '--ocsp-port',
      'STAPLE_DEMO_OCSP_PORT',
    );
  });
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'staple-demo-'));
  const cleanup = async (): Promise<void> => {
    await ocsp.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const files = await writeTestPki(ocsp.pki, dir);
    let server: StapleServer | undefined;
    const app = createDemoApp({
      pki: ocsp.pki,
      responder: ocsp.responder,
      stapler: () => server?.stapler,
    });
    server = await listen(app, {
      certificates: [
        { key: ocsp.pki.leaf('ecdsa').privateKeyPem, cert: ocsp.pki.leaf('ecdsa').chainPem },
        { key: ocsp.pki.leaf('rsa').privateKeyPem, cert: ocsp.pki.leaf('rsa').chainPem },
      ],
      port: options.port,
      host: options.host,
    }).catch((error: unknown) => {
      throw portError(
        error,
        'HTTPS server',
        options.host,
        options.port,
        '--port',
        'STAPLE_DEMO_PORT',
      );
    });
    const running = server;
    const address = running.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    return {
      url: `https://localhost:${port}/`,
      port,
      ocspUrl: ocsp.responder.url,
      files,
      pki: ocsp.pki,
      responder: ocsp.responder,
      server: running,
      close: async () => {
        const closed = new Promise<void>((resolve) => running.close(() => resolve()));
        running.closeAllConnections();
        await closed;
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function portError(
  error: unknown,
  what: string,
  host: string,
  port: number,
  flag: string,
  env: string,
): unknown {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'EADDRINUSE') return error;
  return new DemoPortError(
    `port ${port} on ${host} is already in use, so the ${what} cannot start; ` +
      `choose another with ${flag} <port> or ${env}=<port> (0 picks a free one)`,
    { cause: error },
  );
}
