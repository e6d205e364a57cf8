/**
 * Reads a file (or stdin for `-`) and turns it into DER. Accepted: DER as is, PEM (any label;
 * an OCSP one is preferred when there are several blocks), or bare base64, URL-encoded or not,
 * as copied from an OCSP GET request path (RFC 6960 Appendix A.1) or a log.
 */
import { createReadStream } from 'node:fs';
import { decodePem, fromBase64 } from '@staple/ocsp-codec';
import { CliError } from './errors.js';

export type InputFormat = 'der' | 'pem' | 'base64';
export type MessageKind = 'response' | 'request';

export interface Input {
  readonly der: Uint8Array;
  readonly format: InputFormat;
  /** What the PEM label says the data is, when it says so. */
  readonly kind?: MessageKind;
}

/**
 * The codec refuses messages over 1 MiB; base64 and PEM make that about 1.4 MiB of text. Reading
 * stops well past that so a wrong path (a disk image, /dev/zero) fails fast instead of filling
 * memory.
 */
export const MAX_INPUT_BYTES = 4 * 1024 * 1024;

const PEM_KINDS: Record<string, MessageKind> = {
  'OCSP RESPONSE': 'response',
  'OCSP REQUEST': 'request',
};

export async function readInput(
  path: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Input> {
  return detectFormat(await readBytes(path, stdin));
}

/** The bytes of a file, or of stdin for `-`, up to MAX_INPUT_BYTES. */
export async function readBytes(
  path: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<Uint8Array> {
  const name = path === '-' ? 'stdin' : path;
  return readLimited(path === '-' ? stdin : createReadStream(path), name);
}

async function readLimited(stream: NodeJS.ReadableStream, name: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
      size += bytes.length;
      if (size > MAX_INPUT_BYTES) {
        throw new CliError('ERR_INPUT', `${name} is larger than ${MAX_INPUT_BYTES} bytes`);
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('ERR_INPUT', `cannot read ${name}: ${systemReason(error)}`, {
      cause: error,
    });
  } finally {
    if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** `ENOENT: no such file or directory, open 'x'` → `no such file or directory`. */
export function systemReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^E[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '');
}

/**
 * DER always starts with a SEQUENCE tag (0x30); text starts with a letter, `-` or whitespace.
 * Anything that is neither PEM nor clean base64 goes to the decoder as DER, which then reports
 * precisely why it is not an OCSP message.
 */
export function detectFormat(bytes: Uint8Array): Input {
  if (bytes[0] === 0x30) return { der: bytes, format: 'der' };
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  if (text.includes('-----BEGIN ')) return fromPem(text);
  const base64 = urlDecode(text.replace(/\s+/g, ''));
  if (base64 !== '' && /^[A-Za-z0-9+/=_-]+$/.test(base64)) {
    try {
      return { der: fromBase64(base64), format: 'base64' };
    } catch {
      // Looked like base64 but is not (bad length): let the decoder say it is not DER.
    }
  }
  return { der: bytes, format: 'der' };
}

/** A GET request path has `+`, `/` and `=` percent-encoded. */
function urlDecode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function fromPem(text: string): Input {
  const blocks = decodePem(text);
  const block = blocks.find((b) => b.label in PEM_KINDS) ?? blocks[0];
  if (!block) throw new CliError('ERR_INPUT', 'PEM header found but no complete PEM block');
  const kind = PEM_KINDS[block.label];
  return { der: block.der, format: 'pem', ...(kind ? { kind } : {}) };
}
