/**
 * TLS client fingerprints of a parsed ClientHello: JA3 (salesforce/ja3) and JA4 (FoxIO-LLC/ja4,
 * technical_details/JA4.md). Both ignore GREASE values (RFC 8701) wherever they appear, so a
 * client that randomizes its GREASE values keeps one fingerprint.
 */

import { isGrease } from './grease.js';
import { md5Hex } from './md5.js';
import { EXTENSION } from './parse.js';
import { sha256Hex } from './sha256.js';
import type { ClientHello } from './types.js';

export interface Ja3 {
  /** `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`, in decimal. */
  readonly string: string;
  /** MD5 of `string`, 32 lowercase hex characters: the JA3 fingerprint. */
  readonly hash: string;
}

/**
 * The JA3 fingerprint: legacy_version, then the cipher suites, extension types, supported
 * groups and EC point formats in the client's order, GREASE removed; lists joined by '-', fields
 * by ','. An absent list is an empty field.
 *
 * @example
 * ja3(parseClientHello(bytes));
 * // { string: '769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0',
 * //   hash: 'ada70206e40642a3e4461f35503241d5' }
 */
export function ja3(hello: ClientHello): Ja3 {
  const types: number[] = [];
  for (const extension of hello.extensions) types.push(extension.type);
  const string = [
    hello.legacyVersion,
    decimals(hello.cipherSuites),
    decimals(types),
    decimals(hello.supportedGroups ?? []),
    // Point formats are single bytes, which no GREASE value can be.
    (hello.ecPointFormats ?? []).join('-'),
  ].join(',');
  return { string, hash: md5Hex(ASCII.encode(string)) };
}

export interface Ja4Options {
  /**
   * How the hello travelled: 't' (TLS over TCP) or 'q' (QUIC) in the fingerprint. By default,
   * QUIC when the hello carries quic_transport_parameters (RFC 9001 §8.2), as FoxIO's tool does.
   */
  readonly transport?: 'tcp' | 'quic';
}

export interface Ja4 {
  /** JA4, e.g. 't13d1516h2_8daaf6152771_e5627efa2ab1'. */
  readonly fingerprint: string;
  /** JA4_r: the same with the sorted lists in the clear instead of hashed. */
  readonly raw: string;
  /** JA4_o: lists in the client's order, SNI and ALPN kept, then hashed. */
  readonly original: string;
  /** JA4_ro: JA4_o with the lists in the clear. */
  readonly rawOriginal: string;
}

/**
 * The JA4 TLS client fingerprint, `a_b_c`:
 * - a: 't' or 'q', the version (highest in supported_versions, else legacy_version: '13', '12',
 *   ... 's3', '00' if unknown), 'd' with SNI or 'i' without, the counts of cipher suites and of
 *   extensions (2 digits, at most 99), and the first and last characters of the first ALPN
 *   value ('00' without one);
 * - b: the first 12 hex of SHA-256 over the cipher suites, 4-hex each, sorted, joined by ',';
 * - c: the same over the extension types, sorted, without SNI and ALPN (already in a), then '_'
 *   and the signature algorithms in the client's order (no '_' when there are none).
 *
 * GREASE values are left out everywhere; an empty list hashes to '000000000000'.
 *
 * @example
 * ja4(parseClientHello(bytes)).fingerprint; // 't13d1516h2_8daaf6152771_e5627efa2ab1'
 */
export function ja4(hello: ClientHello, options: Ja4Options = {}): Ja4 {
  const ciphers: string[] = [];
  for (const suite of hello.cipherSuites) if (!isGrease(suite)) ciphers.push(hex4(suite));
  const types: number[] = [];
  for (const extension of hello.extensions) {
    if (!isGrease(extension.type)) types.push(extension.type);
  }
  const signatures: string[] = [];
  for (const scheme of hello.signatureAlgorithms ?? []) {
    if (!isGrease(scheme)) signatures.push(hex4(scheme));
  }

  const quic = options.transport
    ? options.transport === 'quic'
    : types.includes(EXTENSION_QUIC_TRANSPORT_PARAMETERS);
  const a =
    (quic ? 'q' : 't') +
    version(hello) +
    (types.includes(EXTENSION.serverName) ? 'd' : 'i') +
    count(ciphers.length) +
    count(types.length) +
    alpnCharacters(hello);
  const tail = signatures.length > 0 ? `_${signatures.join(',')}` : '';

  // Sorting 4-digit lowercase hex strings sorts them by value.
  const sortedCiphers = [...ciphers].sort().join(',');
  const sortedTypes = types
    .filter((type) => type !== EXTENSION.serverName && type !== EXTENSION.alpn)
    .map(hex4)
    .sort()
    .join(',');
  const originalCiphers = ciphers.join(',');
  const originalTypes = types.map(hex4).join(',');

  return {
    fingerprint: `${a}_${hash12(sortedCiphers)}_${hash12(sortedTypes, tail)}`,
    raw: `${a}_${sortedCiphers}_${sortedTypes}${tail}`,
    original: `${a}_${hash12(originalCiphers)}_${hash12(originalTypes, tail)}`,
    rawOriginal: `${a}_${originalCiphers}_${originalTypes}${tail}`,
  };
}

const ASCII = new TextEncoder();
const EXTENSION_QUIC_TRANSPORT_PARAMETERS = 0x0039;

// JA4.md "TLS and DTLS Version"; anything else is '00'.
const VERSIONS: ReadonlyMap<number, string> = new Map([
  [0x0304, '13'],
  [0x0303, '12'],
  [0x0302, '11'],
  [0x0301, '10'],
  [0x0300, 's3'],
  [0x0002, 's2'],
  [0xfeff, 'd1'],
  [0xfefd, 'd2'],
  [0xfefc, 'd3'],
]);

function version(hello: ClientHello): string {
  let highest = -1;
  for (const v of hello.supportedVersions ?? []) if (!isGrease(v) && v > highest) highest = v;
  return VERSIONS.get(highest >= 0 ? highest : hello.legacyVersion) ?? '00';
}

/**
 * JA4.md "ALPN Extension Value", read from the extension's bytes since protocol ids are opaque
 * (RFC 7301 §3.1): the first and last characters of the first protocol when both are ASCII
 * letters or digits, else the first and last hex digits of its bytes. A single character is
 * both first and last.
 */
function alpnCharacters(hello: ClientHello): string {
  const extension = hello.extensions.find((e) => e.type === EXTENSION.alpn);
  // Layout: 2-byte list length, then each protocol as a 1-byte length and its bytes.
  const data = extension?.data;
  const length = data?.[2];
  if (data === undefined || length === undefined || length === 0 || data.length < 3 + length) {
    return '00';
  }
  const first = data[3]!;
  const last = data[2 + length]!;
  if (isAlphanumeric(first) && isAlphanumeric(last)) return String.fromCharCode(first, last);
  return (first >> 4).toString(16) + (last & 0x0f).toString(16);
}

function isAlphanumeric(byte: number): boolean {
  return (
    (byte >= 0x30 && byte <= 0x39) ||
    (byte >= 0x41 && byte <= 0x5a) ||
    (byte >= 0x61 && byte <= 0x7a)
  );
}

/**
 * First 12 hex characters of SHA-256 of the list and its tail, or twelve zeros when the list is
 * empty: JA4.md prefers a visible "no values" to the hash of nothing.
 */
function hash12(list: string, tail = ''): string {
  if (list === '') return '000000000000';
  return sha256Hex(ASCII.encode(list + tail)).slice(0, 12);
}

function count(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

function decimals(codes: readonly number[]): string {
  return codes.filter((code) => !isGrease(code)).join('-');
}
