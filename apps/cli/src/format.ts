/**
 * Human-readable dumps of decoded OCSP messages, in the spirit of `openssl ocsp -resp_text` /
 * `-req_text`: one `label: value` per line, values aligned in one column.
 */
import type {
  CertId,
  DecodedRequest,
  DecodedResponse,
  Extension,
  ResponderId,
  RevocationReason,
  SingleResponse,
} from '@staple/ocsp-codec';
import {
  OCSP_OIDS,
  parseCertificate,
  RESPONSE_STATUS_CODES,
  REVOCATION_REASON_CODES,
  toHex,
} from '@staple/ocsp-codec';
import { type Row, render, time } from './rows.js';

/** Extension values longer than this many bytes are cut short (SCT lists run to hundreds). */
const MAX_VALUE_BYTES = 32;

export function formatResponse(res: DecodedResponse): string {
  const rows: Row[] = [
    [0, 'OCSP Response'],
    [1, 'Status', `${res.responseStatus} (${RESPONSE_STATUS_CODES[res.responseStatus]})`],
  ];
  if (res.responseStatus !== 'successful') return render(rows);
  const basic = res.basic;
  rows.push(
    [1, 'Response type', res.responseType === OCSP_OIDS.basicResponse ? 'basic' : res.responseType],
    [1, 'Version', version(basic.version)],
    [1, 'Responder ID', responderId(basic.responderId)],
    [1, 'Produced at', time(basic.producedAt)],
    ...extensionRows(1, basic.extensions, basic.nonce),
    [1, 'Responses', String(basic.responses.length)],
  );
  basic.responses.forEach((single, i) => {
    rows.push([1, `Response ${i + 1}`], ...singleRows(2, single));
  });
  rows.push(
    [1, 'Signature algorithm', basic.signatureAlgorithm.name],
    [1, 'Signature', `${basic.signature.length} bytes`],
    ...certificateRows(1, basic.certificates),
  );
  return render(rows);
}

export function formatRequest(req: DecodedRequest): string {
  const rows: Row[] = [
    [0, 'OCSP Request'],
    [1, 'Version', version(req.version)],
  ];
  if (req.requestorName !== undefined) rows.push([1, 'Requestor name', req.requestorName]);
  rows.push(...extensionRows(1, req.extensions, req.nonce));
  rows.push([1, 'Requests', String(req.requests.length)]);
  req.requests.forEach((single, i) => {
    rows.push(
      [1, `Request ${i + 1}`],
      ...certIdRows(2, single.certId),
      ...extensionRows(2, single.extensions),
    );
  });
  rows.push([1, 'Signed', req.signed ? 'yes' : 'no']);
  if (req.signatureAlgorithm) rows.push([1, 'Signature algorithm', req.signatureAlgorithm.name]);
  rows.push(...certificateRows(1, req.certificates));
  return render(rows);
}

function singleRows(depth: number, single: SingleResponse): Row[] {
  const rows: Row[] = [
    ...certIdRows(depth, single.certId),
    [depth, 'Cert status', single.certStatus],
  ];
  if (single.revocationTime) rows.push([depth, 'Revocation time', time(single.revocationTime)]);
  if (single.revocationReason) {
    rows.push([depth, 'Revocation reason', reasonText(single.revocationReason)]);
  }
  rows.push([depth, 'This update', time(single.thisUpdate)]);
  rows.push([depth, 'Next update', single.nextUpdate ? time(single.nextUpdate) : 'none']);
  rows.push(...extensionRows(depth, single.extensions));
  return rows;
}

function certIdRows(depth: number, id: CertId): Row[] {
  return [
    [depth, 'Hash algorithm', id.hashAlgorithm.name],
    [depth, 'Issuer name hash', toHex(id.issuerNameHash)],
    [depth, 'Issuer key hash', toHex(id.issuerKeyHash)],
    [depth, 'Serial number', id.serialNumber],
  ];
}

/** The nonce is shown as the nonce itself (RFC 8954), not the OCTET STRING wrapping it. */
function extensionRows(depth: number, extensions: readonly Extension[], nonce?: Uint8Array): Row[] {
  if (extensions.length === 0) return [];
  return [
    [depth, 'Extensions'],
    ...extensions.map((ext): Row => {
      const value = ext.oid === OCSP_OIDS.nonce && nonce ? nonce : ext.value;
      const critical = ext.critical ? 'critical, ' : '';
      return [depth + 1, ext.name ?? ext.oid, critical + shortHex(value)];
    }),
  ];
}

function certificateRows(depth: number, certificates: readonly Uint8Array[]): Row[] {
  const rows: Row[] = [[depth, 'Certificates', String(certificates.length)]];
  certificates.forEach((der, i) => {
    rows.push([depth, `Certificate ${i + 1}`], ...certificateSummary(depth + 1, der));
  });
  return rows;
}

function certificateSummary(depth: number, der: Uint8Array): Row[] {
  try {
    const cert = parseCertificate(der);
    return [
      [depth, 'Subject', cert.subject],
      [depth, 'Issuer', cert.issuer],
      [depth, 'Serial number', cert.serialNumber],
      [depth, 'Not after', time(cert.notAfter)],
    ];
  } catch {
    // The dump is for looking at odd responses too: a certificate the codec cannot read is
    // reported, not fatal.
    return [[depth, 'Unreadable', `${der.length} bytes`]];
  }
}

export function responderId(id: ResponderId): string {
  return id.type === 'byName' ? id.name : `key hash ${toHex(id.keyHash)}`;
}

/** `keyCompromise (1)`: the name, and the CRLReason code openssl shows. */
export function reasonText(reason: RevocationReason): string {
  return `${reason} (${REVOCATION_REASON_CODES[reason]})`;
}

/** As openssl prints it: `1 (0x0)` for the v1 the field encodes as 0. */
function version(value: number): string {
  return `${value + 1} (0x${value.toString(16)})`;
}

function shortHex(bytes: Uint8Array): string {
  if (bytes.length <= MAX_VALUE_BYTES) return toHex(bytes);
  return `${toHex(bytes.subarray(0, MAX_VALUE_BYTES))}… (${bytes.length} bytes)`;
}
