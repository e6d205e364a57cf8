import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fromSchema, parseDer } from './asn1.js';
import { copyBytes, serialToHex } from './bytes.js';
import { OcspError } from './errors.js';
import { formatName } from './names.js';
import { CURVES, OID, oidName } from './oids.js';
import { decodePem, pemText } from './pem.js';
import type { CertificateInfo, CertificateInput, KeyInfo } from './types.js';

// The pkijs object behind each CertificateInfo, so verification never parses a certificate twice.
// Kept in a WeakMap: callers only ever see the plain, frozen CertificateInfo.
const parsedObjects = new WeakMap<CertificateInfo, pkijs.Certificate>();

/**
 * Parses one X.509 certificate from DER bytes or PEM text (the first CERTIFICATE block).
 *
 * @example
 * const cert = parseCertificate(readFileSync('leaf.pem', 'utf8'));
 * cert.ocspUrls; // ['http://ocsp.example.com']
 */
export function parseCertificate(input: CertificateInput): CertificateInfo {
  if (isCertificateInfo(input)) return input;
  const text = typeof input === 'string' ? input : pemText(input);
  if (text !== undefined) {
    const first = decodePem(text).find((b) => b.label === 'CERTIFICATE');
    if (!first) throw new OcspError('ERR_OCSP_CERTIFICATE', 'no CERTIFICATE PEM block found');
    return parseCertificateDer(first.der);
  }
  return parseCertificateDer(input as Uint8Array);
}

/** Every certificate in a PEM bundle (or a single DER certificate), in order. */
export function parseCertificates(input: Uint8Array | string): CertificateInfo[] {
  const text = typeof input === 'string' ? input : pemText(input);
  if (text === undefined) return [parseCertificateDer(input as Uint8Array)];
  return decodePem(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => parseCertificateDer(b.der));
}

function isCertificateInfo(input: CertificateInput): input is CertificateInfo {
  return typeof input === 'object' && !(input instanceof Uint8Array) && parsedObjects.has(input);
}

/** @internal the pkijs object for a certificate (parsing it first when needed). */
export function pkijsCertificate(input: CertificateInput): pkijs.Certificate {
  const info = parseCertificate(input);
  return parsedObjects.get(info)!;
}

function parseCertificateDer(der: Uint8Array): CertificateInfo {
  let cert: pkijs.Certificate;
  try {
    const asn1 = parseDer(der, 'certificate');
    cert = fromSchema('certificate', () => new pkijs.Certificate({ schema: asn1 }));
  } catch (cause) {
    throw new OcspError('ERR_OCSP_CERTIFICATE', 'not a valid X.509 certificate', { cause });
  }
  const info = describe(cert, copyBytes(der));
  parsedObjects.set(info, cert);
  return info;
}

function describe(cert: pkijs.Certificate, der: Uint8Array): CertificateInfo {
  const extensions = cert.extensions ?? [];
  const find = (oid: string) => extensions.find((e) => e.extnID === oid);

  const ocspUrls: string[] = [];
  const caIssuersUrls: string[] = [];
  const aia = find(OID.authorityInfoAccess)?.parsedValue as pkijs.InfoAccess | undefined;
  for (const desc of aia?.accessDescriptions ?? []) {
    // GeneralName type 6 is uniformResourceIdentifier
    if (desc.accessLocation.type !== 6) continue;
    const url = String(desc.accessLocation.value);
    if (desc.accessMethod === OID.adOcsp) ocspUrls.push(url);
    else if (desc.accessMethod === OID.adCaIssuers) caIssuersUrls.push(url);
  }

  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  const san = find(OID.subjectAltName)?.parsedValue as pkijs.AltName | undefined;
  for (const name of san?.altNames ?? []) {
    if (name.type === 2) dnsNames.push(String(name.value));
    if (name.type === 7) {
      const octets = (name.value as asn1js.OctetString).valueBlock.valueHexView;
      ipAddresses.push(formatIp(octets));
    }
  }

  const eku = find(OID.extKeyUsage)?.parsedValue as pkijs.ExtKeyUsage | undefined;
  const basic = find(OID.basicConstraints)?.parsedValue as pkijs.BasicConstraints | undefined;
  const spki = cert.subjectPublicKeyInfo;

  return Object.freeze({
    der,
    serialNumber: serialToHex(cert.serialNumber.valueBlock.valueHexView),
    subject: formatName(cert.subject),
    issuer: formatName(cert.issuer),
    subjectDer: copyBytes(cert.subject.toSchema().toBER()),
    issuerDer: copyBytes(cert.issuer.toSchema().toBER()),
    notBefore: cert.notBefore.value,
    notAfter: cert.notAfter.value,
    key: keyInfo(spki),
    publicKeyBits: copyBytes(spki.subjectPublicKey.valueBlock.valueHexView),
    spki: copyBytes(spki.toSchema().toBER()),
    ocspUrls: Object.freeze(ocspUrls),
    caIssuersUrls: Object.freeze(caIssuersUrls),
    mustStaple: hasMustStaple(find(OID.tlsFeature)),
    isCA: basic?.cA === true,
    extKeyUsage: Object.freeze([...(eku?.keyPurposes ?? [])]),
    ocspNoCheck: find(OID.ocspNoCheck) !== undefined,
    dnsNames: Object.freeze(dnsNames),
    ipAddresses: Object.freeze(ipAddresses),
    signatureAlgorithm: Object.freeze({
      oid: cert.signatureAlgorithm.algorithmId,
      name: oidName(cert.signatureAlgorithm.algorithmId),
    }),
  });
}

function keyInfo(spki: pkijs.PublicKeyInfo): KeyInfo {
  const oid = spki.algorithm.algorithmId;
  if (oid === OID.rsaEncryption || oid === OID.rsaPss) {
    const parsed = spki.parsedKey as pkijs.RSAPublicKey | undefined;
    const modulus = parsed?.modulus.valueBlock.valueHexView ?? new Uint8Array();
    let bytes = modulus.length;
    if (modulus[0] === 0) bytes--;
    return { type: 'rsa', bits: bytes * 8 };
  }
  if (oid === OID.ecPublicKey) {
    const params = spki.algorithm.algorithmParams as asn1js.ObjectIdentifier | undefined;
    const curveOid = params instanceof asn1js.ObjectIdentifier ? params.valueBlock.toString() : '';
    const curve = CURVES[curveOid];
    return { type: 'ec', curve: curve?.name ?? curveOid, bits: curve?.bits ?? 0 };
  }
  if (oid === OID.ed25519) return { type: 'ed25519' };
  if (oid === OID.ed448) return { type: 'ed448' };
  return { type: 'unknown', oid };
}

// RFC 7633: the TLS feature extension is a SEQUENCE OF INTEGER; 5 is status_request.
function hasMustStaple(ext: pkijs.Extension | undefined): boolean {
  if (!ext) return false;
  try {
    const seq = parseDer(ext.extnValue.valueBlock.valueHexView, 'TLS feature');
    if (!(seq instanceof asn1js.Sequence)) return false;
    return seq.valueBlock.value.some(
      (v) => v instanceof asn1js.Integer && v.valueBlock.valueDec === 5,
    );
  } catch {
    return false;
  }
}

function formatIp(octets: Uint8Array): string {
  if (octets.length === 4) return Array.from(octets).join('.');
  if (octets.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((octets[i]! << 8) | octets[i + 1]!).toString(16));
    // Shorten the longest run of zero groups, as RFC 5952 asks.
    const text = groups.join(':');
    const runs = text.match(/(^|:)0(:0)+(:|$)/g);
    if (!runs) return text;
    const longest = runs.reduce((a, b) => (b.length > a.length ? b : a));
    return text.replace(longest, '::');
  }
  return Array.from(octets, (b) => b.toString(16).padStart(2, '0')).join('');
}
