/**
 * Checks a stapled OCSP response the way a client that honours it would: against the served
 * certificate and its issuer, the next certificate in the chain.
 */
import {
  type CertificateInfo,
  type DecodedResponse,
  decodeResponse,
  type SingleResponse,
  type VerifiedResponse,
  verifyResponse,
} from '@staple/ocsp-codec';
import { CliError } from './errors.js';

export type StapleCheck =
  | { readonly present: false }
  | { readonly present: true; readonly der: Uint8Array; readonly verified: VerifiedResponse }
  | {
      readonly present: true;
      readonly der: Uint8Array;
      /** Why it is refused: an OcspError (its code says which check failed) or ERR_NO_ISSUER. */
      readonly error: Error & { readonly code?: string };
      /** The response's own claims, unverified, when it decodes: for the diagnosis only. */
      readonly claimed?: SingleResponse;
    };

export async function checkStaple(
  der: Uint8Array | undefined,
  certificate: CertificateInfo,
  issuer: CertificateInfo | undefined,
): Promise<StapleCheck> {
  if (!der) return { present: false };
  try {
    if (!issuer) {
      throw new CliError(
        'ERR_NO_ISSUER',
        'the server sent no issuer certificate and none was found in the CA store, so the staple cannot be verified',
      );
    }
    return { present: true, der, verified: await verifyResponse(der, { certificate, issuer }) };
  } catch (error) {
    const claimed = claimedSingle(der, certificate);
    return {
      present: true,
      der,
      error: error instanceof Error ? error : new Error(String(error)),
      ...(claimed ? { claimed } : {}),
    };
  }
}

/** The SingleResponse for this serial, or the first one: the one a mix-up would show. */
function claimedSingle(der: Uint8Array, certificate: CertificateInfo): SingleResponse | undefined {
  let decoded: DecodedResponse;
  try {
    decoded = decodeResponse(der);
  } catch {
    return undefined;
  }
  if (decoded.responseStatus !== 'successful') return undefined;
  const responses = decoded.basic.responses;
  return responses.find((r) => r.certId.serialNumber === certificate.serialNumber) ?? responses[0];
}
