import { ClientHelloError } from './errors.js';

export const RECORD_HEADER = 5;
const HANDSHAKE_RECORD = 22;
const CLIENT_HELLO = 1;
/** RFC 8446 §5.1: a record carries at most 2^14 bytes of plaintext. */
const MAX_RECORD = 16_384;

export type ScanResult =
  | { readonly complete: false }
  | {
      readonly complete: true;
      /** The ClientHello handshake message (header included), reassembled from its records. */
      readonly message: Uint8Array;
      /** Bytes of input that the records holding it take up. */
      readonly recordBytes: number;
    };

/**
 * Reads TLS records from the start of `input` until they hold one whole ClientHello handshake
 * message, however it is split (RFC 8446 §5.1 lets a handshake message span records). Returns
 * `complete: false` while more bytes are needed; throws ClientHelloError as soon as the input
 * cannot become a ClientHello (not TLS, SSLv2, a non-handshake record, another message).
 */
export function scanRecords(input: Uint8Array): ScanResult {
  if (input.length > 0) checkFirstByte(input);
  // Almost every hello sits in one record: the list of fragments is made for a second one only.
  let first: Uint8Array | undefined;
  let fragments: Uint8Array[] | undefined;
  let collected = 0;
  let messageLength = -1;
  let offset = 0;
  while (offset + RECORD_HEADER <= input.length) {
    const type = input[offset]!;
    if (type !== HANDSHAKE_RECORD) {
      throw new ClientHelloError(
        offset === 0 ? 'ERR_CLIENT_HELLO_NOT_TLS' : 'ERR_CLIENT_HELLO_NOT_HANDSHAKE',
        `record type ${type} where a handshake record (22) was expected`,
        { offset },
      );
    }
    const major = input[offset + 1]!;
    if (major !== 3) {
      throw new ClientHelloError(
        'ERR_CLIENT_HELLO_NOT_TLS',
        `record version ${major}.x is not TLS`,
        {
          offset: offset + 1,
        },
      );
    }
    const length = (input[offset + 3]! << 8) | input[offset + 4]!;
    if (length === 0 || length > MAX_RECORD) {
      throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', `record length ${length}`, {
        offset: offset + 3,
      });
    }
    const start = offset + RECORD_HEADER;
    if (start + length > input.length) return { complete: false };
    const fragment = input.subarray(start, start + length);
    if (first === undefined) {
      first = fragment;
    } else {
      fragments ??= [first];
      fragments.push(fragment);
    }
    collected += length;
    offset = start + length;
    if (messageLength < 0 && collected >= 4) {
      const head = first.length >= 4 ? first : firstBytes(fragments!, 4);
      if (head[0] !== CLIENT_HELLO) {
        throw new ClientHelloError(
          'ERR_CLIENT_HELLO_UNEXPECTED_MESSAGE',
          `handshake message type ${head[0]} is not ClientHello (1)`,
          { offset: RECORD_HEADER },
        );
      }
      messageLength = 4 + ((head[1]! << 16) | (head[2]! << 8) | head[3]!);
    }
    if (messageLength >= 0 && collected >= messageLength) {
      if (collected > messageLength) {
        throw new ClientHelloError(
          'ERR_CLIENT_HELLO_TRAILING_BYTES',
          `${collected - messageLength} bytes after the ClientHello in its records`,
          { offset: offset - (collected - messageLength) },
        );
      }
      const message = fragments === undefined ? first : concat(fragments, collected);
      return { complete: true, message, recordBytes: offset };
    }
  }
  return { complete: false };
}

function checkFirstByte(input: Uint8Array): void {
  const first = input[0]!;
  if (first === HANDSHAKE_RECORD) return;
  // SSLv2 record header: high bit set, then a 15-bit length; message type 1 (CLIENT-HELLO).
  if ((first & 0x80) !== 0 && (input.length < 3 || input[2] === 1)) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_SSLV2', 'an SSLv2-style ClientHello', {
      offset: 0,
    });
  }
  const looksLikeText = first >= 0x41 && first <= 0x5a; // 'A'..'Z': GET, POST, PRI * HTTP/2...
  throw new ClientHelloError(
    'ERR_CLIENT_HELLO_NOT_TLS',
    looksLikeText
      ? 'plain text (an HTTP request?) where TLS was expected'
      : `first byte ${first} is not a TLS handshake record`,
    { offset: 0 },
  );
}

function firstBytes(fragments: readonly Uint8Array[], count: number): Uint8Array {
  const out = new Uint8Array(count);
  let filled = 0;
  for (const fragment of fragments) {
    const part = fragment.subarray(0, count - filled);
    out.set(part, filled);
    filled += part.length;
    if (filled === count) break;
  }
  return out;
}

function concat(fragments: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const fragment of fragments) {
    out.set(fragment, at);
    at += fragment.length;
  }
  return out;
}
