import { encodePem } from '@staple/ocsp-codec';

/** The key types the testkit issues certificates for. */
export type KeyType = 'rsa' | 'ecdsa-p256' | 'ecdsa-p384';

export type HashName = 'SHA-256' | 'SHA-384';

/** @internal */
export interface GeneratedKey {
  readonly privateKey: CryptoKey;
  /** SubjectPublicKeyInfo DER, ready to place in a certificate. */
  readonly spki: Uint8Array;
  readonly privateKeyPem: string;
}

// RSA-2048 with PKCS#1 v1.5 and SHA-256 is what nearly every public CA still issues; the curves
// follow CA/B Forum practice of pairing P-256 with SHA-256 and P-384 with SHA-384.
const ALGORITHMS: Record<KeyType, RsaHashedKeyGenParams | EcKeyGenParams> = {
  rsa: {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' },
  'ecdsa-p384': { name: 'ECDSA', namedCurve: 'P-384' },
};

/** @internal the hash a key of this type signs with. */
export function signatureHash(keyType: KeyType): HashName {
  return keyType === 'ecdsa-p384' ? 'SHA-384' : 'SHA-256';
}

/** @internal */
export function isKeyType(value: unknown): value is KeyType {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}

/**
 * @internal A fresh, extractable key pair. Extractable because tests and the demo hand the key
 * to OpenSSL and node:tls as PEM.
 */
export async function generateKey(keyType: KeyType): Promise<GeneratedKey> {
  const algorithm = ALGORITHMS[keyType];
  if (!algorithm) throw new TypeError(`unknown key type ${String(keyType)}`);
  const subtle = globalThis.crypto.subtle;
  const pair = (await subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const [spki, pkcs8] = await Promise.all([
    subtle.exportKey('spki', pair.publicKey),
    subtle.exportKey('pkcs8', pair.privateKey),
  ]);
  return {
    privateKey: pair.privateKey,
    spki: new Uint8Array(spki),
    privateKeyPem: encodePem(new Uint8Array(pkcs8), 'PRIVATE KEY'),
  };
}
