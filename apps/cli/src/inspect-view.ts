/** What `inspect` reports: the connection, the served certificate and its staple, as rows or JSON. */
import {
  type CertificateInfo,
  type CertStatus,
  type KeyInfo,
  parseCertificate,
  type RevocationReason,
} from '@staple/ocsp-codec';
import { formatAddress } from './address.js';
import { errorCode } from './errors.js';
import { reasonText } from './format.js';
import { type Row, time, yesNo } from './rows.js';
import type { StapleCheck } from './staple-check.js';
import type { Probe, ProbeOptions } from './tls-probe.js';

/** The one-word verdict, from which the exit code follows. */
export type InspectResult = CertStatus | 'no-staple' | 'invalid-staple';

export interface CertificateView {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly key: KeyInfo;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** TLS feature status_request (RFC 7633): clients that honour it fail without a staple. */
  readonly mustStaple: boolean;
  readonly ocspUrls: readonly string[];
}

export interface ChainEntry {
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
}

export type StapleView =
  | { readonly present: false }
  | {
      readonly present: true;
      readonly bytes: number;
      readonly verified: true;
      /** The serial the response is about: the served certificate's, or it would not verify. */
      readonly serialNumber: string;
      readonly certStatus: CertStatus;
      readonly revocationTime?: Date;
      readonly revocationReason?: RevocationReason;
      readonly thisUpdate: Date;
      readonly nextUpdate?: Date;
      readonly producedAt: Date;
      readonly signer: { readonly kind: 'issuer' | 'delegated'; readonly subject: string };
    }
  | {
      readonly present: true;
      readonly bytes: number;
      readonly verified: false;
      readonly error: { readonly code: string; readonly message: string };
      /** What the response says, unverified, when it decodes. */
      readonly claimed?: {
        readonly serialNumber: string;
        readonly certStatus: CertStatus;
        readonly thisUpdate: Date;
        readonly nextUpdate?: Date;
      };
    };

export interface InspectView {
  readonly address: string;
  readonly servername: string | null;
  readonly protocol: string;
  readonly cipher: string;
  readonly chainVerified: {
    readonly verified: boolean;
    /** What the chain was checked against. */
    readonly against: 'ca-file' | 'default-store';
    readonly caFile?: string;
    /** OpenSSL's reason when it did not verify. */
    readonly error?: string;
  };
  readonly certificate: CertificateView;
  /** The served certificate's issuers, nearest first. */
  readonly chain: readonly ChainEntry[];
  readonly staple: StapleView;
  readonly result: InspectResult;
}

export function inspectView(
  options: ProbeOptions & { readonly caFile?: string },
  probe: Probe,
  certificates: readonly CertificateInfo[],
  check: StapleCheck,
): InspectView {
  const [leaf, ...rest] = certificates;
  return {
    address: formatAddress(options),
    servername: probe.servername ?? null,
    protocol: probe.protocol,
    cipher: probe.cipher,
    chainVerified: {
      verified: probe.authorized,
      against: options.caFile !== undefined ? 'ca-file' : 'default-store',
      ...(options.caFile !== undefined ? { caFile: options.caFile } : {}),
      ...(probe.authorizationError !== undefined ? { error: probe.authorizationError } : {}),
    },
    certificate: certificateView(leaf!),
    chain: rest.map((c) => ({
      subject: c.subject,
      issuer: c.issuer,
      serialNumber: c.serialNumber,
    })),
    staple: stapleView(check),
    result: resultOf(check),
  };
}

function certificateView(c: CertificateInfo): CertificateView {
  return {
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    key: c.key,
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    mustStaple: c.mustStaple,
    ocspUrls: c.ocspUrls,
  };
}

function stapleView(check: StapleCheck): StapleView {
  if (!check.present) return { present: false };
  if ('verified' in check) {
    const v = check.verified;
    return {
      present: true,
      bytes: check.der.length,
      verified: true,
      serialNumber: v.single.certId.serialNumber,
      certStatus: v.certStatus,
      ...(v.revocationTime ? { revocationTime: v.revocationTime } : {}),
      ...(v.revocationReason ? { revocationReason: v.revocationReason } : {}),
      thisUpdate: v.thisUpdate,
      ...(v.nextUpdate ? { nextUpdate: v.nextUpdate } : {}),
      producedAt: v.producedAt,
      signer: { kind: v.signer, subject: parseCertificate(v.signerCertificate).subject },
    };
  }
  const c = check.claimed;
  return {
    present: true,
    bytes: check.der.length,
    verified: false,
    error: { code: errorCode(check.error), message: check.error.message },
    ...(c
      ? {
          claimed: {
            serialNumber: c.certId.serialNumber,
            certStatus: c.certStatus,
            thisUpdate: c.thisUpdate,
            ...(c.nextUpdate ? { nextUpdate: c.nextUpdate } : {}),
          },
        }
      : {}),
  };
}

function resultOf(check: StapleCheck): InspectResult {
  if (!check.present) return 'no-staple';
  return 'verified' in check ? check.verified.certStatus : 'invalid-staple';
}

const RESULT_TEXT: Record<InspectResult, string> = {
  good: 'good: a verified staple says the certificate is good',
  revoked: 'REVOKED: a verified staple says the certificate is revoked',
  unknown: 'unknown: a verified staple says the responder does not know the certificate',
  'no-staple': 'no staple: the server sent no OCSP response',
  'invalid-staple': 'invalid staple: clients that check it will reject it',
};

export function inspectRows(view: InspectView): Row[] {
  const chain = view.chainVerified;
  const against = chain.caFile ?? "Node's default CA store";
  const c = view.certificate;
  const rows: Row[] = [
    [0, 'Connection'],
    [1, 'Address', view.address],
    [1, 'Server name', view.servername ?? 'none (no SNI)'],
    [1, 'Protocol', view.protocol],
    [1, 'Cipher', view.cipher],
    [
      1,
      'Chain verified',
      chain.verified ? `yes, against ${against}` : `no (${chain.error}), against ${against}`,
    ],
    [0, 'Certificate'],
    [1, 'Subject', c.subject],
    [1, 'Issuer', c.issuer],
    [1, 'Serial number', c.serialNumber],
    [1, 'Key', keyText(c.key)],
    [1, 'DNS names', list(c.dnsNames)],
    [1, 'IP addresses', list(c.ipAddresses)],
    [1, 'Not before', time(c.notBefore)],
    [1, 'Not after', time(c.notAfter)],
    [1, 'Must-Staple', yesNo(c.mustStaple)],
    [1, 'OCSP responder', list(c.ocspUrls)],
  ];
  view.chain.forEach((entry, i) => {
    rows.push([0, `Chain certificate ${i + 2}`], [1, 'Subject', entry.subject]);
    rows.push([1, 'Serial number', entry.serialNumber]);
  });
  rows.push([0, 'Staple'], ...stapleRows(view.staple), [0, 'Result', RESULT_TEXT[view.result]]);
  return rows;
}

function stapleRows(staple: StapleView): Row[] {
  if (!staple.present) return [[1, 'Present', 'no']];
  const rows: Row[] = [[1, 'Present', `yes, ${staple.bytes} bytes`]];
  if (!staple.verified) {
    rows.push([1, 'Verified', `no: ${staple.error.message} (${staple.error.code})`]);
    const c = staple.claimed;
    if (c) {
      rows.push(
        [1, 'Serial number', `${c.serialNumber} (unverified)`],
        [1, 'Cert status', `${c.certStatus} (unverified)`],
        [1, 'This update', time(c.thisUpdate)],
        [1, 'Next update', c.nextUpdate ? time(c.nextUpdate) : 'none'],
      );
    }
    return rows;
  }
  const signer =
    staple.signer.kind === 'issuer' ? 'the issuer' : `delegated responder ${staple.signer.subject}`;
  rows.push(
    [1, 'Verified', `yes, signed by ${signer}`],
    [1, 'Serial number', staple.serialNumber],
    [1, 'Cert status', staple.certStatus],
  );
  if (staple.revocationTime) rows.push([1, 'Revocation time', time(staple.revocationTime)]);
  if (staple.revocationReason) {
    rows.push([1, 'Revocation reason', reasonText(staple.revocationReason)]);
  }
  rows.push(
    [1, 'This update', time(staple.thisUpdate)],
    [1, 'Next update', staple.nextUpdate ? time(staple.nextUpdate) : 'none'],
    [1, 'Produced at', time(staple.producedAt)],
  );
  return rows;
}

function keyText(key: KeyInfo): string {
  switch (key.type) {
    case 'rsa':
      return `RSA ${key.bits} bits`;
    case 'ec':
      return `ECDSA ${key.curve}`;
    case 'ed25519':
      return 'Ed25519';
    case 'ed448':
      return 'Ed448';
    default:
      return `unknown (${key.oid})`;
  }
}

function list(values: readonly string[]): string {
  return values.length === 0 ? 'none' : values.join(', ');
}
