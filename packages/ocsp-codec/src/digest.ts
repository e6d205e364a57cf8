import { exactBuffer } from './bytes.js';
import type { HashAlgorithmName } from './types.js';

/** WebCrypto digest; the codec's only source of hashes, so it runs wherever WebCrypto does. */
export async function digest(algorithm: HashAlgorithmName, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await globalThis.crypto.subtle.digest(algorithm, exactBuffer(data)));
}
