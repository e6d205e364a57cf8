/**
 * @staple/client-hello — `supportsCertificate`: can the client that sent this ClientHello take
 * this certificate? The rules of Go's `ClientHelloInfo.SupportsCertificate` (crypto/tls), applied
 * to a parsed hello and a plain description of the certificate, so that no certificate has to be
 * parsed during a handshake.
 */

import { isGrease } from './grease.js';
import { validForName } from './host-names.js';
import type { ClientHello } from './types.js';

/** What `supportsCertificate` needs to know about a certificate: its key and its names. */
export interface CertificateDescription {
  readonly keyType: CertificateKeyType;
  /** The curve of an ECDSA key (required when `keyType` is 'ecdsa'). */
  readonly curve?: EcdsaCurve;
  /** The modulus size of an RSA key in bits (default 2048). */
  readonly rsaBits?: number;
  /** DNS names from subjectAltName, wildcards (`*.example.com`) allowed in the first label. */
  readonly dnsNames: readonly string[];
  /** IP addresses from subjectAltName (`127.0.0.1`, `::1`); entries that are not IPs never match. */
  readonly ipAddresses?: readonly string[];
  /** The key is RSASSA-PSS only (id-RSASSA-PSS): it can make rsa_pss_pss_* signatures, nothing else. */
  readonly rsaPss?: boolean;
}

export type CertificateKeyType = 'rsa' | 'ecdsa' | 'ed25519';

export type EcdsaCurve = 'P-256' | 'P-384' | 'P-521';

/** Node's names for TLS versions, as in `tls.createSecureContext({ minVersion })`. */
export type TlsVersionName = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export interface SupportsCertificateOptions {
  /** The lowest version the server accepts: a wire code (0x0303) or a name (default 'TLSv1.2'). */
  readonly minVersion?: number | TlsVersionName;
  /** The highest version the server accepts (default 'TLSv1.3'). */
  readonly maxVersion?: number | TlsVersionName;
}

/**
 * Why a client cannot take a certificate. The strings are stable: match on them. Where Go has
 * the same rule the wording is Go's.
 */
export type UnsupportedCertificateReason =
  /** No TLS version both offered by the client and allowed by `minVersion`/`maxVersion`. */
  | 'no mutually supported protocol versions'
  /** The client sent server_name and the certificate has no matching DNS name (or IP address). */
  | 'certificate is not valid for requested server name'
  /** TLS 1.3 without signature_algorithms: the server must abort (RFC 8446 §4.2.3, §9.2). */
  | 'client did not send signature_algorithms, required in TLS 1.3'
  /** None of the client's signature schemes (or the RFC 5246 defaults) can be made with the key. */
  | "client doesn't support any of the certificate's signature algorithms"
  /** The RSA key is too small for every scheme the client offers with this version (Go's check). */
  | 'certificate RSA key size too small for supported signature algorithms'
  /** TLS 1.2 and below: ec_point_formats sent without uncompressed (RFC 8422 §5.1.2). */
  | "client doesn't support uncompressed EC points"
  /** TLS 1.2 and below: supported_groups sent without any elliptic curve usable for ECDHE. */
  | "client doesn't support ECDHE, can only use legacy RSA key exchange"
  /** TLS 1.2 and below: the ECDSA key's curve is not in the client's supported_groups. */
  | "client doesn't support certificate curve"
  /** TLS 1.2 and below: no cipher suite for this key type (and no static RSA fallback). */
  | "client doesn't support any cipher suites compatible with the certificate";

/** Every reason `supportsCertificate` can give, for documentation and exhaustive handling. */
export const UNSUPPORTED_CERTIFICATE_REASONS: readonly UnsupportedCertificateReason[] =
  Object.freeze([
    'no mutually supported protocol versions',
    'certificate is not valid for requested server name',
    'client did not send signature_algorithms, required in TLS 1.3',
    "client doesn't support any of the certificate's signature algorithms",
    'certificate RSA key size too small for supported signature algorithms',
    "client doesn't support uncompressed EC points",
    "client doesn't support ECDHE, can only use legacy RSA key exchange",
    "client doesn't support certificate curve",
    "client doesn't support any cipher suites compatible with the certificate",
  ]);

const TLS10 = 0x0301;
const TLS12 = 0x0303;
const TLS13 = 0x0304;

const VERSION_NAMES: Readonly<Record<TlsVersionName, number>> = {
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
  'TLSv1.3': 0x0304,
};

/**
 * Returns null when the client that sent `hello` can be served `certificate`, else the reason
 * it cannot (one of `UnsupportedCertificateReason`). The checks, in Go's order:
 *
 * 1. A protocol version both sides allow: supported_versions (RFC 8446 §4.2.1) without GREASE,
 *    or, without that extension, every version up to legacy_version; the highest mutual one is
 *    what the server negotiates, and the rest of the checks are for that version.
 * 2. When the client sent server_name, a DNS name of the certificate matches it (a wildcard
 *    covers exactly one label, case-insensitively), or an IP address does when the name is an
 *    IP literal (RFC 6066 §3 forbids those, but some clients send them).
 * 3. TLS 1.3: a scheme in signature_algorithms that the key can make — RSA: rsa_pss_rsae_*;
 *    RSA-PSS keys: rsa_pss_pss_*; ECDSA: only the scheme bound to the key's curve; Ed25519.
 *    Groups, point formats and cipher suites do not depend on the certificate in TLS 1.3.
 * 4. TLS 1.2: a scheme in signature_algorithms the key can make (any ecdsa_* for ECDSA; RSA
 *    PKCS#1 or PSS), or, without the extension, the RFC 5246 §7.4.1.4.1 defaults {sha1, rsa}
 *    and {sha1, ecdsa}. TLS 1.0/1.1 have fixed RSA and ECDSA signatures (no Ed25519, no PSS).
 *    Then ECDHE: uncompressed points allowed and an elliptic curve group offered (when those
 *    extensions are sent); an ECDSA key's curve in supported_groups; and a cipher suite of the
 *    key's kind: ECDHE_ECDSA for ECDSA and Ed25519 (RFC 8422 §2), ECDHE_RSA for RSA.
 * 5. An RSA key that fails step 4 is still usable with a static RSA (TLS_RSA_*) suite, which
 *    needs no signature at all (Go's "RSA fallback"); TLS 1.3 has no static RSA.
 *
 * DHE suites are not counted (neither Go nor Node's default server uses them), and, as in Go,
 * signature_algorithms_cert and certificate_authorities are not checked.
 *
 * @example
 * const reason = supportsCertificate(hello, {
 *   keyType: 'ecdsa',
 *   curve: 'P-256',
 *   dnsNames: ['example.com', '*.example.com'],
 * });
 * if (reason !== null) console.log(`not ECDSA: ${reason}`);
 */
export function supportsCertificate(
  hello: ClientHello,
  certificate: CertificateDescription,
  options: SupportsCertificateOptions = {},
): UnsupportedCertificateReason | null {
  checkDescription(certificate);
  return unsupportedReason(hello, certificate, negotiatedVersion(hello, options), true);
}

/**
 * `supportsCertificate` with the version already negotiated (undefined: none), and without the
 * name check when the caller has matched the name already (`CertificateIndex`). `keys`: what
 * `keySchemesOf(certificate, version)` returns, for a caller that keeps it per certificate.
 */
export function unsupportedReason(
  hello: ClientHello,
  certificate: CertificateDescription,
  version: number | undefined,
  checkName: boolean,
  keys?: KeySchemes,
): UnsupportedCertificateReason | null {
  if (version === undefined) return 'no mutually supported protocol versions';

  if (checkName && hello.serverName !== undefined && !validForName(certificate, hello.serverName)) {
    return 'certificate is not valid for requested server name';
  }
  const ours = keys ?? keySchemesOf(certificate, version);

  if (version === TLS13) {
    if (hello.signatureAlgorithms === undefined) {
      return 'client did not send signature_algorithms, required in TLS 1.3';
    }
    return signatureReason(ours, hello.signatureAlgorithms);
  }

  const signature = signatureReason(ours, peerSchemes(hello, version));
  if (signature !== null) return rsaFallback(hello, certificate, version, signature);

  // RFC 8422 §5.1.2: uncompressed is the only format left; a client that lists formats
  // without it cannot do ECDHE (nor verify an ECDSA key) with us.
  if (hello.ecPointFormats !== undefined && !hello.ecPointFormats.includes(0)) {
    return rsaFallback(
      hello,
      certificate,
      version,
      "client doesn't support uncompressed EC points",
    );
  }
  // RFC 8422 §4: without supported_groups the server may pick any curve.
  const groups = hello.supportedGroups;
  if (groups !== undefined && !offersEcdheGroup(groups)) {
    return rsaFallback(
      hello,
      certificate,
      version,
      "client doesn't support ECDHE, can only use legacy RSA key exchange",
    );
  }
  if (certificate.keyType === 'ecdsa' && groups !== undefined) {
    // Before TLS 1.3 the curve of the certificate's key must be one the client supports
    // (RFC 8422 §5.1.1); the signature scheme does not name it.
    if (!groups.includes(CURVE_GROUP[certificate.curve!])) {
      return "client doesn't support certificate curve";
    }
  }
  const kind = certificate.keyType === 'rsa' ? 'ecdhe_rsa' : 'ecdhe_ecdsa';
  if (!hasSuite(hello.cipherSuites, kind, version)) {
    return rsaFallback(
      hello,
      certificate,
      version,
      "client doesn't support any cipher suites compatible with the certificate",
    );
  }
  return null;
}

/**
 * The static RSA key exchange decrypts with the key instead of signing with it, so it is
 * checked apart from everything about signatures, as a fallback (Go's supportsRSAFallback).
 */
function rsaFallback(
  hello: ClientHello,
  certificate: CertificateDescription,
  version: number,
  reason: UnsupportedCertificateReason,
): UnsupportedCertificateReason | null {
  return certificate.keyType === 'rsa' &&
    certificate.rsaPss !== true &&
    hasSuite(hello.cipherSuites, 'rsa', version)
    ? null
    : reason;
}

function offersEcdheGroup(groups: readonly number[]): boolean {
  for (let i = 0; i < groups.length; i++) if (ECDHE_GROUPS.has(groups[i]!)) return true;
  return false;
}

export function checkDescription(certificate: CertificateDescription): void {
  const { keyType, curve } = certificate;
  if (keyType === 'ecdsa') {
    if (curve === undefined || !Object.hasOwn(CURVE_GROUP, curve)) {
      throw new TypeError(
        `an ECDSA certificate needs a curve (P-256, P-384 or P-521), not ${curve}`,
      );
    }
  } else if (keyType !== 'rsa' && keyType !== 'ed25519') {
    throw new TypeError(`unknown certificate key type ${String(keyType)}`);
  }
}

// --- Versions ---------------------------------------------------------------------------------

function versionCode(value: number | TlsVersionName): number {
  const code = typeof value === 'string' ? VERSION_NAMES[value] : value;
  if (code === undefined || !(code >= TLS10 && code <= TLS13)) {
    throw new TypeError(`unsupported TLS version ${String(value)}`);
  }
  return code;
}

/** The version the server would negotiate: the highest both sides allow. */
export function negotiatedVersion(
  hello: ClientHello,
  options: SupportsCertificateOptions,
): number | undefined {
  const min = versionCode(options.minVersion ?? TLS12);
  const max = versionCode(options.maxVersion ?? TLS13);
  let best: number | undefined;
  const versions = hello.supportedVersions;
  if (versions !== undefined) {
    // RFC 8446 §4.2.1: when present, the server must use only this list.
    for (let i = 0; i < versions.length; i++) {
      const v = versions[i]!;
      if (v >= min && v <= max && !isGrease(v) && (best === undefined || v > best)) best = v;
    }
  } else {
    // RFC 5246 Appendix E.1: legacy_version is the highest version the client supports.
    const highest = Math.min(hello.legacyVersion, TLS12, max);
    if (highest >= min && highest >= TLS10) best = highest;
  }
  return best;
}

// --- Signature schemes (RFC 8446 §4.2.3, IANA TLS SignatureScheme) ---------------------------

const RSA_PKCS1_SHA1 = 0x0201;
const ECDSA_SHA1 = 0x0203;

/** RSA schemes with the smallest modulus (bytes) each can use, as in Go's rsaSignatureSchemes. */
const RSA_PSS_RSAE = [
  [0x0804, 32 * 2 + 2],
  [0x0805, 48 * 2 + 2],
  [0x0806, 64 * 2 + 2],
] as const;
const RSA_PSS_PSS = [
  [0x0809, 32 * 2 + 2],
  [0x080a, 48 * 2 + 2],
  [0x080b, 64 * 2 + 2],
] as const;
const RSA_PKCS1 = [
  [0x0401, 19 + 32 + 11],
  [0x0501, 19 + 48 + 11],
  [0x0601, 19 + 64 + 11],
  [0x0301, 19 + 28 + 11], // rsa_pkcs1_sha224: OpenSSL still offers and accepts it in TLS 1.2
  [RSA_PKCS1_SHA1, 15 + 20 + 11],
] as const;

/** TLS 1.2 and below: ECDSA schemes do not name a curve (RFC 8422 §5.1.3). */
const ECDSA_ANY_CURVE = [0x0403, 0x0503, 0x0603, 0x0303, ECDSA_SHA1];

/** TLS 1.3: each ECDSA scheme is bound to one curve (RFC 8446 §4.2.3). */
const ECDSA_TLS13: Readonly<Record<EcdsaCurve, number>> = {
  'P-256': 0x0403,
  'P-384': 0x0503,
  'P-521': 0x0603,
};

const ED25519 = 0x0807;

/** The schemes the client accepts in `version`; before 1.3 possibly the RFC 5246 defaults. */
function peerSchemes(hello: ClientHello, version: number): readonly number[] {
  // RFC 5246 §7.4.1.4.1: a TLS 1.2 client without signature_algorithms takes {sha1, rsa} and
  // {sha1, ecdsa}. TLS 1.0 and 1.1 have fixed signatures (MD5+SHA-1 RSA, SHA-1 ECDSA), which
  // PKCS#1 SHA-1 and ECDSA SHA-1 stand for here; servers ignore the extension there.
  if (version === TLS12 && hello.signatureAlgorithms !== undefined) {
    return hello.signatureAlgorithms;
  }
  return RFC5246_DEFAULT_SCHEMES;
}

const RFC5246_DEFAULT_SCHEMES: readonly number[] = Object.freeze([RSA_PKCS1_SHA1, ECDSA_SHA1]);

/** The signature schemes a certificate's key can make in one TLS version. */
export interface KeySchemes {
  readonly schemes: readonly number[];
  /** The RSA modulus alone ruled out every scheme the version has for the key. */
  readonly tooSmall: boolean;
}

/** The schemes a key can make in `version`, and whether the RSA size alone ruled any out. */
export function keySchemesOf(certificate: CertificateDescription, version: number): KeySchemes {
  switch (certificate.keyType) {
    case 'ecdsa':
      return {
        schemes: version === TLS13 ? [ECDSA_TLS13[certificate.curve!]] : ECDSA_ANY_CURVE,
        tooSmall: false,
      };
    case 'ed25519':
      // RFC 8422 §3.1: Ed25519 needs signature_algorithms, so TLS 1.2 or later.
      return { schemes: version >= TLS12 ? [ED25519] : [], tooSmall: false };
    case 'rsa': {
      const candidates: (readonly [number, number])[] = [];
      if (certificate.rsaPss === true) {
        // A PSS-only key can make rsa_pss_pss_* and nothing else (RFC 8446 §4.2.3).
        if (version >= TLS12) candidates.push(...RSA_PSS_PSS);
      } else {
        if (version >= TLS12) candidates.push(...RSA_PSS_RSAE);
        // TLS 1.3 dropped PKCS#1 v1.5 for handshake signatures.
        if (version <= TLS12) candidates.push(...RSA_PKCS1);
      }
      const modulusBytes = Math.ceil((certificate.rsaBits ?? 2048) / 8);
      const schemes = candidates
        .filter(([, minBytes]) => modulusBytes >= minBytes)
        .map(([scheme]) => scheme);
      return { schemes, tooSmall: schemes.length === 0 && candidates.length > 0 };
    }
  }
}

function signatureReason(
  keys: KeySchemes,
  offered: readonly number[],
): UnsupportedCertificateReason | null {
  if (keys.tooSmall) return 'certificate RSA key size too small for supported signature algorithms';
  // GREASE values are never in `schemes`, so they can never match.
  const schemes = keys.schemes;
  for (let i = 0; i < offered.length; i++) if (schemes.includes(offered[i]!)) return null;
  return "client doesn't support any of the certificate's signature algorithms";
}

// --- Groups -------------------------------------------------------------------------------------

/** Named curves for ECDHE in TLS 1.2 (RFC 8422 §5.1.1, RFC 7748): secp256r1/384r1/521r1, x25519, x448. */
const ECDHE_GROUPS: ReadonlySet<number> = new Set([23, 24, 25, 29, 30]);

const CURVE_GROUP: Readonly<Record<EcdsaCurve, number>> = {
  'P-256': 23,
  'P-384': 24,
  'P-521': 25,
};

// --- Cipher suites (IANA TLS Cipher Suites) -----------------------------------------------------

/** The key exchange of a suite: which key the server's certificate must hold, if any. */
type KeyExchange = 'rsa' | 'ecdhe_rsa' | 'ecdhe_ecdsa';

/**
 * TLS 1.2-and-earlier suites that bind a key type: [code, key exchange, TLS 1.2 only (AEAD or
 * a SHA-256/384 PRF, Go's suiteTLS12)]. TLS 1.3 suites (0x1301–0x1305) bind none, and DHE, PSK,
 * SRP and anonymous suites are not ours to serve.
 */
const SUITE_TABLE: readonly (readonly [number, KeyExchange, boolean])[] = [
  // Static RSA (TLS_RSA_WITH_*)
  [0x0004, 'rsa', false], // RC4_128_MD5
  [0x0005, 'rsa', false], // RC4_128_SHA
  [0x000a, 'rsa', false], // 3DES_EDE_CBC_SHA
  [0x002f, 'rsa', false], // AES_128_CBC_SHA
  [0x0035, 'rsa', false], // AES_256_CBC_SHA
  [0x0041, 'rsa', false], // CAMELLIA_128_CBC_SHA
  [0x0084, 'rsa', false], // CAMELLIA_256_CBC_SHA
  [0x003c, 'rsa', true], // AES_128_CBC_SHA256
  [0x003d, 'rsa', true], // AES_256_CBC_SHA256
  [0x009c, 'rsa', true], // AES_128_GCM_SHA256
  [0x009d, 'rsa', true], // AES_256_GCM_SHA384
  [0x00ba, 'rsa', true], // CAMELLIA_128_CBC_SHA256
  [0x00c0, 'rsa', true], // CAMELLIA_256_CBC_SHA256
  [0xc09c, 'rsa', true], // AES_128_CCM
  [0xc09d, 'rsa', true], // AES_256_CCM
  [0xc0a0, 'rsa', true], // AES_128_CCM_8
  [0xc0a1, 'rsa', true], // AES_256_CCM_8
  [0xc050, 'rsa', true], // ARIA_128_GCM_SHA256
  [0xc051, 'rsa', true], // ARIA_256_GCM_SHA384
  // TLS_ECDHE_ECDSA_WITH_*
  [0xc007, 'ecdhe_ecdsa', false], // RC4_128_SHA
  [0xc008, 'ecdhe_ecdsa', false], // 3DES_EDE_CBC_SHA
  [0xc009, 'ecdhe_ecdsa', false], // AES_128_CBC_SHA
  [0xc00a, 'ecdhe_ecdsa', false], // AES_256_CBC_SHA
  [0xc023, 'ecdhe_ecdsa', true], // AES_128_CBC_SHA256
  [0xc024, 'ecdhe_ecdsa', true], // AES_256_CBC_SHA384
  [0xc02b, 'ecdhe_ecdsa', true], // AES_128_GCM_SHA256
  [0xc02c, 'ecdhe_ecdsa', true], // AES_256_GCM_SHA384
  [0xcca9, 'ecdhe_ecdsa', true], // CHACHA20_POLY1305_SHA256
  [0xc0ac, 'ecdhe_ecdsa', true], // AES_128_CCM
  [0xc0ad, 'ecdhe_ecdsa', true], // AES_256_CCM
  [0xc0ae, 'ecdhe_ecdsa', true], // AES_128_CCM_8
  [0xc0af, 'ecdhe_ecdsa', true], // AES_256_CCM_8
  [0xc072, 'ecdhe_ecdsa', true], // CAMELLIA_128_CBC_SHA256
  [0xc073, 'ecdhe_ecdsa', true], // CAMELLIA_256_CBC_SHA384
  [0xc086, 'ecdhe_ecdsa', true], // CAMELLIA_128_GCM_SHA256
  [0xc087, 'ecdhe_ecdsa', true], // CAMELLIA_256_GCM_SHA384
  [0xc05c, 'ecdhe_ecdsa', true], // ARIA_128_GCM_SHA256
  [0xc05d, 'ecdhe_ecdsa', true], // ARIA_256_GCM_SHA384
  // TLS_ECDHE_RSA_WITH_*
  [0xc011, 'ecdhe_rsa', false], // RC4_128_SHA
  [0xc012, 'ecdhe_rsa', false], // 3DES_EDE_CBC_SHA
  [0xc013, 'ecdhe_rsa', false], // AES_128_CBC_SHA
  [0xc014, 'ecdhe_rsa', false], // AES_256_CBC_SHA
  [0xc027, 'ecdhe_rsa', true], // AES_128_CBC_SHA256
  [0xc028, 'ecdhe_rsa', true], // AES_256_CBC_SHA384
  [0xc02f, 'ecdhe_rsa', true], // AES_128_GCM_SHA256
  [0xc030, 'ecdhe_rsa', true], // AES_256_GCM_SHA384
  [0xcca8, 'ecdhe_rsa', true], // CHACHA20_POLY1305_SHA256
  [0xc076, 'ecdhe_rsa', true], // CAMELLIA_128_CBC_SHA256
  [0xc077, 'ecdhe_rsa', true], // CAMELLIA_256_CBC_SHA384
  [0xc08a, 'ecdhe_rsa', true], // CAMELLIA_128_GCM_SHA256
  [0xc08b, 'ecdhe_rsa', true], // CAMELLIA_256_GCM_SHA384
  [0xc060, 'ecdhe_rsa', true], // ARIA_128_GCM_SHA256
  [0xc061, 'ecdhe_rsa', true], // ARIA_256_GCM_SHA384
];

const SUITES: ReadonlyMap<number, { readonly kx: KeyExchange; readonly tls12: boolean }> = new Map(
  SUITE_TABLE.map(([code, kx, tls12]) => [code, { kx, tls12 }]),
);

/** Whether the client offers a suite with key exchange `kind` usable in `version`. */
function hasSuite(suites: readonly number[], kind: KeyExchange, version: number): boolean {
  for (const code of suites) {
    const suite = SUITES.get(code);
    if (suite !== undefined && suite.kx === kind && (version >= TLS12 || !suite.tls12)) return true;
  }
  return false;
}
