/** Byte helpers that work on any runtime (no Buffer), so the codec runs on WebCrypto alone. */

const HEX = '0123456789ABCDEF';

/** Uppercase hex, as openssl prints hashes and serials. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += HEX[b >> 4]! + HEX[b & 15]!;
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new TypeError('not a hex string');
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Accepts standard and URL-safe alphabets, with or without padding and whitespace. */
export function fromBase64(text: string): Uint8Array {
  let clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new TypeError('not base64');
  clean = clean.replace(/=+$/, '');
  if (clean.length % 4 === 1) throw new TypeError('not base64');
  const binary = atob(clean + '='.repeat((4 - (clean.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy that owns its buffer (so callers never see or keep a view into a larger one). */
export function copyBytes(view: Uint8Array | ArrayBuffer): Uint8Array {
  return view instanceof ArrayBuffer ? new Uint8Array(view.slice(0)) : view.slice();
}

/** An ArrayBuffer holding exactly these bytes (pkijs and WebCrypto want whole buffers). */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return bytes.buffer as ArrayBuffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

/** Hex of an INTEGER's content octets with the sign byte of a positive number dropped. */
export function serialToHex(content: Uint8Array): string {
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  return toHex(content.subarray(start));
}

/** INTEGER content octets for a positive serial given in hex (adds the sign byte if needed). */
export function serialFromHex(hex: string): Uint8Array {
  let bytes = fromHex(hex.length % 2 ? `0${hex}` : hex);
  if (bytes.length === 0) bytes = new Uint8Array([0]);
  if ((bytes[0]! & 0x80) !== 0) {
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes, 1);
    return out;
  }
  return bytes;
}
