import {
  type CertId,
  type CertificateInfo,
  type CertificateInput,
  certIdMatches,
  type DecodedRequest,
  encodeUnsuccessfulResponse,
  type SingleResponseInput,
  signResponse,
  toHex,
} from '@staple/ocsp-codec';
import { garbageBytes, type ResponderFault } from './faults.js';
import { randomSerial } from './issue-certificate.js';
import type { StatusList } from './status-list.js';

export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';

/** A key that signs responses, with its certificate. */
export interface ResponseSigner {
  readonly certificate: CertificateInput;
  readonly privateKey: CryptoKey;
}

/** @internal everything one answer depends on, fixed when the request arrived. */
export interface AnswerContext {
  readonly issuer: CertificateInfo;
  readonly signer: ResponseSigner;
  readonly responderIdType: 'byName' | 'byKey';
  readonly statuses: StatusList;
  readonly now: Date;
  readonly validitySeconds: number;
  readonly thisUpdateOffsetSeconds: number;
  readonly echoNonce: boolean;
  readonly fault: ResponderFault | null;
  readonly wrongSigner: () => Promise<ResponseSigner>;
  readonly issuerMatches: (certId: CertId) => Promise<boolean>;
}

/** @internal */
export interface Answer {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Set when RFC 5019 cache headers describe this body truthfully. */
  readonly cacheWindow?: { readonly thisUpdate: Date; readonly nextUpdate: Date };
}

// Far outside the 5-minute skew every client allows, so that time faults are unambiguous.
const TIME_FAULT_MS = 3_600_000;

/** @internal The body for a decoded request (or `undefined` for one that did not decode). */
export async function buildAnswer(
  request: DecodedRequest | undefined,
  ctx: AnswerContext,
): Promise<Answer> {
  const fault = ctx.fault;
  if (fault?.kind === 'status') return unsuccessful(fault.status);
  if (fault?.kind === 'garbage') return { body: garbageBytes(), contentType: OCSP_RESPONSE_TYPE };
  if (!request) return unsuccessful('malformedRequest');

  let signed: { body: Uint8Array; thisUpdate: Date; nextUpdate: Date };
  try {
    signed = await signAnswer(request, ctx);
  } catch {
    // RFC 6960 §2.3: internalError is what a responder says when it cannot produce an answer.
    return unsuccessful('internalError');
  }
  const timesAreHonest = fault?.kind !== 'expired' && fault?.kind !== 'not-yet-valid';
  if (fault?.kind === 'truncated') {
    return {
      body: signed.body.slice(0, Math.floor(signed.body.length / 2)),
      contentType: OCSP_RESPONSE_TYPE,
    };
  }
  return {
    body: signed.body,
    contentType:
      fault?.kind === 'wrong-content-type'
        ? (fault.contentType ?? 'text/html; charset=utf-8')
        : OCSP_RESPONSE_TYPE,
    ...(timesAreHonest
      ? { cacheWindow: { thisUpdate: signed.thisUpdate, nextUpdate: signed.nextUpdate } }
      : {}),
  };
}

function unsuccessful(status: Parameters<typeof encodeUnsuccessfulResponse>[0]): Answer {
  return { body: encodeUnsuccessfulResponse(status), contentType: OCSP_RESPONSE_TYPE };
}

async function signAnswer(request: DecodedRequest, ctx: AnswerContext) {
  const fault = ctx.fault?.kind;
  const now = ctx.now.getTime();
  let thisUpdate = new Date(now + ctx.thisUpdateOffsetSeconds * 1000);
  let producedAt = ctx.now;
  if (fault === 'expired') {
    thisUpdate = new Date(now - TIME_FAULT_MS - ctx.validitySeconds * 1000);
    producedAt = thisUpdate;
  } else if (fault === 'not-yet-valid') {
    thisUpdate = new Date(now + TIME_FAULT_MS);
    producedAt = thisUpdate;
  }
  const nextUpdate = new Date(thisUpdate.getTime() + ctx.validitySeconds * 1000);

  const responses: SingleResponseInput[] = [];
  for (const { certId } of request.requests) {
    const times = { thisUpdate, nextUpdate };
    if (fault === 'other-certificate') {
      responses.push({
        certId: { ...certId, serialNumber: toHex(randomSerial()) },
        certStatus: 'good',
        ...times,
      });
      continue;
    }
    // RFC 6960 §2.2: "unknown" is the answer for a certificate this responder knows nothing
    // about, which is any certificate its issuer did not issue.
    const entry = (await ctx.issuerMatches(certId))
      ? ctx.statuses.get(certId.serialNumber)
      : ({ status: 'unknown' } as const);
    responses.push(
      entry.status === 'revoked'
        ? {
            certId,
            certStatus: 'revoked',
            revocationTime: entry.revocationTime,
            ...(entry.revocationReason ? { revocationReason: entry.revocationReason } : {}),
            ...times,
          }
        : { certId, certStatus: entry.status, ...times },
    );
  }

  const nonce = responseNonce(request.nonce, ctx.echoNonce, fault === 'wrong-nonce');
  const signer = fault === 'wrong-signer' ? await ctx.wrongSigner() : ctx.signer;
  const body = await signResponse({
    issuer: ctx.issuer,
    signer,
    responses,
    responderIdType: ctx.responderIdType,
    producedAt,
    ...(nonce ? { nonce } : {}),
  });
  return { body, thisUpdate, nextUpdate };
}

function responseNonce(
  sent: Uint8Array | undefined,
  echo: boolean,
  wrong: boolean,
): Uint8Array | undefined {
  if (wrong) {
    // Same length as the one sent, every byte different: a client comparing lengths only, or
    // a prefix, still sees the mismatch.
    return sent ? sent.map((b) => b ^ 0xff) : globalThis.crypto.getRandomValues(new Uint8Array(16));
  }
  return echo ? sent : undefined;
}

/**
 * @internal Whether a CertID names this issuer, recomputed with the CertID's own hash algorithm
 * (an unknown algorithm never matches, so such requests get `unknown`).
 */
export function issuerMatcher(issuer: CertificateInfo): (certId: CertId) => Promise<boolean> {
  return (certId) => certIdMatches(certId, { serialNumber: certId.serialNumber }, issuer);
}
