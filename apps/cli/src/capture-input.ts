/**
 * A ClientHello capture as people save one: the raw bytes off the wire (starting with the TLS
 * record, or a bare handshake message from a decoder), or the same as hex (a hex dump, with
 * or without spaces or colons) or base64 (a log line).
 */
import { type ClientHello, parseClientHello, parseClientHelloMessage } from '@staple/client-hello';
import { fromBase64, fromHex } from '@staple/ocsp-codec';
import { CliError } from './errors.js';

export type CaptureEncoding = 'binary' | 'hex' | 'base64';
/** TLS records (what a socket reads first), or the handshake message without record headers. */
export type CaptureFraming = 'record' | 'handshake';

export interface Capture {
  readonly encoding: CaptureEncoding;
  readonly framing: CaptureFraming;
  /** The decoded bytes. */
  readonly bytes: Uint8Array;
  readonly hello: ClientHello;
}

/** TLS ContentType handshake (RFC 8446 §5.1) and HandshakeType client_hello (§4). */
const RECORD_HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;

export function parseCapture(data: Uint8Array): Capture {
  const { bytes, encoding } = decode(data);
  const framing: CaptureFraming | undefined =
    bytes[0] === RECORD_HANDSHAKE ? 'record' : bytes[0] === CLIENT_HELLO ? 'handshake' : undefined;
  if (!framing) {
    throw new CliError(
      'ERR_INPUT',
      'not a ClientHello: expected a TLS handshake record (0x16) or a ClientHello message ' +
        '(0x01), as bytes, hex or base64',
    );
  }
  const hello = framing === 'record' ? parseClientHello(bytes) : parseClientHelloMessage(bytes);
  return { encoding, framing, bytes, hello };
}

/**
 * Both framings start with a control byte, which no text does, so binary is told apart by its
 * first byte; text is hex when it can be (`16 03 01` is not base64 in practice: a record's
 * base64 starts with `FgM`), else base64.
 */
function decode(data: Uint8Array): { bytes: Uint8Array; encoding: CaptureEncoding } {
  if (data[0] === RECORD_HANDSHAKE || data[0] === CLIENT_HELLO) {
    return { bytes: data, encoding: 'binary' };
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(data).trim();
  const hex = text.replace(/0x/gi, '').replace(/[\s:,]+/g, '');
  if (hex !== '' && hex.length % 2 === 0 && /^[0-9a-f]+$/i.test(hex)) {
    return { bytes: fromHex(hex), encoding: 'hex' };
  }
  try {
    const bytes = fromBase64(text);
    if (bytes.length > 0) return { bytes, encoding: 'base64' };
  } catch {
    // Neither: the framing check below says what was expected.
  }
  return { bytes: data, encoding: 'binary' };
}
