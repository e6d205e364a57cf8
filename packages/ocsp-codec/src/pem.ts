import { fromBase64, toBase64 } from './bytes.js';
import { OcspError } from './errors.js';

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block in the text, in order (a bundle of certificates, a key and a chain, ...). */
export function decodePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    const body = match[2]!
      .split(/\r?\n/)
      .filter((line) => !line.includes(':'))
      .join('');
    try {
      blocks.push({ label: match[1]!, der: fromBase64(body) });
    } catch (cause) {
      throw new OcspError('ERR_OCSP_MALFORMED', `PEM block ${match[1]} is not base64`, { cause });
    }
  }
  return blocks;
}

export function encodePem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BEGIN = [...'-----BEGIN '].map((c) => c.charCodeAt(0));

/**
 * The text of bytes that hold PEM, or undefined for DER. DER always starts with a SEQUENCE
 * (0x30); PEM files may start with other text than the `-----BEGIN` line (RFC 7468 §5.2:
 * `Bag Attributes` from openssl pkcs12, `subject=` lines, comments, a blank line), so a file
 * is PEM when it does not start with 0x30 and has a BEGIN line somewhere.
 */
export function pemText(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0x30 || indexOf(bytes, BEGIN) < 0) return undefined;
  return new TextDecoder().decode(bytes);
}

function indexOf(bytes: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Turns text-or-bytes into DER: PEM text, PEM as bytes, or DER as is. */
export function toDer(input: Uint8Array | string, label: string): Uint8Array {
  const text = typeof input === 'string' ? input : pemText(input);
  if (text === undefined) return input as Uint8Array;
  const block = decodePem(text).find((b) => b.label === label);
  if (!block) throw new OcspError('ERR_OCSP_MALFORMED', `no ${label} PEM block found`);
  return block.der;
}
