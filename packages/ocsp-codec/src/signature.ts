import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { exactBuffer } from './bytes.js';
import { pkijsCertificate } from './certificate.js';
import { readTlv } from './der.js';
import { OcspError } from './errors.js';
import type { CertificateInfo } from './types.js';

// Signature algorithms checked directly with WebCrypto, with the imported public key cached per
// certificate: a stapler verifies against the same issuer again and again, and importing the
// key each time (as pkijs' verifyWithPublicKey does) is most of the cost of a verification.
const DIRECT: Record<string, { name: 'RSASSA-PKCS1-v1_5' | 'ECDSA'; hash: string }> = {
  '1.2.840.113549.1.1.5': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-1' },
  '1.2.840.113549.1.1.11': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' },
  '1.2.840.10045.4.1': { name: 'ECDSA', hash: 'SHA-1' },
  '1.2.840.10045.4.3.2': { name: 'ECDSA', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { name: 'ECDSA', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { name: 'ECDSA', hash: 'SHA-512' },
};

const CURVE_BYTES: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

const keys = new WeakMap<CertificateInfo, Map<string, Promise<CryptoKey>>>();

function importKey(
  signer: CertificateInfo,
  algorithm: RsaHashedImportParams | EcKeyImportParams,
): Promise<CryptoKey> {
  const id = JSON.stringify(algorithm);
  let byAlgorithm = keys.get(signer);
  if (!byAlgorithm) {
    byAlgorithm = new Map();
    keys.set(signer, byAlgorithm);
  }
  let key = byAlgorithm.get(id);
  if (!key) {
    key = globalThis.crypto.subtle.importKey('spki', exactBuffer(signer.spki), algorithm, false, [
      'verify',
    ]);
    byAlgorithm.set(id, key);
    // A key that cannot be imported is not cached: the failure is reported by the caller.
    const cache = byAlgorithm;
    key.catch(() => cache.delete(id));
  }
  return key;
}

/**
 * Whether `signature` over `data` was made by `signer`'s key with the algorithm `algorithm`
 * (an AlgorithmIdentifier element). Throws ERR_OCSP_UNSUPPORTED_ALGORITHM for algorithms
 * WebCrypto cannot check (md2, md5, ...).
 */
export async function verifySignature(
  data: Uint8Array,
  signature: Uint8Array,
  algorithm: asn1js.AsnType,
  signer: CertificateInfo,
): Promise<boolean> {
  const oid = algorithmOid(algorithm);
  const direct = DIRECT[oid];
  if (!direct) return verifyWithPkijs(data, signature, algorithm, signer, oid);
  if (direct.name === 'ECDSA') {
    if (signer.key.type !== 'ec') return false;
    const size = CURVE_BYTES[signer.key.curve];
    if (!size) return verifyWithPkijs(data, signature, algorithm, signer, oid);
    const raw = ecdsaRaw(signature, size);
    if (!raw) return false;
    const key = await importKey(signer, { name: 'ECDSA', namedCurve: signer.key.curve });
    return globalThis.crypto.subtle.verify(
      { name: 'ECDSA', hash: direct.hash },
      key,
      exactBuffer(raw),
      exactBuffer(data),
    );
  }
  if (signer.key.type !== 'rsa') return false;
  const key = await importKey(signer, { name: direct.name, hash: direct.hash });
  return globalThis.crypto.subtle.verify(
    direct.name,
    key,
    exactBuffer(signature),
    exactBuffer(data),
  );
}

function algorithmOid(algorithm: asn1js.AsnType): string {
  const id = algorithm instanceof asn1js.Sequence ? algorithm.valueBlock.value[0] : undefined;
  return id instanceof asn1js.ObjectIdentifier ? id.valueBlock.toString() : '';
}

// RSA-PSS, Ed25519 and curves WebCrypto names differently go through pkijs' engine.
async function verifyWithPkijs(
  data: Uint8Array,
  signature: Uint8Array,
  algorithm: asn1js.AsnType,
  signer: CertificateInfo,
  oid: string,
): Promise<boolean> {
  try {
    return await pkijs
      .getCrypto(true)
      .verifyWithPublicKey(
        exactBuffer(data),
        new asn1js.BitString({ valueHex: signature }),
        pkijsCertificate(signer).subjectPublicKeyInfo,
        new pkijs.AlgorithmIdentifier({ schema: algorithm }),
      );
  } catch (cause) {
    throw new OcspError(
      'ERR_OCSP_UNSUPPORTED_ALGORITHM',
      `cannot verify signature algorithm ${oid}`,
      {
        cause,
      },
    );
  }
}

// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3), to WebCrypto's r||s.
function ecdsaRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const seq = readTlv(der, 0, 'ECDSA signature');
    if (seq.tag !== 0x30 || seq.end !== der.length) return undefined;
    const r = readTlv(der, seq.contentStart, 'ECDSA signature');
    const s = readTlv(der, r.end, 'ECDSA signature');
    if (r.tag !== 0x02 || s.tag !== 0x02 || s.end !== seq.end) return undefined;
    const out = new Uint8Array(size * 2);
    for (const [part, at] of [
      [r, 0],
      [s, size],
    ] as const) {
      let value = der.subarray(part.contentStart, part.end);
      while (value.length > 1 && value[0] === 0) value = value.subarray(1);
      if (value.length > size) return undefined;
      out.set(value, at + size - value.length);
    }
    return out;
  } catch {
    return undefined;
  }
}
