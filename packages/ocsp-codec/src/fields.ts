import * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { copyBytes, serialToHex, toHex } from './bytes.js';
import { OcspError } from './errors.js';
import { OID, oidName } from './oids.js';
import type { AlgorithmInfo, CertId, Extension } from './types.js';

/** Conversions from pkijs objects to the codec's plain data, shared by requests and responses. */

export function algorithmInfo(alg: pkijs.AlgorithmIdentifier): AlgorithmInfo {
  return Object.freeze({ oid: alg.algorithmId, name: oidName(alg.algorithmId) });
}

export function certIdFrom(id: pkijs.CertID): CertId {
  return Object.freeze({
    hashAlgorithm: algorithmInfo(id.hashAlgorithm),
    issuerNameHash: copyBytes(id.issuerNameHash.valueBlock.valueHexView),
    issuerKeyHash: copyBytes(id.issuerKeyHash.valueBlock.valueHexView),
    serialNumber: serialToHex(id.serialNumber.valueBlock.valueHexView),
  });
}

/**
 * Extensions as plain data. RFC 5280 §4.2: an extension appears at most once; a duplicate is
 * refused, since which of two values a verifier honours is exactly what an attacker picks.
 */
export function extensionsFrom(
  list: readonly pkijs.Extension[] | undefined,
  what: string,
): Extension[] {
  const seen = new Set<string>();
  return (list ?? []).map((ext) => {
    if (seen.has(ext.extnID)) {
      throw new OcspError('ERR_OCSP_MALFORMED', `${what}: duplicate extension ${ext.extnID}`);
    }
    seen.add(ext.extnID);
    const name = oidName(ext.extnID);
    return Object.freeze({
      oid: ext.extnID,
      ...(name !== ext.extnID ? { name } : {}),
      critical: ext.critical === true,
      value: copyBytes(ext.extnValue.valueBlock.valueHexView),
    });
  });
}

/**
 * The nonce value. RFC 8954 §2.1 says the extnValue holds an OCTET STRING with the nonce; some
 * older responders put the raw bytes there instead, so a value that is not one is taken whole.
 */
export function nonceFrom(extensions: readonly Extension[]): Uint8Array | undefined {
  const ext = extensions.find((e) => e.oid === OID.ocspNonce);
  if (!ext) return undefined;
  const parsed = asn1js.fromBER(ext.value, { maxDepth: 2, maxNodes: 4, parseEmbedded: false });
  if (
    parsed.offset === ext.value.length &&
    parsed.result instanceof asn1js.OctetString &&
    !parsed.result.idBlock.isConstructed
  ) {
    return copyBytes(parsed.result.valueBlock.valueHexView);
  }
  return ext.value;
}

export function nonceExtensionValue(nonce: Uint8Array): ArrayBuffer {
  return new asn1js.OctetString({ valueHex: nonce }).toBER(false);
}

export function describeCertId(id: CertId): string {
  return `serial ${id.serialNumber} (${id.hashAlgorithm.name}, key ${toHex(id.issuerKeyHash)})`;
}
