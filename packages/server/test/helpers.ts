/**
 * Shared by the server tests: a testkit PKI and responder written to disk for the command-line
 * clients, a bounded child-process runner, s_client output parsing and a Node TLS client.
 * Every wait here is bounded; only 127.0.0.1 is ever contacted.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { decodeResponse } from '@staple/ocsp-codec';
import {
  startTestOcsp,
  type TestOcsp,
  type TestOcspOptions,
  type TestPki,
  type TestPkiFiles,
  writeTestPki,
} from '@staple/testkit';
import type { CertificateOptions, StapleServer } from '../src/index.js';

export const HOST = '127.0.0.1';

// Node's tls.connect takes `requestOCSP` (it is passed on to the TLSSocket), but @types/node
// only declares it on TLSSocketOptions.
declare module 'tls' {
  interface ConnectionOptions {
    requestOCSP?: boolean | undefined;
  }
}

export interface TestEnv extends TestOcsp {
  readonly files: TestPkiFiles;
  /** A scratch directory, removed by `close`. */
  readonly dir: string;
}

/** A PKI, its responder, and the PKI written as PEM files (for openssl, curl, gnutls-cli). */
export async function startEnv(options: TestOcspOptions = {}): Promise<TestEnv> {
  const ocsp = await startTestOcsp(options);
  const dir = await mkdtemp(join(tmpdir(), 'staple-server-test-'));
  const files = await writeTestPki(ocsp.pki, join(dir, 'pki'));
  return {
    ...ocsp,
    files,
    dir,
    async close() {
      await ocsp.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Server certificate options for the named leaves (all of them by default), in that order. */
export function certificatesOf(pki: TestPki, names?: readonly string[]): CertificateOptions[] {
  const leaves = names ? names.map((n) => pki.leaf(n)) : pki.leaves;
  return leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem }));
}

export async function listen(server: net.Server): Promise<number> {
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    }),
    5_000,
    'listen',
  );
  return (server.address() as net.AddressInfo).port;
}

/** Closes the server (and every connection it still has), failing after `ms`. */
export async function closeServer(server: StapleServer, ms = 5_000): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  await withTimeout(
    new Promise<void>((resolve) => server.close(() => resolve())),
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

export interface RawResult {
  readonly received: string;
  /** From connect to close, in ms. */
  readonly elapsedMs: number;
}

/**
 * A client that is not TLS: writes `bytes` (then nothing more) and waits for the server to
 * close the connection, keeping what it answered.
 */
export function rawExchange(
  port: number,
  bytes: Buffer | string,
  timeoutMs = 5_000,
): Promise<RawResult> {
  return withTimeout(
    new Promise<RawResult>((resolve) => {
      const started = Date.now();
      const socket = net.connect(port, HOST, () => socket.write(bytes));
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => {
        received += d;
      });
      socket.on('error', () => {});
      socket.on('close', () => resolve({ received, elapsedMs: Date.now() - started }));
    }),
    timeoutMs,
    'raw client',
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 20 ms until it holds; fails after `ms`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not true within ${ms} ms`);
    await sleep(20);
  }
}

export interface RunResult {
  /** Exit code; null when killed by a signal (e.g. the timeout). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/**
 * Runs a program with an empty, closed stdin (or `input`), killing it after `timeoutMs`.
 * Never rejects for a non-zero exit: the caller asserts on `code`.
 */
export function run(
  command: string,
  args: readonly string[],
  options: { timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** `openssl s_client -status` against the server, stdin closed. */
/** curl against https://localhost:PORT/ trusting the test root, bounded at 8 s. */
export function curlHttps(env: TestEnv, port: number, extra: readonly string[] = []) {
  return run('curl', [
    '--silent',
    '--show-error',
    '--max-time',
    '8',
    '--cacert',
    env.files.root,
    ...extra,
    `https://localhost:${port}/`,
  ]);
}

/** gnutls-cli --ocsp against localhost:PORT trusting the test root (it verifies the staple). */
export function gnutlsOcsp(env: TestEnv, port: number, extra: readonly string[] = []) {
  return run('gnutls-cli', [
    '--ocsp',
    '--x509cafile',
    env.files.root,
    '-p',
    String(port),
    ...extra,
    'localhost',
  ]);
}

export function sClient(port: number, caFile: string, extra: readonly string[] = []) {
  return run('openssl', [
    's_client',
    '-connect',
    `${HOST}:${port}`,
    '-servername',
    'localhost',
    '-status',
    '-CAfile',
    caFile,
    ...extra,
  ]);
}

export interface SClientFacts {
  /** `successful`, ... from `OCSP Response Status:`; undefined when nothing was stapled. */
  readonly ocspStatus: string | undefined;
  /** `good` / `revoked` / `unknown` from `Cert Status:`. */
  readonly certStatus: string | undefined;
  /** The serial in the stapled response's CertID (uppercase hex). */
  readonly ocspSerial: string | undefined;
  /** s_client printed `OCSP response: no response sent`. */
  readonly noStaple: boolean;
  /** The server's (leaf) certificate as s_client printed it. */
  readonly serverCertificatePem: string | undefined;
  readonly peerSignatureType: string | undefined;
  /** `TLSv1.2`, `TLSv1.3`. */
  readonly protocol: string | undefined;
  readonly cipher: string | undefined;
  readonly verified: boolean;
}

export function parseSClient(output: string): SClientFacts {
  const pick = (re: RegExp) => re.exec(output)?.[1]?.trim();
  const ocspSection = /OCSP Response Data:([\s\S]*?)={6,}/.exec(output)?.[1] ?? '';
  return {
    ocspStatus: /OCSP Response Status: (\w+)/.exec(ocspSection)?.[1],
    certStatus: /Cert Status: (\w+)/.exec(ocspSection)?.[1],
    ocspSerial: /Serial Number: ([0-9A-F]+)/.exec(ocspSection)?.[1],
    noStaple: output.includes('OCSP response: no response sent'),
    serverCertificatePem: pick(
      /Server certificate\n(-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----)/,
    ),
    peerSignatureType: pick(/Peer signature type: (\S+)/),
    protocol: pick(/^New, (TLSv[\d.]+), Cipher is/m),
    cipher: pick(/^New, TLSv[\d.]+, Cipher is (\S+)/m),
    verified: /Verify return code: 0 \(ok\)/.test(output),
  };
}

/** The serial of a PEM certificate as `openssl x509 -serial` prints it (uppercase hex). */
export async function opensslSerial(pem: string): Promise<string> {
  const result = await run('openssl', ['x509', '-noout', '-serial'], { input: pem });
  const serial = /serial=([0-9A-F]+)/.exec(result.stdout)?.[1];
  if (result.code !== 0 || !serial) {
    throw new Error(`openssl x509 -serial failed: ${result.stderr}`);
  }
  return serial;
}

/** The serial in a stapled response's (first) SingleResponse. */
export function stapleSerial(der: Uint8Array): string {
  const decoded = decodeResponse(der);
  if (decoded.responseStatus !== 'successful') {
    throw new Error(`staple is ${decoded.responseStatus}`);
  }
  return decoded.basic.responses[0]!.certId.serialNumber;
}

export function stapleCertStatus(der: Uint8Array): string {
  const decoded = decodeResponse(der);
  if (decoded.responseStatus !== 'successful') return decoded.responseStatus;
  return decoded.basic.responses[0]!.certStatus;
}

export interface NodeHandshake {
  /** The stapled response; null when the client asked and nothing was stapled. */
  readonly ocsp: Buffer | null | undefined;
  /** The leaf the server sent (for a resumed session, the one the session holds). */
  readonly peer: tls.DetailedPeerCertificate;
  readonly protocol: string | null;
  readonly reused: boolean;
  /** The last session the server sent (TLS 1.3 tickets arrive after the handshake). */
  readonly session: Buffer | undefined;
  /** What the server wrote before closing. */
  readonly data: string;
}

/**
 * A Node TLS client: connects, reads until the server closes, and reports the staple, the peer
 * certificate and the session. With `end: true` (for servers that wait for the client, like
 * HTTPS) it ends its side as soon as the handshake is done. Rejects on a handshake error or
 * after `timeoutMs`.
 */
export function nodeHandshake(
  port: number,
  ca: string,
  { end = false, ...options }: tls.ConnectionOptions & { end?: boolean } = {},
  timeoutMs = 5_000,
): Promise<NodeHandshake> {
  return withTimeout(
    new Promise<NodeHandshake>((resolve, reject) => {
      const socket = tls.connect({
        host: HOST,
        port,
        servername: 'localhost',
        ca,
        requestOCSP: true,
        ...options,
      });
      let ocsp: Buffer | null | undefined;
      let session: Buffer | undefined;
      let peer: tls.DetailedPeerCertificate | undefined;
      let protocol: string | null = null;
      let reused = false;
      let data = '';
      socket.setEncoding('utf8');
      socket.on('OCSPResponse', (response: Buffer | null) => {
        ocsp = response;
      });
      socket.on('session', (s: Buffer) => {
        session = s;
      });
      socket.on('secureConnect', () => {
        peer = socket.getPeerCertificate(true);
        protocol = socket.getProtocol();
        reused = socket.isSessionReused();
        if (end) socket.end();
      });
      socket.on('data', (d: string) => {
        data += d;
      });
      socket.on('error', reject);
      socket.on('close', () => {
        if (!peer) {
          reject(new Error('closed before the handshake completed'));
          return;
        }
        resolve({ ocsp, peer, protocol, reused, session, data });
      });
    }),
    timeoutMs,
    'TLS client',
  );
}

/** A TLS server listener that writes a line and ends, so that `nodeHandshake` returns. */
/** The first bytes Node's TLS client sends (its ClientHello), caught by a plain TCP server. */
export async function captureHello(options: tls.ConnectionOptions & { requestOCSP?: boolean }) {
  const catcher = net.createServer();
  await new Promise<void>((resolve) => catcher.listen(0, '127.0.0.1', resolve));
  try {
    const caught = new Promise<Buffer>((resolve) =>
      catcher.once('connection', (socket) =>
        socket.once('data', (chunk: Buffer) => {
          resolve(chunk);
          socket.destroy();
        }),
      ),
    );
    const client = tls.connect({
      ...options,
      port: (catcher.address() as net.AddressInfo).port,
      host: '127.0.0.1',
      servername: 'localhost',
    });
    client.on('error', () => {});
    const hello = await caught;
    client.destroy();
    return hello;
  } finally {
    catcher.close();
  }
}

export function endWith(text: string) {
  return (socket: tls.TLSSocket) => {
    socket.on('error', () => {});
    socket.end(text);
  };
}

export function serialOfPeer(peer: tls.PeerCertificate): string {
  // Node prints the serial as uppercase hex; normalise like testkit's (no leading 00 sign byte).
  return peer.serialNumber.toUpperCase().replace(/^(00)+(?=[0-9A-F])/, '');
}

/** 'Timeout' entries in process.getActiveResourcesInfo(): timers that keep the process alive. */
export function activeTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** What the test HTTPS handlers answer with: the server's view of the connection. */
export interface StapleInfoLine {
  readonly keyType: string;
  readonly serial: string;
  readonly stapled: boolean;
  readonly serverName?: string | null;
}
