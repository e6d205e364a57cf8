/** What `hello` reports about a ClientHello: every offer with its IANA name, and fingerprints. */
import {
  type ClientHello,
  cipherSuiteName,
  extensionName,
  groupName,
  isGrease,
  type Ja3,
  type Ja4,
  ja3,
  ja4,
  signatureSchemeName,
  versionName,
} from '@staple/client-hello';
import type { Capture, CaptureEncoding, CaptureFraming } from './capture-input.js';
import { type Row, yesNo } from './rows.js';

/** A code point with its name; GREASE (RFC 8701) is marked, since it is not a real offer. */
export interface Named {
  readonly code: number;
  readonly name: string;
  readonly grease: boolean;
}

/** A list is null when its extension was not sent (not the same as an empty list). */
export interface HelloView {
  readonly input: {
    readonly encoding: CaptureEncoding;
    readonly framing: CaptureFraming;
    readonly bytes: number;
  };
  readonly legacyVersion: Named;
  readonly supportedVersions: Named[] | null;
  readonly serverName: string | null;
  readonly alpn: readonly string[] | null;
  /** status_request (RFC 6066 §8): the client asks for a staple; statusType 1 is OCSP. */
  readonly statusRequest: { readonly statusType: number; readonly ocsp: boolean } | null;
  readonly statusRequestV2: readonly number[] | null;
  readonly cipherSuites: Named[];
  readonly supportedGroups: Named[] | null;
  readonly signatureAlgorithms: Named[] | null;
  readonly signatureAlgorithmsCert: Named[] | null;
  readonly keyShares: { readonly group: Named; readonly length: number }[] | null;
  readonly ecPointFormats: readonly number[] | null;
  readonly compressionMethods: readonly number[];
  readonly sessionIdLength: number;
  readonly extensions: {
    readonly code: number;
    readonly name: string;
    readonly grease: boolean;
    readonly length: number;
  }[];
  readonly flags: {
    readonly extendedMasterSecret: boolean;
    readonly encryptThenMac: boolean;
    readonly renegotiationInfo: boolean;
    readonly sessionTicket: boolean;
    readonly preSharedKey: boolean;
    readonly earlyData: boolean;
    readonly encryptedClientHello: boolean;
  };
  /** How many GREASE values each list holds (browsers send them; OpenSSL does not). */
  readonly grease: Readonly<Record<GreaseList, number>>;
  readonly ja3: Ja3;
  readonly ja4: Ja4;
}

type GreaseList =
  | 'cipherSuites'
  | 'extensions'
  | 'supportedVersions'
  | 'supportedGroups'
  | 'signatureAlgorithms'
  | 'keyShares';

export function helloView(capture: Capture): HelloView {
  const h = capture.hello;
  const named = (name: (code: number) => string) => (code: number) => ({
    code,
    name: name(code),
    grease: isGrease(code),
  });
  const version = named(versionName);
  const group = named(groupName);
  const scheme = named(signatureSchemeName);
  return {
    input: { encoding: capture.encoding, framing: capture.framing, bytes: capture.bytes.length },
    legacyVersion: version(h.legacyVersion),
    supportedVersions: h.supportedVersions?.map(version) ?? null,
    serverName: h.serverName ?? null,
    alpn: h.alpn ?? null,
    statusRequest: h.statusRequest
      ? { statusType: h.statusRequest.statusType, ocsp: h.statusRequest.statusType === 1 }
      : null,
    statusRequestV2: h.statusRequestV2 ?? null,
    cipherSuites: h.cipherSuites.map(named(cipherSuiteName)),
    supportedGroups: h.supportedGroups?.map(group) ?? null,
    signatureAlgorithms: h.signatureAlgorithms?.map(scheme) ?? null,
    signatureAlgorithmsCert: h.signatureAlgorithmsCert?.map(scheme) ?? null,
    keyShares: h.keyShares?.map((s) => ({ group: group(s.group), length: s.length })) ?? null,
    ecPointFormats: h.ecPointFormats ?? null,
    compressionMethods: h.compressionMethods,
    sessionIdLength: h.sessionId.length,
    extensions: h.extensions.map((e) => ({
      code: e.type,
      name: extensionName(e.type),
      grease: e.grease,
      length: e.data.length,
    })),
    flags: {
      extendedMasterSecret: h.extendedMasterSecret,
      encryptThenMac: h.encryptThenMac,
      renegotiationInfo: h.renegotiationInfo,
      sessionTicket: h.sessionTicket,
      preSharedKey: h.preSharedKey,
      earlyData: h.earlyData,
      encryptedClientHello: h.echOuter,
    },
    grease: greaseCounts(h),
    ja3: ja3(h),
    ja4: ja4(h),
  };
}

function greaseCounts(h: ClientHello): Record<GreaseList, number> {
  const count = (codes: readonly number[] | undefined) => (codes ?? []).filter(isGrease).length;
  return {
    cipherSuites: count(h.cipherSuites),
    extensions: count(h.extensions.map((e) => e.type)),
    supportedVersions: count(h.supportedVersions),
    supportedGroups: count(h.supportedGroups),
    signatureAlgorithms: count(h.signatureAlgorithms),
    keyShares: count(h.keyShares?.map((s) => s.group)),
  };
}

const STATUS_TYPES: Record<number, string> = { 1: 'ocsp', 2: 'ocsp_multi' };

export function helloRows(view: HelloView): Row[] {
  const { input } = view;
  const rows: Row[] = [
    [0, 'ClientHello'],
    [
      1,
      'Input',
      `${input.bytes} bytes, ${input.encoding}, ${input.framing === 'record' ? 'TLS records' : 'handshake message'}`,
    ],
    [1, 'Legacy version', codeText(view.legacyVersion)],
    [1, 'Supported versions', listText(view.supportedVersions?.map(codeText))],
    [1, 'Server name (SNI)', view.serverName ?? 'not sent'],
    [1, 'ALPN', listText(view.alpn)],
    [1, 'Status request', statusRequestText(view)],
    [1, 'Key shares', listText(view.keyShares?.map((s) => `${s.group.name} (${bytes(s.length)})`))],
    [1, 'EC point formats', listText(view.ecPointFormats?.map(String))],
    [1, 'Session id', bytes(view.sessionIdLength)],
    [1, 'GREASE', greaseText(view.grease)],
    ...listRows('Cipher suites', view.cipherSuites),
    ...listRows('Supported groups', view.supportedGroups),
    ...listRows('Signature schemes', view.signatureAlgorithms),
  ];
  if (view.signatureAlgorithmsCert) {
    rows.push(...listRows('Signature schemes (cert)', view.signatureAlgorithmsCert));
  }
  rows.push([1, 'Extensions', String(view.extensions.length)]);
  for (const e of view.extensions) {
    rows.push([2, hex(e.code), `${nameText(e)}, ${bytes(e.length)}`]);
  }
  rows.push(
    [1, 'JA3', view.ja3.string],
    [1, 'JA3 hash', view.ja3.hash],
    [1, 'JA4', view.ja4.fingerprint],
    [1, 'JA4_r', view.ja4.raw],
  );
  return rows;
}

function listRows(label: string, list: readonly Named[] | null): Row[] {
  if (!list) return [[1, label, 'not sent']];
  return [[1, label, String(list.length)], ...list.map((n): Row => [2, hex(n.code), nameText(n)])];
}

function statusRequestText(view: HelloView): string {
  const parts: string[] = [];
  const v1 = view.statusRequest;
  if (v1) parts.push(`${STATUS_TYPES[v1.statusType] ?? `type ${v1.statusType}`} (status_request)`);
  if (view.statusRequestV2) {
    const types = view.statusRequestV2.map((t) => STATUS_TYPES[t] ?? `type ${t}`).join(', ');
    parts.push(`${types} (status_request_v2)`);
  }
  return parts.length === 0 ? 'not sent: the client does not ask for a staple' : parts.join('; ');
}

const GREASE_LISTS: Record<GreaseList, string> = {
  cipherSuites: 'cipher suites',
  extensions: 'extensions',
  supportedVersions: 'supported versions',
  supportedGroups: 'supported groups',
  signatureAlgorithms: 'signature schemes',
  keyShares: 'key shares',
};

function greaseText(counts: Readonly<Record<GreaseList, number>>): string {
  const found = (Object.keys(GREASE_LISTS) as GreaseList[]).filter((list) => counts[list] > 0);
  if (found.length === 0) return yesNo(false);
  return `yes: ${found.map((list) => `${counts[list]} in ${GREASE_LISTS[list]}`).join(', ')}`;
}

/** The name alone, for a row whose label is the code. */
function nameText(n: Named): string {
  if (n.grease) return 'GREASE';
  return n.name === hex(n.code) ? 'unknown' : n.name;
}

/** `TLS 1.3 (0x0304)`; the names of GREASE and unknown codes hold the code already. */
function codeText(n: Named): string {
  return n.name.includes(hex(n.code)) ? n.name : `${n.name} (${hex(n.code)})`;
}

function listText(values: readonly string[] | null | undefined): string {
  if (!values) return 'not sent';
  return values.length === 0 ? 'empty' : values.join(', ');
}

function bytes(n: number): string {
  return n === 1 ? '1 byte' : `${n} bytes`;
}

function hex(code: number): string {
  return `0x${code.toString(16).padStart(4, '0')}`;
}
