import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  type CertificateInfo,
  type CertStatus,
  type DecodedRequest,
  decodeRequest,
  parseCertificate,
} from '@staple/ocsp-codec';
import { type AnswerContext, buildAnswer, issuerMatcher, type ResponseSigner } from './answer.js';
import { checkFault, type ResponderFault, type ResponderFaultKind } from './faults.js';
import { cacheHeaders } from './http-cache.js';
import { createOtherIssuer } from './pki.js';
import { readBody, requestFromPath } from './request-reader.js';
import {
  type CertificateRef,
  type RevokeOptions,
  type StatusEntry,
  StatusList,
  serialOf,
} from './status-list.js';

export interface OcspResponderOptions {
  /** The CA the responses are about: its certificate (DER or PEM) and private key. */
  readonly issuer: ResponseSigner;
  /** A delegated responder certificate and key; default: the issuer signs. */
  readonly signer?: ResponseSigner;
  /** How the response names its signer (RFC 6960 §4.2.1). Default 'byKey', the shorter form. */
  readonly responderIdType?: 'byName' | 'byKey';
  /** nextUpdate minus thisUpdate. Default 3600. */
  readonly validitySeconds?: number;
  /** Added to the clock to make thisUpdate; negative backdates it, as many CAs do. Default 0. */
  readonly thisUpdateOffsetSeconds?: number;
  /** The clock. Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Where requests go: POST to it, GET below it. Default '/ocsp'. */
  readonly path?: string;
  /** Port on 127.0.0.1. Default 0 (any free port). */
  readonly port?: number;
  /** Copy the request's nonce into the response (RFC 8954). Default true. */
  readonly echoNonce?: boolean;
  /** Who signs under the `wrong-signer` fault; default: a fresh unrelated CA, made when needed. */
  readonly wrongSigner?: ResponseSigner;
}

/** One OCSP request as the responder saw it. */
export interface LoggedRequest {
  readonly method: 'GET' | 'POST';
  /** The request path, as sent. */
  readonly url: string;
  /** Serials asked about (uppercase hex); empty when the request did not decode. */
  readonly serials: readonly string[];
  readonly nonce?: Uint8Array;
  /** By the responder's clock. */
  readonly at: Date;
  /** The fault in force when the request arrived. */
  readonly fault?: ResponderFaultKind;
  /** The body or path did not hold a decodable OCSPRequest. */
  readonly malformed: boolean;
}

/** A running OCSP responder on 127.0.0.1. */
export interface OcspResponder {
  /** e.g. `http://127.0.0.1:41234/ocsp`: POST here, or GET `${url}/${base64}`. */
  readonly url: string;
  readonly port: number;
  /** Requests so far, oldest first. */
  readonly requests: readonly LoggedRequest[];
  readonly requestCount: number;
  readonly fault: ResponderFault | null;
  /** Mark a certificate revoked (by serial, DER/PEM, or a `TestCertificate`). */
  revoke(certificate: CertificateRef, options?: RevokeOptions): void;
  /** Forget what was set for this certificate: it is `good` again. */
  unrevoke(certificate: CertificateRef): void;
  setStatus(certificate: CertificateRef, status: CertStatus, options?: RevokeOptions): void;
  /** What the responder would say now about a certificate of its issuer. */
  statusOf(certificate: CertificateRef): StatusEntry;
  /** Misbehave from the next request on; `null` to behave again. */
  setFault(fault: ResponderFault | null): void;
  setEchoNonce(echo: boolean): void;
  resetLog(): void;
  /** Stops listening, drops every connection (hanging ones too) and pending timers. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts an OCSP responder (RFC 6960 over HTTP, GET and POST per RFC 5019) for one issuer.
 * Every certificate of that issuer is `good` until revoked; others are `unknown`.
 *
 * @example
 * const responder = await startOcspResponder({ issuer: pki.intermediate });
 * responder.revoke(pki.leaf('rsa'), { reason: 'keyCompromise' });
 * responder.setFault({ kind: 'status', status: 'tryLater' });
 * await responder.close();
 */
export async function startOcspResponder(options: OcspResponderOptions): Promise<OcspResponder> {
  const settings = checkOptions(options);
  const server = await listen(options.port ?? 0);
  return new Responder(server, settings, options);
}

/** @internal for `startTestOcsp`, which must know the URL before the issuer exists. */
export async function listen(port: number): Promise<Server> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`port must be 0..65535, got ${port}`);
  }
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: HOST }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** @internal */
export function responderUrl(server: Server, path: string): string {
  const { port } = server.address() as AddressInfo;
  return `http://${HOST}:${port}${normalizePath(path) || '/'}`;
}

/** @internal */
export function attachResponder(server: Server, options: OcspResponderOptions): OcspResponder {
  return new Responder(server, checkOptions(options), options);
}

interface Settings {
  readonly issuer: CertificateInfo;
  readonly path: string;
  readonly validitySeconds: number;
  readonly thisUpdateOffsetSeconds: number;
  readonly responderIdType: 'byName' | 'byKey';
}

function checkOptions(options: OcspResponderOptions): Settings {
  const issuer = parseCertificate(options.issuer.certificate);
  checkKey(options.issuer.privateKey, 'issuer');
  if (options.signer) {
    parseCertificate(options.signer.certificate);
    checkKey(options.signer.privateKey, 'signer');
  }
  const validitySeconds = options.validitySeconds ?? 3600;
  if (!Number.isFinite(validitySeconds) || validitySeconds <= 0) {
    throw new RangeError('validitySeconds must be positive');
  }
  const thisUpdateOffsetSeconds = options.thisUpdateOffsetSeconds ?? 0;
  if (!Number.isFinite(thisUpdateOffsetSeconds)) {
    throw new RangeError('thisUpdateOffsetSeconds must be a number');
  }
  const responderIdType = options.responderIdType ?? 'byKey';
  if (responderIdType !== 'byKey' && responderIdType !== 'byName') {
    throw new TypeError(`responderIdType must be byKey or byName`);
  }
  return {
    issuer,
    path: normalizePath(options.path ?? '/ocsp'),
    validitySeconds,
    thisUpdateOffsetSeconds,
    responderIdType,
  };
}

function checkKey(key: CryptoKey, what: string): void {
  if (!(key instanceof CryptoKey) || key.type !== 'private') {
    throw new TypeError(`${what}.privateKey must be a private CryptoKey`);
  }
}

/** '' for the root, else the path without a trailing slash. */
function normalizePath(path: string): string {
  if (!path.startsWith('/')) throw new TypeError(`path must start with '/': ${path}`);
  return path.replace(/\/+$/, '');
}

class Responder implements OcspResponder {
  readonly url: string;
  readonly port: number;
  readonly #server: Server;
  readonly #settings: Settings;
  readonly #options: OcspResponderOptions;
  readonly #clock: () => Date;
  readonly #statuses = new StatusList();
  readonly #issuerMatches: AnswerContext['issuerMatches'];
  readonly #sockets = new Set<Socket>();
  readonly #sleepers = new Map<NodeJS.Timeout, (finished: boolean) => void>();
  #log: LoggedRequest[] = [];
  #fault: ResponderFault | null = null;
  #echoNonce: boolean;
  #wrongSigner: Promise<ResponseSigner> | undefined;
  #closing: Promise<void> | undefined;

  constructor(server: Server, settings: Settings, options: OcspResponderOptions) {
    this.#server = server;
    this.#settings = settings;
    this.#options = options;
    this.#clock = options.now ?? (() => new Date());
    this.#echoNonce = options.echoNonce ?? true;
    this.#issuerMatches = issuerMatcher(settings.issuer);
    this.url = responderUrl(server, settings.path || '/');
    this.port = (server.address() as AddressInfo).port;

    server.on('connection', (socket: Socket) => {
      if (this.#closing) {
        socket.destroy();
        return;
      }
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
  }

  get requests(): readonly LoggedRequest[] {
    return this.#log;
  }

  get requestCount(): number {
    return this.#log.length;
  }

  get fault(): ResponderFault | null {
    return this.#fault;
  }

  revoke(certificate: CertificateRef, options: RevokeOptions = {}): void {
    this.#statuses.set(certificate, 'revoked', this.#clock(), options);
  }

  unrevoke(certificate: CertificateRef): void {
    this.#statuses.clear(certificate);
  }

  setStatus(certificate: CertificateRef, status: CertStatus, options: RevokeOptions = {}): void {
    this.#statuses.set(certificate, status, this.#clock(), options);
  }

  statusOf(certificate: CertificateRef): StatusEntry {
    return this.#statuses.get(serialOf(certificate));
  }

  setFault(fault: ResponderFault | null): void {
    this.#fault = fault === null ? null : checkFault(fault);
  }

  setEchoNonce(echo: boolean): void {
    this.#echoNonce = echo;
  }

  resetLog(): void {
    this.#log = [];
  }

  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      for (const [timer, wake] of this.#sleepers) {
        clearTimeout(timer);
        wake(false);
      }
      this.#sleepers.clear();
      this.#server.close(() => resolve());
      for (const socket of this.#sockets) socket.destroy();
    });
    return this.#closing;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const path = url.split('?')[0]!;
    const base = this.#settings.path;
    const isPost = path === base || path === `${base}/`;
    const isGet = path.startsWith(`${base}/`);
    if (!isPost && !isGet) return plain(res, 404, 'not found');
    if (req.method !== 'POST' && req.method !== 'GET') {
      return plain(res, 405, 'method not allowed', { allow: 'GET, POST' });
    }
    const method = req.method;

    let der: Uint8Array | undefined;
    if (method === 'POST') {
      if (!isPost) return plain(res, 404, 'not found');
      const read = await readBody(req);
      if (!read.ok) {
        // The rest of the body is not read; closing is the only way to be rid of it.
        return plain(res, 413, 'request too large', { connection: 'close' });
      }
      der = read.body;
    } else {
      der = requestFromPath(path.slice(base.length + 1));
    }

    // Taken once, so that a fault changed mid-request never mixes two behaviours.
    const fault = this.#fault;
    const request = decodeOrUndefined(der);
    this.#log.push(
      Object.freeze({
        method,
        url,
        serials: Object.freeze(request?.requests.map((r) => r.certId.serialNumber) ?? []),
        ...(request?.nonce ? { nonce: request.nonce } : {}),
        at: this.#clock(),
        ...(fault ? { fault: fault.kind } : {}),
        malformed: request === undefined,
      }),
    );

    switch (fault?.kind) {
      case 'hang':
        // Nothing is sent; the socket stays open until the client gives up or close().
        return;
      case 'http-error':
        return plain(res, fault.status ?? 500, 'responder failure');
      case 'slow':
        if (!(await this.#sleep(fault.delayMs)) || res.destroyed) return;
        break;
    }

    const now = this.#clock();
    const answer = await buildAnswer(request, {
      issuer: this.#settings.issuer,
      signer: this.#options.signer ?? this.#options.issuer,
      responderIdType: this.#settings.responderIdType,
      statuses: this.#statuses,
      now,
      validitySeconds: this.#settings.validitySeconds,
      thisUpdateOffsetSeconds: this.#settings.thisUpdateOffsetSeconds,
      echoNonce: this.#echoNonce,
      fault,
      wrongSigner: () => this.#getWrongSigner(),
      issuerMatches: this.#issuerMatches,
    });
    if (res.destroyed) return;
    res.writeHead(200, {
      'content-type': answer.contentType,
      'content-length': String(answer.body.length),
      // The injected clock, so that a client computing age from Date agrees with the body.
      date: now.toUTCString(),
      ...(answer.cacheWindow ? await cacheHeaders(answer.body, answer.cacheWindow, now) : {}),
    });
    res.end(answer.body);
  }

  #getWrongSigner(): Promise<ResponseSigner> {
    this.#wrongSigner ??= this.#options.wrongSigner
      ? Promise.resolve(this.#options.wrongSigner)
      : createOtherIssuer();
    return this.#wrongSigner;
  }

  /** Resolves true after `ms`, or false at once when the responder closes first. */
  #sleep(ms: number): Promise<boolean> {
    if (this.#closing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#sleepers.delete(timer);
        resolve(true);
      }, ms);
      this.#sleepers.set(timer, resolve);
    });
  }
}

function decodeOrUndefined(der: Uint8Array | undefined): DecodedRequest | undefined {
  if (!der) return undefined;
  try {
    return decodeRequest(der);
  } catch {
    return undefined;
  }
}

function plain(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}
