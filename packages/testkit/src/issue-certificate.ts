import { toHex } from '@staple/ocsp-codec';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { authorityKeyIdentifier, OID, subjectKeyIdentifier } from './extensions.js';
import type { HashName } from './key-pair.js';

/** @internal what is needed to sign as a CA. */
export interface IssuerKey {
  readonly name: pkijs.RelativeDistinguishedNames;
  readonly keyId: Uint8Array;
  readonly privateKey: CryptoKey;
  readonly hash: HashName;
}

/** @internal */
export interface IssueInput {
  readonly subject: pkijs.RelativeDistinguishedNames;
  readonly spki: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly extensions: readonly pkijs.Extension[];
  /** Absent for a self-signed certificate. */
  readonly issuer?: IssuerKey;
  /** The subject's own key, used when self-signed. */
  readonly privateKey: CryptoKey;
  readonly hash: HashName;
}

/** @internal */
export interface IssuedCertificate {
  readonly der: Uint8Array;
  readonly serialNumber: string;
  /** The subject key identifier, which certificates issued by this one cite as their AKI. */
  readonly keyId: Uint8Array;
}

/**
 * @internal A Name of O then CN, each in its own RDN. Built as DER first: pkijs, given the
 * attributes, would put them all in one multi-valued RDN (`O = x + CN = y`).
 */
export function distinguishedName(
  commonName: string,
  organization: string,
): pkijs.RelativeDistinguishedNames {
  const rdn = (type: string, value: string) =>
    new asn1js.Set({
      value: [
        new pkijs.AttributeTypeAndValue({
          type,
          value: new asn1js.Utf8String({ value }),
        }).toSchema(),
      ],
    });
  const der = new asn1js.Sequence({
    value: [rdn(OID.organization, organization), rdn(OID.commonName, commonName)],
  }).toBER(false);
  return pkijs.RelativeDistinguishedNames.fromBER(der);
}

/**
 * @internal Builds, signs and encodes an X.509 v3 certificate, adding SKI and (when issued by
 * another certificate) AKI so that chain builders can match keys without comparing names.
 */
export async function issueCertificate(input: IssueInput): Promise<IssuedCertificate> {
  const publicKeyInfo = pkijs.PublicKeyInfo.fromBER(input.spki.slice());
  const keyId = await keyIdentifier(publicKeyInfo);
  const serial = randomSerial();

  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.issuer = input.issuer?.name ?? input.subject;
  cert.subject = input.subject;
  cert.notBefore = time(input.notBefore);
  cert.notAfter = time(input.notAfter);
  cert.subjectPublicKeyInfo = publicKeyInfo;
  cert.extensions = [
    ...input.extensions,
    subjectKeyIdentifier(keyId),
    ...(input.issuer ? [authorityKeyIdentifier(input.issuer.keyId)] : []),
  ];
  await cert.sign(input.issuer?.privateKey ?? input.privateKey, input.issuer?.hash ?? input.hash);
  return {
    der: new Uint8Array(cert.toSchema(true).toBER(false)),
    serialNumber: toHex(serial),
    keyId,
  };
}

/**
 * 16 random bytes, positive and without a leading zero byte: RFC 5280 §4.1.2.2 asks for a
 * positive serial of at most 20 octets and CA/B Forum for 64 bits of entropy; a first byte in
 * 0x01..0x7f keeps the DER INTEGER exactly 16 bytes, so the hex is the same with or without
 * the sign byte.
 */
export function randomSerial(): Uint8Array {
  const serial = globalThis.crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0]! % 0x7f) + 1;
  return serial;
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. */
async function keyIdentifier(info: pkijs.PublicKeyInfo): Promise<Uint8Array> {
  const bits = info.subjectPublicKey.valueBlock.valueHexView;
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-1', bits.slice()));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
function time(date: Date): pkijs.Time {
  const value = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: value.getUTCFullYear() >= 2050 ? 1 : 0, value });
}
