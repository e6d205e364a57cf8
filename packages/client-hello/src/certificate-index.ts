/**
 * @staple/client-hello — `CertificateIndex`: a server's certificates keyed by the names they
 * are valid for, so that finding the ones for a client's server_name is a map lookup however
 * many certificates the server holds.
 */

import {
  checkDescription,
  type KeySchemes,
  keySchemesOf,
  negotiatedVersion,
  unsupportedReason,
} from './capabilities.js';
import { lowerAscii, namePattern, parseIp, wildcardParent } from './host-names.js';
import { type CertificateCandidate, comparator, type SelectCertificateOptions } from './select.js';
import type { ClientHello } from './types.js';

export interface CertificateIndexOptions<T extends CertificateCandidate> {
  /**
   * The default host's candidates: served to a client that sends no server_name or one that no
   * candidate is valid for (nginx's `default_server`; the client then judges the certificate).
   * Default: none, and such clients get nothing.
   */
  readonly isDefault?: (candidate: T) => boolean;
}

/** The candidates valid for one server name, each list in the order the candidates were given. */
export interface CertificatesForName<T> {
  /**
   * Those with the name itself among their DNS names (ASCII case ignored), or, for an IP
   * literal, among their IP addresses.
   */
  readonly exact: readonly T[];
  /** Those with a wildcard covering it: `*.example.com` for `www.example.com`, one label only. */
  readonly wildcard: readonly T[];
}

export interface CertificateIndexSelectOptions<T extends CertificateCandidate>
  extends SelectCertificateOptions<T> {
  /** Candidates to leave out this time, as if not held (say, Must-Staple ones not stapled yet). */
  readonly usable?: (candidate: T) => boolean;
}

const NONE: readonly never[] = Object.freeze([]);
const always = () => true;
/** Options left out: one frozen object instead of a new `{}` per call. */
const NONE_GIVEN = Object.freeze({});

/**
 * Certificates by name, built once when a server's certificates are set; per connection,
 * `select` looks at the few certificates for the client's server name and no others.
 *
 * The names are keyed as `supportsCertificate` matches them (Go's rules): DNS names lower-cased
 * (ASCII only) without a trailing dot, `*.` wildcards by the name they cover the labels of, IP
 * addresses by their 16 bytes (`::ffff:127.0.0.1` is `127.0.0.1`).
 *
 * @example
 * const index = new CertificateIndex(candidates, { isDefault: (c) => c === candidates[0] });
 * const chosen = index.select(hello); // exact name, else wildcard, else the default host
 * if (chosen === undefined) socket.destroy();
 */
export class CertificateIndex<T extends CertificateCandidate> {
  /** Every candidate, in the order given. */
  readonly candidates: readonly T[];
  /** The default host's candidates, in the order given. */
  readonly defaults: readonly T[];
  readonly #exact = new Map<string, T[]>();
  readonly #wildcard = new Map<string, T[]>();
  readonly #ip = new Map<string, T[]>();
  /** Per candidate, the schemes its key can make in TLS 1.0 to 1.3 (index: minor version - 1). */
  readonly #keys = new Map<T, readonly KeySchemes[]>();

  constructor(candidates: readonly T[], options: CertificateIndexOptions<T> = {}) {
    this.candidates = Object.freeze([...candidates]);
    const isDefault = options.isDefault;
    this.defaults = Object.freeze(isDefault ? this.candidates.filter(isDefault) : []);
    for (const candidate of this.candidates) {
      // A description supportsCertificate would throw for fails here, not in a handshake.
      checkDescription(candidate.description);
      this.#keys.set(
        candidate,
        [0x0301, 0x0302, 0x0303, 0x0304].map((v) => keySchemesOf(candidate.description, v)),
      );
      const { dnsNames, ipAddresses = [] } = candidate.description;
      for (const dnsName of dnsNames) {
        const pattern = namePattern(dnsName);
        if (pattern === undefined) continue;
        add(pattern.wildcard ? this.#wildcard : this.#exact, pattern.name, candidate);
      }
      for (const address of ipAddresses) {
        const ip = parseIp(address);
        if (ip !== undefined) add(this.#ip, ip, candidate);
      }
    }
    for (const map of [this.#exact, this.#wildcard, this.#ip]) {
      for (const list of map.values()) Object.freeze(list);
    }
  }

  /**
   * The candidates valid for `serverName`, as `supportsCertificate` would find them one by one:
   * an IP literal (which RFC 6066 §3 forbids, but some clients send) is matched against IP
   * addresses only, anything else against DNS names.
   */
  forName(serverName: string): CertificatesForName<T> {
    const ip = parseIp(serverName);
    if (ip !== undefined) return { exact: this.#ip.get(ip) ?? NONE, wildcard: NONE };
    const host = lowerAscii(serverName);
    const parent = wildcardParent(host);
    return {
      exact: this.#exact.get(host) ?? NONE,
      wildcard: (parent !== undefined && this.#wildcard.get(parent)) || NONE,
    };
  }

  /** Whether some candidate (of those `usable` accepts) is valid for `serverName`. */
  covers(serverName: string, usable: (candidate: T) => boolean = always): boolean {
    const { exact, wildcard } = this.forName(serverName);
    return exact.some(usable) || wildcard.some(usable);
  }

  /**
   * The candidate to serve, as certmagic and Go's name map find it, then `selectCertificate`'s
   * choice by what the client supports (ECDSA before RSA by default):
   *
   * 1. No server_name: among the default host's candidates.
   * 2. Among the candidates with the exact name; if the client can take none of them, among
   *    those with a wildcard for it. An exact name wins over a wildcard whatever the key types.
   * 3. No usable candidate valid for the name at all: among the default host's, as for 1.
   *
   * Undefined when the client can take none of the candidates looked at (a candidate valid for
   * the name that the client cannot take does not send it to the default host).
   * `selectCertificate(hello, index.candidates)` says why each was refused.
   */
  select(
    hello: ClientHello,
    options: CertificateIndexSelectOptions<T> = NONE_GIVEN,
  ): T | undefined {
    const version = negotiatedVersion(hello, options.versions ?? NONE_GIVEN);
    if (version === undefined) return undefined;
    const compare = comparator(options.prefer);
    const usable = options.usable;
    if (hello.serverName !== undefined) {
      const { exact, wildcard } = this.forName(hello.serverName);
      const chosen =
        this.#best(hello, exact, version, compare, usable) ??
        this.#best(hello, wildcard, version, compare, usable);
      if (chosen !== undefined) return chosen;
      if (exact.some(usable ?? always) || wildcard.some(usable ?? always)) return undefined;
    }
    return this.#best(hello, this.defaults, version, compare, usable);
  }

  /** The most preferred candidate the client supports, ties to the first; names not checked. */
  #best(
    hello: ClientHello,
    candidates: readonly T[],
    version: number,
    compare: (a: T, b: T) => number,
    usable: ((candidate: T) => boolean) | undefined,
  ): T | undefined {
    let selected: T | undefined;
    for (const candidate of candidates) {
      if (usable !== undefined && !usable(candidate)) continue;
      const keys = this.#keys.get(candidate)?.[version - 0x0301];
      if (unsupportedReason(hello, candidate.description, version, false, keys) !== null) continue;
      if (selected === undefined || compare(candidate, selected) < 0) selected = candidate;
    }
    return selected;
  }
}

function add<T>(map: Map<string, T[]>, key: string, candidate: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [candidate]);
  // Twice the same name (`A.test` and `a.test`) in one certificate: listed once.
  else if (list[list.length - 1] !== candidate) list.push(candidate);
}
