/**
 * Host names and IP addresses as certificates and server_name carry them: the matching rules of
 * Go's `x509.Certificate.VerifyHostname`, in one place for `supportsCertificate` (one certificate
 * at a time) and `CertificateIndex` (every certificate, keyed once).
 */

import type { CertificateDescription } from './capabilities.js';

/** A certificate DNS name reduced to what a server name is compared with. */
export interface NamePattern {
  /** `*.example.com`: covers exactly one non-empty label in front of `name`. */
  readonly wildcard: boolean;
  /** Lower-case ASCII, without a trailing dot; for a wildcard, what follows `*.`. */
  readonly name: string;
}

/**
 * A certificate DNS name as a pattern; undefined for one that can match nothing (empty). Only a
 * whole `*` first label is a wildcard (RFC 6125 §6.4.3); anything else is compared literally.
 */
export function namePattern(dnsName: string): NamePattern | undefined {
  const lower = lowerAscii(dnsName);
  const p = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  if (p.length === 0) return undefined;
  return p.startsWith('*.') ? { wildcard: true, name: p.slice(2) } : { wildcard: false, name: p };
}

/** What a wildcard must name to cover `host` (lower-case already): all but its first label. */
export function wildcardParent(host: string): string | undefined {
  const dot = host.indexOf('.');
  return dot > 0 ? host.slice(dot + 1) : undefined;
}

/** Whether `serverName` matches a DNS name of the certificate (an IP literal: an IP address). */
export function validForName(certificate: CertificateDescription, serverName: string): boolean {
  const ip = parseIp(serverName);
  if (ip !== undefined) {
    return (certificate.ipAddresses ?? []).some((candidate) => parseIp(candidate) === ip);
  }
  const host = lowerAscii(serverName);
  return certificate.dnsNames.some((dnsName) => matchesHost(dnsName, host));
}

function matchesHost(dnsName: string, host: string): boolean {
  const pattern = namePattern(dnsName);
  if (pattern === undefined) return false;
  // A wildcard pattern also equals, literally, a host that is `*.` and the same name.
  if (pattern.wildcard) return wildcardParent(host) === pattern.name;
  return pattern.name === host;
}

/** ASCII letters lower-cased, nothing else (Go's toLowerCaseASCII): no locale, no Unicode. */
export function lowerAscii(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());
  }
  return text;
}

/** An IPv4 or IPv6 literal as its 16 bytes in hex (IPv4 as ::ffff:a.b.c.d), else undefined. */
export function parseIp(text: string): string | undefined {
  if (!text.includes(':')) {
    // Not IPv6, and an IPv4 literal ends with a digit: most host names are done here.
    const last = text.charCodeAt(text.length - 1);
    if (!(last >= 0x30 && last <= 0x39)) return undefined;
    const v4 = ipv4Bytes(text);
    return v4 === undefined ? undefined : hex([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const groups = part.split(':');
    for (const [i, group] of groups.entries()) {
      if (i === groups.length - 1 && group.includes('.')) {
        const tail = ipv4Bytes(group);
        if (tail === undefined) return undefined;
        out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(group)) {
        out.push(Number.parseInt(group, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return hex(all.flatMap((word) => [word >> 8, word & 0xff]));
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // Leading zeros are refused, as Go does: 010 is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes.push(value);
  }
  return bytes;
}

function hex(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}
