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

/** Turns text-or-bytes into DER: PEM text, PEM as bytes, or DER as is. */
export function toDer(input: Uint8Array | string, label: string): Uint8Array {
  const text =
    typeof input === 'string'
      ? input
      : input[0] === 0x2d /* '-' */
        ? new TextDecoder().decode(input)
        : undefined;
  if (text === undefined) return input as Uint8Array;
  const block = decodePem(text).find((b) => b.label === label);
  if (!block) throw new OcspError('ERR_OCSP_MALFORMED', `no ${label} PEM block found`);
  return block.der;
}
