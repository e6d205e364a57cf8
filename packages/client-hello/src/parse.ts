import { Cursor } from './cursor.js';
import { ClientHelloError } from './errors.js';
import { isGrease } from './grease.js';
import { RECORD_HEADER, scanRecords } from './records.js';
import type { ClientHello, KeyShareEntry, RawExtension } from './types.js';

/** Extension code points this parser decodes (IANA TLS ExtensionType Values). */
export const EXTENSION = {
  serverName: 0,
  statusRequest: 5,
  supportedGroups: 10,
  ecPointFormats: 11,
  signatureAlgorithms: 13,
  alpn: 16,
  statusRequestV2: 17,
  encryptThenMac: 22,
  extendedMasterSecret: 23,
  compressCertificate: 27,
  recordSizeLimit: 28,
  sessionTicket: 35,
  preSharedKey: 41,
  earlyData: 42,
  supportedVersions: 43,
  pskKeyExchangeModes: 45,
  signatureAlgorithmsCert: 50,
  keyShare: 51,
  encryptedClientHello: 0xfe0d,
  renegotiationInfo: 0xff01,
} as const;

export interface ParseClientHelloOptions {
  /**
   * Bytes after the records holding the hello are left alone instead of refused: for what a
   * server read from a connection, where the client may have sent more behind its hello.
   */
  readonly allowTrailingBytes?: boolean;
}

/**
 * Parses a ClientHello from the start of a TLS connection: one or more handshake records
 * holding exactly one ClientHello message. Pure and synchronous; works on any Uint8Array.
 * Throws ClientHelloError (with the byte offset) for anything else, including a hello that is
 * not complete yet (`ERR_CLIENT_HELLO_TRUNCATED`), and bytes after its records unless
 * `allowTrailingBytes` (`ERR_CLIENT_HELLO_TRAILING_BYTES`).
 *
 * @example
 * const hello = parseClientHello(firstBytes);
 * hello.serverName; // 'example.com'
 */
export function parseClientHello(
  records: Uint8Array,
  options?: ParseClientHelloOptions,
): ClientHello {
  const scan = scanRecords(records);
  if (!scan.complete) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_TRUNCATED', 'the ClientHello is not complete', {
      offset: records.length,
    });
  }
  if (scan.recordBytes !== records.length && options?.allowTrailingBytes !== true) {
    throw new ClientHelloError(
      'ERR_CLIENT_HELLO_TRAILING_BYTES',
      `${records.length - scan.recordBytes} bytes after the ClientHello records`,
      { offset: scan.recordBytes },
    );
  }
  return parseScannedHello(records, scan.message);
}

/**
 * The hello `scanRecords(records)` found complete (its `message`), parsed: for a reader that
 * has scanned the records already.
 */
export function parseScannedHello(records: Uint8Array, message: Uint8Array): ClientHello {
  // Offsets are exact in the input when the hello sits in one record (the usual case), and
  // relative to the reassembled message otherwise.
  const single = message.byteOffset === records.byteOffset + RECORD_HEADER;
  return parseHello(message, single ? RECORD_HEADER : 0);
}

/**
 * Parses a bare ClientHello handshake message (type, 24-bit length, body), as found inside
 * records or in a capture that has already been reassembled.
 */
export function parseClientHelloMessage(message: Uint8Array): ClientHello {
  return parseHello(message, 0);
}

function parseHello(message: Uint8Array, base: number): ClientHello {
  const top = new Cursor(message, 0, message.length, base);
  const type = top.u8('handshake type');
  if (type !== 1) {
    throw new ClientHelloError(
      'ERR_CLIENT_HELLO_UNEXPECTED_MESSAGE',
      `handshake message type ${type} is not ClientHello (1)`,
      { offset: base },
    );
  }
  const length = top.u24('handshake length');
  if (length > top.remaining) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_TRUNCATED', 'the ClientHello is not complete', {
      offset: top.at,
    });
  }
  if (length < top.remaining) {
    throw new ClientHelloError(
      'ERR_CLIENT_HELLO_TRAILING_BYTES',
      `${top.remaining - length} bytes after the ClientHello`,
      { offset: top.at + length },
    );
  }
  const c = top.sub(length, 'ClientHello');

  // RFC 8446 §4.1.2
  const legacyVersion = c.u16('legacy_version');
  const random = c.copy(32, 'random');
  const sessionIdCursor = c.vector(1, 'legacy_session_id');
  if (sessionIdCursor.remaining > 32) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'session id longer than 32 bytes', {
      offset: sessionIdCursor.at - 1,
    });
  }
  const sessionId = sessionIdCursor.copy(sessionIdCursor.remaining, 'legacy_session_id');
  const suites = c.vector(2, 'cipher_suites');
  if (suites.remaining === 0 || suites.remaining % 2 !== 0) {
    throw new ClientHelloError(
      'ERR_CLIENT_HELLO_MALFORMED',
      'cipher_suites length must be even and non-zero',
      {
        offset: suites.at - 2,
      },
    );
  }
  const cipherSuites = u16s(suites, 'cipher suite');
  const compression = c.vector(1, 'legacy_compression_methods');
  if (compression.remaining === 0) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'no compression method', {
      offset: compression.at - 1,
    });
  }
  const compressionMethods = u8s(compression, 'compression method');

  // Every field is present from the start (undefined until decoded) so that all hellos share
  // one object shape: the parser runs once per connection, and a stable shape keeps it fast.
  const hello: Mutable<ClientHello> = {
    legacyVersion,
    random,
    sessionId,
    cipherSuites,
    compressionMethods,
    extensions: [],
    serverName: undefined,
    alpn: undefined,
    supportedVersions: undefined,
    signatureAlgorithms: undefined,
    signatureAlgorithmsCert: undefined,
    supportedGroups: undefined,
    ecPointFormats: undefined,
    keyShares: undefined,
    statusRequest: undefined,
    statusRequestV2: undefined,
    pskKeyExchangeModes: undefined,
    preSharedKey: false,
    earlyData: false,
    renegotiationInfo: cipherSuites.includes(0x00ff),
    extendedMasterSecret: false,
    encryptThenMac: false,
    sessionTicket: false,
    sessionTicketLength: 0,
    recordSizeLimit: undefined,
    compressCertificate: undefined,
    echOuter: false,
  };
  // A hello without extensions is legal (RFC 5246 §7.4.1.2, before TLS 1.3).
  if (c.remaining === 0) return hello;

  const list = c.vector(2, 'extensions');
  c.done('ClientHello');
  const extensions: RawExtension[] = [];
  // One cursor for every extension body, moved from one to the next.
  const body = new Cursor(list.bytes, 0, 0, list.base);
  while (list.remaining > 0) {
    const at = list.at;
    const extType = list.u16('extension type');
    const length = list.u16('extension length');
    const start = list.offset;
    list.skip(length, 'extension');
    if (seenBefore(extensions, extType)) {
      // RFC 8446 §4.2: "There MUST NOT be more than one extension of the same type."
      throw new ClientHelloError(
        'ERR_CLIENT_HELLO_DUPLICATE_EXTENSION',
        `extension ${extType} appears twice`,
        { offset: at },
      );
    }
    extensions.push(new WireExtension(extType, list.bytes, start, start + length));
    switch (extType) {
      // Presence-only extensions, whose extension_data must be empty.
      case EXTENSION.extendedMasterSecret:
      case EXTENSION.encryptThenMac:
      case EXTENSION.earlyData:
        if (length !== 0) {
          throw new ClientHelloError(
            'ERR_CLIENT_HELLO_MALFORMED',
            `extension ${extType} must be empty`,
            {
              offset: at,
            },
          );
        }
        if (extType === EXTENSION.extendedMasterSecret) hello.extendedMasterSecret = true;
        else if (extType === EXTENSION.encryptThenMac) hello.encryptThenMac = true;
        else hello.earlyData = true;
        break;
      case EXTENSION.sessionTicket:
        // RFC 5077 §3.2: empty to ask for a ticket, or the ticket being resumed.
        hello.sessionTicket = true;
        hello.sessionTicketLength = length;
        break;
      case EXTENSION.preSharedKey:
        hello.preSharedKey = true;
        break;
      case EXTENSION.encryptedClientHello:
        hello.echOuter = true;
        break;
      default:
        // Only the extensions we decode get a cursor; the others are kept raw, unread.
        if (DECODED.has(extType)) {
          decodeExtension(hello, extType, body.reset(start, start + length));
        }
    }
  }
  hello.extensions = extensions;
  return hello;
}

const DECODED = new Set<number>([
  EXTENSION.serverName,
  EXTENSION.statusRequest,
  EXTENSION.statusRequestV2,
  EXTENSION.supportedGroups,
  EXTENSION.ecPointFormats,
  EXTENSION.signatureAlgorithms,
  EXTENSION.signatureAlgorithmsCert,
  EXTENSION.alpn,
  EXTENSION.supportedVersions,
  EXTENSION.keyShare,
  EXTENSION.pskKeyExchangeModes,
  EXTENSION.recordSizeLimit,
  EXTENSION.compressCertificate,
  EXTENSION.renegotiationInfo,
]);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A RawExtension whose `data` view is made when first read: a hello has 15-20 extensions, and
 * making a typed-array view for each on every parse would cost more than the rest of it.
 */
class WireExtension implements RawExtension {
  readonly type: number;
  readonly grease: boolean;
  // TypeScript-private rather than #private: V8 creates plain properties faster.
  private readonly bytes: Uint8Array;
  private readonly start: number;
  private readonly end: number;
  private view: Uint8Array | undefined;

  constructor(type: number, bytes: Uint8Array, start: number, end: number) {
    this.type = type;
    this.grease = isGrease(type);
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.view = undefined;
  }

  get data(): Uint8Array {
    this.view ??= this.bytes.subarray(this.start, this.end);
    return this.view;
  }

  toJSON() {
    return { type: this.type, data: this.data, grease: this.grease };
  }
}

function seenBefore(extensions: readonly RawExtension[], type: number): boolean {
  for (let i = 0; i < extensions.length; i++) if (extensions[i]!.type === type) return true;
  return false;
}

// The list readers below read a length-prefixed list in place, without a sub-cursor, with the
// errors `c.vector` and a sub-cursor would give.

function u16List(c: Cursor, lengthBytes: 1 | 2, what: string, allowEmpty = false): number[] {
  const length = lengthBytes === 1 ? c.u8(what) : c.u16(what);
  const start = c.offset;
  c.skip(length, what);
  if ((!allowEmpty && length === 0) || length % 2 !== 0) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', `${what}: bad list length`, {
      offset: c.base + start - lengthBytes,
    });
  }
  return u16sAt(c.bytes, start, length >> 1);
}

function u8List(c: Cursor, what: string): number[] {
  const length = c.u8(what);
  const start = c.offset;
  c.skip(length, what);
  if (length === 0) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', `${what}: empty list`, {
      offset: c.base + start - 1,
    });
  }
  return u8sAt(c.bytes, start, length);
}

// Lists are made at their final size: pushing onto an empty array gives it room for 17, which
// for the one-entry lists of a hello is most of what parsing it allocates.

/** The rest of `list` as 2-byte values (its length is even: checked by the caller). */
function u16s(list: Cursor, what: string): number[] {
  const out = u16sAt(list.bytes, list.offset, list.remaining >> 1);
  list.skip(list.remaining, what);
  return out;
}

/** The rest of `list` as bytes. */
function u8s(list: Cursor, what: string): number[] {
  const out = u8sAt(list.bytes, list.offset, list.remaining);
  list.skip(list.remaining, what);
  return out;
}

/** `count` 2-byte values from `start` (in bounds: checked by the caller). */
function u16sAt(bytes: Uint8Array, start: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = (bytes[start + 2 * i]! << 8) | bytes[start + 2 * i + 1]!;
  return out;
}

/** `count` bytes from `start` (in bounds: checked by the caller). */
function u8sAt(bytes: Uint8Array, start: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = bytes[start + i]!;
  return out;
}

const TEXT = new TextDecoder('utf-8', { fatal: true });

function ascii(bytes: Uint8Array, what: string, offset: number): string {
  // Host names and protocol ids are ASCII in practice: build those directly (TextDecoder costs
  // more than the rest of the parse for such short strings); decode anything else as UTF-8.
  let plain = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      plain = false;
      break;
    }
  }
  // One string made at once (a string built a char at a time is one string per char); names
  // are at most 255 bytes (ALPN) or 65535 (server_name): within apply's argument limit.
  if (plain) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  try {
    return TEXT.decode(bytes);
  } catch (cause) {
    throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', `${what} is not valid UTF-8`, {
      offset,
      cause,
    });
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return validUtf8(bytes);
  return true;
}

function validUtf8(bytes: Uint8Array): boolean {
  try {
    TEXT.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
}

function hasControlOrSpace(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) <= 0x20) return true;
  return false;
}

/** One `case` per extension, with its RFC section, as Go's handshake_messages.go does. */
function decodeExtension(hello: Mutable<ClientHello>, type: number, c: Cursor): void {
  switch (type) {
    case EXTENSION.serverName: {
      // RFC 6066 §3: a list of (name_type, name); host_name is type 0. An empty body is what a
      // server sends back; a client must send a name.
      const list = c.vector(2, 'server_name list');
      c.done('server_name');
      while (list.remaining > 0) {
        const nameType = list.u8('server_name type');
        const at = list.at;
        const name = list.vector(2, 'server_name');
        const bytes = name.take(name.remaining, 'server_name');
        if (nameType === 0) {
          if (hello.serverName !== undefined) {
            throw new ClientHelloError(
              'ERR_CLIENT_HELLO_MALFORMED',
              'two host_names in server_name',
              { offset: at },
            );
          }
          const host = ascii(bytes, 'server_name', at);
          if (host.length === 0 || host.endsWith('.') || hasControlOrSpace(host)) {
            throw new ClientHelloError(
              'ERR_CLIENT_HELLO_MALFORMED',
              'invalid host_name in server_name',
              {
                offset: at,
              },
            );
          }
          hello.serverName = host;
        }
      }
      return;
    }
    case EXTENSION.statusRequest: {
      // RFC 6066 §8: status_type, then (for ocsp) responder_id_list and request_extensions.
      const statusType = c.u8('status_request type');
      if (statusType === 1) {
        c.vector(2, 'responder_id_list');
        c.vector(2, 'request_extensions');
      } else {
        c.skip(c.remaining, 'status_request');
      }
      c.done('status_request');
      hello.statusRequest = { statusType };
      return;
    }
    case EXTENSION.statusRequestV2: {
      // RFC 6961 §2.2: a list of (status_type, request_length, request).
      const list = c.vector(2, 'status_request_v2 list');
      c.done('status_request_v2');
      const types: number[] = [];
      while (list.remaining > 0) {
        types.push(list.u8('status_request_v2 type'));
        list.vector(2, 'status_request_v2 request');
      }
      hello.statusRequestV2 = types;
      return;
    }
    case EXTENSION.supportedGroups:
      hello.supportedGroups = u16List(c, 2, 'supported_groups');
      break;
    case EXTENSION.ecPointFormats:
      hello.ecPointFormats = u8List(c, 'ec_point_formats');
      break;
    case EXTENSION.signatureAlgorithms:
      hello.signatureAlgorithms = u16List(c, 2, 'signature_algorithms');
      break;
    case EXTENSION.signatureAlgorithmsCert:
      hello.signatureAlgorithmsCert = u16List(c, 2, 'signature_algorithms_cert');
      break;
    case EXTENSION.alpn: {
      // RFC 7301 §3.1: a non-empty list of non-empty protocol names.
      const list = c.vector(2, 'ALPN list');
      if (list.remaining === 0) {
        throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'empty ALPN list', {
          offset: list.at,
        });
      }
      const protocols: string[] = [];
      while (list.remaining > 0) {
        const at = list.at;
        const name = list.vector(1, 'ALPN protocol');
        if (name.remaining === 0) {
          throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'empty ALPN protocol name', {
            offset: at,
          });
        }
        // RFC 7301 §3.1: protocol names are opaque bytes. Names that are not UTF-8 are kept
        // byte for byte (one char per byte) rather than refused.
        const raw = name.take(name.remaining, 'ALPN protocol');
        protocols.push(isUtf8(raw) ? ascii(raw, 'ALPN protocol', at) : latin1(raw));
      }
      hello.alpn = protocols;
      break;
    }
    case EXTENSION.supportedVersions: {
      // RFC 8446 §4.2.1: in a ClientHello, a 1-byte-length list of 2-byte versions.
      const list = c.vector(1, 'supported_versions');
      if (list.remaining === 0 || list.remaining % 2 !== 0) {
        throw new ClientHelloError(
          'ERR_CLIENT_HELLO_MALFORMED',
          'supported_versions: bad list length',
          {
            offset: list.at - 1,
          },
        );
      }
      hello.supportedVersions = u16s(list, 'supported_versions');
      break;
    }
    case EXTENSION.keyShare: {
      // RFC 8446 §4.2.8: client_shares, each (group, key_exchange<1..2^16-1>).
      const list = c.vector(2, 'key_share');
      const shares: KeyShareEntry[] = [];
      while (list.remaining > 0) {
        const group = list.u16('key_share group');
        const at = list.at;
        const key = list.vector(2, 'key_exchange');
        if (key.remaining === 0) {
          throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'empty key_exchange', {
            offset: at,
          });
        }
        shares.push({ group, length: key.remaining });
      }
      hello.keyShares = shares;
      break;
    }
    case EXTENSION.pskKeyExchangeModes:
      hello.pskKeyExchangeModes = u8List(c, 'psk_key_exchange_modes');
      break;
    case EXTENSION.recordSizeLimit:
      // RFC 8449 §4: a 2-byte limit, at least 64.
      hello.recordSizeLimit = c.u16('record_size_limit');
      if (hello.recordSizeLimit < 64) {
        throw new ClientHelloError('ERR_CLIENT_HELLO_MALFORMED', 'record_size_limit below 64', {
          offset: c.at - 2,
        });
      }
      break;
    case EXTENSION.compressCertificate: {
      // RFC 8879 §3: a 1-byte-length list of 2-byte algorithms.
      const list = c.vector(1, 'compress_certificate');
      if (list.remaining === 0 || list.remaining % 2 !== 0) {
        throw new ClientHelloError(
          'ERR_CLIENT_HELLO_MALFORMED',
          'compress_certificate: bad list length',
          {
            offset: list.at - 1,
          },
        );
      }
      hello.compressCertificate = u16s(list, 'compress_certificate');
      break;
    }
    case EXTENSION.renegotiationInfo:
      // RFC 5746 §3.2: renegotiated_connection<0..255>, empty on an initial handshake.
      c.vector(1, 'renegotiation_info');
      hello.renegotiationInfo = true;
      break;
    default:
      c.skip(c.remaining, 'extension');
  }
  c.done('extension');
}
