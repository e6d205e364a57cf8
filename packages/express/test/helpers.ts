/**
 * Shared by the tests: a testkit PKI and responder (also written as PEM files for curl), a Node
 * HTTPS client that reports the certificate it got, a bounded child-process runner. Every wait
 * is bounded; only 127.0.0.1 is contacted.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tls from 'node:tls';
import type { CertificateOptions, StapleServer } from '@staple/server';
import {
  startTestOcsp,
  type TestOcsp,
  type TestOcspOptions,
  type TestPki,
  type TestPkiFiles,
  writeTestPki,
} from '@staple/testkit';

export const HOST = '127.0.0.1';

export interface TestEnv extends TestOcsp {
  readonly files: TestPkiFiles;
}

/** A PKI (RSA and ECDSA leaves for localhost and 127.0.0.1), its responder, and its PEM files. */
export async function startEnv(options: TestOcspOptions = {}): Promise<TestEnv> {
  const ocsp = await startTestOcsp(options);
  const dir = await mkdtemp(join(tmpdir(), 'staple-express-test-'));
  const files = await writeTestPki(ocsp.pki, join(dir, 'pki'));
  return {
    ...ocsp,
    files,
    async close() {
      await ocsp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Server certificate options for the named leaves, in that order. */
export function certificatesOf(pki: TestPki, names: readonly string[]): CertificateOptions[] {
  return names.map((name) => {
    const leaf = pki.leaf(name);
    return { key: leaf.privateKeyPem, cert: leaf.chainPem };
  });
}

export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

/** Closes the server and every connection it still has, failing after `ms`. */
export async function closeServer(server: StapleServer, ms = 5_000): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await withTimeout(
    new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    ),
    ms,
    'server.close',
  );
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface Got<T> {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: T;
  /** The leaf the client got, as the client saw it. */
  readonly peer: tls.PeerCertificate;
  /** The socket's local port: the same on two requests means one connection. */
  readonly localPort: number;
}

/** node:https options; the TLS ones are passed on to tls.connect (and from it to the TLSSocket). */
export type ClientOptions = https.RequestOptions & {
  readonly ca: string;
  readonly ALPNProtocols?: string[];
  /** Ask for a staple (status_request). */
  readonly requestOCSP?: boolean;
};

/**
 * GET with node:https trusting `ca`, the TLS options given (sigalgs, ciphers, maxVersion, ...)
 * and an agent (keep-alive) if given. The body is parsed as JSON when it is JSON.
 */
export function get<T = unknown>(
  port: number,
  path: string,
  options: ClientOptions,
  timeoutMs = 5_000,
): Promise<Got<T>> {
  return withTimeout(
    new Promise<Got<T>>((resolve, reject) => {
      const req = https.request(
        { host: HOST, port, servername: 'localhost', path, method: 'GET', ...options },
        (res) => {
          // Taken now: a keep-alive socket goes back to the agent once the response has ended.
          const socket = res.socket as tls.TLSSocket;
          const peer = socket.getPeerCertificate();
          const localPort = socket.localPort ?? 0;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            text += chunk;
          });
          res.on('end', () => {
            const json = /json/.test(res.headers['content-type'] ?? '');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: (json ? JSON.parse(text) : text) as T,
              peer,
              localPort,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end();
    }),
    timeoutMs,
    `GET ${path}`,
  );
}

/** Node prints serials as hex with a leading 00 sign byte when the top bit is set. */
export function serialOfPeer(peer: tls.PeerCertificate): string {
  return peer.serialNumber.toUpperCase().replace(/^(00)+(?=[0-9A-F])/, '');
}

export interface RunResult {
  /** Exit code; null when killed (e.g. the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with stdin closed, killed after `timeoutMs`; never rejects for an exit code. */
export function run(
  command: string,
  args: readonly string[],
  timeoutMs = 10_000,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
