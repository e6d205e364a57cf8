/**
 * What a request's connection got and offered: the certificate served, its staple, the client's
 * ClientHello, its fingerprints and what TLS settled on. Built from @staple/server's
 * `getStapleInfo`; what cannot change on a connection is built once per connection, since
 * keep-alive requests share it.
 */
import type { IncomingMessage } from 'node:http';
import type * as net from 'node:net';
import type * as tls from 'node:tls';
import {
  type ClientHello,
  cipherSuiteName,
  groupName,
  isGrease,
  ja3,
  ja4,
  signatureSchemeName,
  versionName,
} from '@staple/client-hello';
import { getStapleInfo, type StapleInfo } from '@staple/server';
import {
  type CertificateFacts,
  describeCertificate,
  describeStaple,
  type StapleFacts,
} from './describe.js';

/** What the client offered in its ClientHello. GREASE values (RFC 8701) are left out. */
export interface ClientFacts {
  /** server_name (SNI), or null when the client sent none. */
  readonly sni: string | null;
  /** supported_versions, else legacy_version, as `'TLS 1.3'`, `'TLS 1.2'`, in the client's order. */
  readonly versions: readonly string[];
  /** IANA names (`'TLS_AES_128_GCM_SHA256'`); unknown codes as hex (`'0x1234'`). */
  readonly cipherSuites: readonly string[];
  /** supported_groups: `'x25519'`, `'secp256r1'`, ... */
  readonly groups: readonly string[];
  /** signature_algorithms: `'ecdsa_secp256r1_sha256'`, `'rsa_pss_rsae_sha256'`, ... */
  readonly signatureSchemes: readonly string[];
  /** ALPN protocols offered (`'h2'`, `'http/1.1'`). */
  readonly alpn: readonly string[];
  /** The client asked for a stapled OCSP response (status_request, RFC 6066 §8). */
  readonly statusRequest: boolean;
}

export interface FingerprintFacts {
  /** The JA3 string (salesforce/ja3). */
  readonly ja3: string;
  /** MD5 of `ja3`, 32 lowercase hex: the JA3 fingerprint. */
  readonly ja3Hash: string;
  /** FoxIO JA4, e.g. `'t13d1516h2_8daaf6152771_e5627efa2ab1'`. */
  readonly ja4: string;
}

/** What the handshake settled on. */
export interface NegotiatedFacts {
  /** `'TLSv1.3'`, `'TLSv1.2'` (Node's names). */
  readonly protocol: string | null;
  /** IANA name of the cipher suite, comparable with `client.cipherSuites`. */
  readonly cipher: string | null;
  /** The ALPN protocol chosen, or null when none was. */
  readonly alpnProtocol: string | null;
  /** The session was resumed (no certificate, hence no staple, was sent in this handshake). */
  readonly resumed: boolean;
}

/** The staple: the stapler's state for the served certificate now, and this handshake's. */
export interface TlsStapleFacts extends StapleFacts {
  /**
   * A staple went out in this connection's handshake: the client asked, one was ready, and the
   * session was not resumed (a resumed handshake sends no certificate and no staple).
   */
  readonly stapled: boolean;
}

/**
 * The TLS facts of a request. Plain JSON-able data: times are ISO 8601 strings, unknowns `null`.
 * `staple` is read from the stapler when first used in a request; `fingerprint` is computed
 * when first used on a connection.
 */
export interface TlsFacts {
  readonly certificate: CertificateFacts;
  readonly staple: TlsStapleFacts;
  /** null when the server does not read the hello (@staple/server's `clientHello: false`). */
  readonly client: ClientFacts | null;
  /** null when the server does not read the hello. */
  readonly fingerprint: FingerprintFacts | null;
  readonly negotiated: NegotiatedFacts;
}

/** The parts that cannot change while a connection lasts. */
interface ConnectionFacts {
  readonly info: StapleInfo;
  readonly certificate: CertificateFacts;
  readonly client: ClientFacts | null;
  readonly negotiated: NegotiatedFacts;
  fingerprint: FingerprintFacts | null | undefined;
}

const connections = new WeakMap<net.Socket, ConnectionFacts>();
const requests = new WeakMap<IncomingMessage, TlsFacts>();

/**
 * The TLS facts of a request served by @staple/server (or this package's createServer/listen);
 * undefined for a request that came another way. The same object for every call in a request,
 * and the same as `req.tls` when the `tlsFacts()` middleware ran.
 *
 * @example
 * app.get('/', (req, res) => {
 *   const tls = getTlsFacts(req);
 *   res.send(`${tls?.certificate.keyType} certificate, staple ${tls?.staple.status}`);
 * });
 */
export function getTlsFacts(req: IncomingMessage): TlsFacts | undefined {
  const known = requests.get(req);
  if (known) return known;
  const connection = connectionFacts(req.socket);
  if (!connection) return undefined;
  const facts = {} as TlsFacts;
  // Lazy, yet own enumerable properties: JSON.stringify and spreading see them like the rest.
  Object.defineProperties(facts, {
    certificate: { value: connection.certificate, enumerable: true },
    staple: lazy(facts, 'staple', () =>
      Object.freeze({
        // @staple/server already says false for a resumed session (no Certificate, no staple).
        stapled: connection.info.stapled,
        ...describeStaple(connection.info.staple),
      }),
    ),
    client: { value: connection.client, enumerable: true },
    fingerprint: lazy(facts, 'fingerprint', () => {
      const hello = connection.info.hello;
      connection.fingerprint ??= hello ? fingerprintOf(hello) : null;
      return connection.fingerprint;
    }),
    negotiated: { value: connection.negotiated, enumerable: true },
  });
  requests.set(req, facts);
  return facts;
}

function connectionFacts(socket: net.Socket): ConnectionFacts | undefined {
  const known = connections.get(socket);
  if (known) return known;
  const info = getStapleInfo(socket);
  if (!info) return undefined;
  const facts: ConnectionFacts = {
    info,
    certificate: describeCertificate(info.certificate, info.keyType),
    client: info.hello ? clientFacts(info.hello) : null,
    negotiated: negotiatedFacts(socket),
    fingerprint: undefined,
  };
  connections.set(socket, facts);
  return facts;
}

function clientFacts(hello: ClientHello): ClientFacts {
  const versions = hello.supportedVersions ?? [hello.legacyVersion];
  return Object.freeze({
    sni: hello.serverName ?? null,
    versions: names(versions, versionName),
    cipherSuites: names(hello.cipherSuites, cipherSuiteName),
    groups: names(hello.supportedGroups ?? [], groupName),
    signatureSchemes: names(hello.signatureAlgorithms ?? [], signatureSchemeName),
    alpn: Object.freeze([...(hello.alpn ?? [])]),
    statusRequest: hello.statusRequest !== undefined,
  });
}

function names(codes: readonly number[], name: (code: number) => string): readonly string[] {
  const out: string[] = [];
  for (const code of codes) if (!isGrease(code)) out.push(name(code));
  return Object.freeze(out);
}

function negotiatedFacts(socket: net.Socket): NegotiatedFacts {
  // A request arrives after the handshake, so what it settled on is known by now. Kept for the
  // connection: only a TLS 1.2 renegotiation could change it, which clients all but never do.
  const secure = socket as Partial<tls.TLSSocket>;
  const alpn = secure.alpnProtocol;
  return Object.freeze({
    protocol: secure.getProtocol?.() ?? null,
    cipher: secure.getCipher?.()?.standardName ?? null,
    alpnProtocol: typeof alpn === 'string' ? alpn : null,
    resumed: secure.isSessionReused?.() ?? false,
  });
}

function fingerprintOf(hello: ClientHello): FingerprintFacts {
  const j3 = ja3(hello);
  return Object.freeze({ ja3: j3.string, ja3Hash: j3.hash, ja4: ja4(hello).fingerprint });
}

/** A getter that computes once, then stays as a plain value property. */
function lazy<T extends object, K extends keyof T>(
  target: T,
  key: K,
  compute: () => T[K],
): PropertyDescriptor {
  return {
    enumerable: true,
    configurable: true,
    get() {
      const value = compute();
      Object.defineProperty(target, key, { value, enumerable: true });
      return value;
    },
  };
}
