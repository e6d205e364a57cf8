import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ipAddressBytes } from './ip-address.js';

/** Object identifiers of the extensions and purposes the testkit writes. */
export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  tlsFeature: '1.3.6.1.5.5.7.1.24',
  kpServerAuth: '1.3.6.1.5.5.7.3.1',
  kpOcspSigning: '1.3.6.1.5.5.7.3.9',
  adOcsp: '1.3.6.1.5.5.7.48.1',
  ocspNoCheck: '1.3.6.1.5.5.7.48.1.5',
} as const;

/** RFC 5280 §4.2.1.3 KeyUsage bit positions (bit 0 is the most significant bit). */
export type KeyUsage = 'digitalSignature' | 'keyEncipherment' | 'keyCertSign' | 'cRLSign';

const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
};

// The TLS feature status_request (RFC 7633): 5 is the TLS extension number (RFC 6066 §8).
const TLS_FEATURE_STATUS_REQUEST = 5;

// GeneralName CHOICE tags (RFC 5280 §4.2.1.6).
const DNS_NAME = 2;
const URI = 6;
const IP_ADDRESS = 7;

function extension(extnID: string, critical: boolean, value: asn1js.BaseBlock | pkijs.PkiObject) {
  const schema = value instanceof pkijs.PkiObject ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

export function basicConstraints(ca: boolean, pathLength?: number): pkijs.Extension {
  return extension(
    OID.basicConstraints,
    true,
    new pkijs.BasicConstraints(
      ca && pathLength !== undefined ? { cA: true, pathLenConstraint: pathLength } : { cA: ca },
    ),
  );
}

/** KeyUsage as a DER BIT STRING: trailing zero bits dropped, as DER's named-bit rule requires. */
export function keyUsage(usages: readonly KeyUsage[]): pkijs.Extension {
  const highest = Math.max(...usages.map((u) => KEY_USAGE_BITS[u]));
  const bytes = new Uint8Array(Math.floor(highest / 8) + 1);
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS[usage];
    bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  }
  const unusedBits = 7 - (highest & 7);
  return extension(OID.keyUsage, true, new asn1js.BitString({ valueHex: bytes, unusedBits }));
}

export function extKeyUsage(purposes: readonly string[]): pkijs.Extension {
  return extension(OID.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] }));
}

export function subjectKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(OID.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId }));
}

export function authorityKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(
    OID.authorityKeyIdentifier,
    false,
    new pkijs.AuthorityKeyIdentifier({
      keyIdentifier: new asn1js.OctetString({ valueHex: keyId }),
    }),
  );
}

export function subjectAltName(
  dnsNames: readonly string[],
  ips: readonly string[],
): pkijs.Extension {
  const names = [
    ...dnsNames.map((value) => new pkijs.GeneralName({ type: DNS_NAME, value })),
    ...ips.map(
      (ip) =>
        new pkijs.GeneralName({
          type: IP_ADDRESS,
          value: new asn1js.OctetString({ valueHex: ipAddressBytes(ip) }),
        }),
    ),
  ];
  // Critical only when the subject is empty (RFC 5280 §4.2.1.6); ours always has a CN.
  return extension(OID.subjectAltName, false, new pkijs.GeneralNames({ names }));
}

export function ocspAccess(url: string): pkijs.Extension {
  return extension(
    OID.authorityInfoAccess,
    false,
    new pkijs.InfoAccess({
      accessDescriptions: [
        new pkijs.AccessDescription({
          accessMethod: OID.adOcsp,
          accessLocation: new pkijs.GeneralName({ type: URI, value: url }),
        }),
      ],
    }),
  );
}

/** Must-Staple: the TLS feature extension (RFC 7633) asking for status_request. */
export function mustStaple(): pkijs.Extension {
  return extension(
    OID.tlsFeature,
    false,
    new asn1js.Sequence({ value: [new asn1js.Integer({ value: TLS_FEATURE_STATUS_REQUEST })] }),
  );
}

/**
 * id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): clients need not check the delegated responder's
 * own revocation status, which would otherwise be a question the responder answers about itself.
 */
export function ocspNoCheck(): pkijs.Extension {
  return extension(OID.ocspNoCheck, false, new asn1js.Null());
}
