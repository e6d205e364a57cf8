import * as asn1js from 'asn1js';
import { copyBytes, serialToHex, toHex } from './bytes.js';
import { boolean, integer, malformed, octets, oid, sequence } from './der.js';
import { OcspError } from './errors.js';
import { OID, oidName } from './oids.js';
import type { AlgorithmInfo, CertId, Extension } from './types.js';

/** Readers for the structures requests and responses share. */

/** AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
export function algorithmFrom(block: asn1js.AsnType | undefined, what: string): AlgorithmInfo {
  const [id, params, extra] = sequence(block, what);
  if (extra) throw malformed(what, 'too many elements in AlgorithmIdentifier');
  void params;
  const value = oid(id, what);
  return Object.freeze({ oid: value, name: oidName(value) });
}

/** CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber } (RFC 6960 §4.1.1) */
export function certIdFrom(block: asn1js.AsnType | undefined): CertId {
  const fields = sequence(block, 'CertID');
  if (fields.length !== 4) throw malformed('CertID', `expected 4 fields, got ${fields.length}`);
  return Object.freeze({
    hashAlgorithm: algorithmFrom(fields[0], 'CertID.hashAlgorithm'),
    issuerNameHash: copyBytes(octets(fields[1], 'CertID.issuerNameHash')),
    issuerKeyHash: copyBytes(octets(fields[2], 'CertID.issuerKeyHash')),
    serialNumber: serialToHex(integer(fields[3], 'CertID.serialNumber')),
  });
}

/**
 * Extensions ::= SEQUENCE OF Extension. RFC 5280 §4.2: an extension appears at most once; a
 * duplicate is refused, since which of two values a verifier honours is what an attacker picks.
 */
export function extensionsFrom(block: asn1js.AsnType | undefined, what: string): Extension[] {
  const seen = new Set<string>();
  return sequence(block, what).map((element) => {
    const fields = sequence(element, what);
    const id = oid(fields[0], what);
    let critical = false;
    let valueIndex = 1;
    if (fields[1] instanceof asn1js.Boolean) {
      critical = boolean(fields[1], what);
      valueIndex = 2;
    }
    const value = octets(fields[valueIndex], `${what} ${id}`);
    if (fields.length !== valueIndex + 1) throw malformed(what, `extension ${id} has extra fields`);
    if (seen.has(id)) {
      throw new OcspError('ERR_OCSP_MALFORMED', `${what}: duplicate extension ${id}`);
    }
    seen.add(id);
    const name = oidName(id);
    return Object.freeze({
      oid: id,
      ...(name !== id ? { name } : {}),
      critical,
      value: copyBytes(value),
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
