/** What `status` and `fetch` report about a verified response: one view, as rows or as JSON. */
import type { CertStatus, RevocationReason } from '@staple/ocsp-codec';
import { parseCertificate } from '@staple/ocsp-codec';
import type { Answer } from './ask-responder.js';
import type { Target } from './certificates.js';
import { reasonText } from './format.js';
import { type Row, time } from './rows.js';

export interface StatusView {
  readonly certificate: {
    readonly subject: string;
    readonly issuer: string;
    readonly serialNumber: string;
  };
  /** The responder asked: --url or the certificate's AIA URL. */
  readonly responder: string;
  readonly method: 'GET' | 'POST';
  /** The URL the response came from: for GET, with the request in it; after any redirect. */
  readonly requestUrl: string;
  readonly certStatus: CertStatus;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
  /** The issuer itself, or a responder certificate it delegated to (RFC 6960 §4.2.2.2). */
  readonly signer: { readonly kind: 'issuer' | 'delegated'; readonly subject: string };
  /** The responder's Cache-Control max-age (RFC 5019 §6.2), when it sent one. */
  readonly maxAgeSeconds?: number;
}

export function statusView(target: Target, res: Answer): StatusView {
  const { certificate } = target;
  return {
    certificate: {
      subject: certificate.subject,
      issuer: certificate.issuer,
      serialNumber: certificate.serialNumber,
    },
    responder: res.responder,
    method: res.method,
    requestUrl: res.url,
    certStatus: res.certStatus,
    ...(res.revocationTime ? { revocationTime: res.revocationTime } : {}),
    ...(res.revocationReason ? { revocationReason: res.revocationReason } : {}),
    thisUpdate: res.thisUpdate,
    ...(res.nextUpdate ? { nextUpdate: res.nextUpdate } : {}),
    producedAt: res.producedAt,
    signer: {
      kind: res.verified.signer,
      subject: parseCertificate(res.verified.signerCertificate).subject,
    },
    ...(res.maxAgeSeconds !== undefined ? { maxAgeSeconds: res.maxAgeSeconds } : {}),
  };
}

export function statusRows(view: StatusView): Row[] {
  const rows: Row[] = [
    [0, 'Certificate', view.certificate.subject],
    [0, 'Serial number', view.certificate.serialNumber],
    [0, 'Issuer', view.certificate.issuer],
    [0, 'Responder', `${view.responder} (${view.method})`],
    [0, 'Cert status', view.certStatus],
  ];
  if (view.revocationTime) rows.push([0, 'Revocation time', time(view.revocationTime)]);
  if (view.revocationReason) rows.push([0, 'Revocation reason', reasonText(view.revocationReason)]);
  rows.push(
    [0, 'This update', time(view.thisUpdate)],
    [0, 'Next update', view.nextUpdate ? time(view.nextUpdate) : 'none'],
    [0, 'Produced at', time(view.producedAt)],
    [
      0,
      'Signed by',
      view.signer.kind === 'issuer' ? 'the issuer' : `delegated responder ${view.signer.subject}`,
    ],
  );
  if (view.maxAgeSeconds !== undefined) rows.push([0, 'Max age', `${view.maxAgeSeconds} s`]);
  return rows;
}
