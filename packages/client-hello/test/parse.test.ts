import { describe, expect, it } from 'vitest';
import {
  type ClientHelloErrorCode,
  isClientHelloError,
  parseClientHello,
  parseClientHelloMessage,
} from '../src/index.js';
import { ext, helloMessage, helloRecords, modernHello, u16, vec16 } from './build-hello.js';

function failure(fn: () => unknown): { code: ClientHelloErrorCode; offset?: number } {
  try {
    fn();
  } catch (error) {
    if (!isClientHelloError(error)) throw error;
    return { code: error.code, ...(error.offset !== undefined ? { offset: error.offset } : {}) };
  }
  throw new Error('expected a ClientHelloError');
}

describe('parseClientHello', () => {
  it('reads every field and decodes the common extensions', () => {
    const hello = parseClientHello(
      helloRecords(
        modernHello([
          ext.empty(23),
          ext.empty(22),
          [0xff01, Uint8Array.from([0])],
          [28, Uint8Array.from(u16(16_385))],
          [27, Uint8Array.from([2, 0, 2])],
          [45, Uint8Array.from([1, 1])],
          ext.empty(35),
          [50, Uint8Array.from(vec16([4, 3]))],
          [17, Uint8Array.from(vec16([2, ...u16(4), 0, 0, 0, 0]))],
          [0xfe0d, Uint8Array.from([0, 1, 2])],
          [0x0a0a, new Uint8Array()],
        ]),
      ),
    );
    expect(hello.legacyVersion).toBe(0x0303);
    expect(hello.random).toHaveLength(32);
    expect(hello.sessionId).toHaveLength(32);
    expect(hello.cipherSuites).toEqual([0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030]);
    expect(hello.compressionMethods).toEqual([0]);
    expect(hello.serverName).toBe('example.test');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(hello.supportedVersions).toEqual([0x0304, 0x0303]);
    expect(hello.signatureAlgorithms).toEqual([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501]);
    expect(hello.signatureAlgorithmsCert).toEqual([0x0403]);
    expect(hello.supportedGroups).toEqual([0x1d, 0x17, 0x18]);
    expect(hello.ecPointFormats).toEqual([0]);
    expect(hello.keyShares).toEqual([{ group: 0x1d, length: 32 }]);
    expect(hello.statusRequest).toEqual({ statusType: 1 });
    expect(hello.statusRequestV2).toEqual([2]);
    expect(hello.pskKeyExchangeModes).toEqual([1]);
    expect(hello.recordSizeLimit).toBe(16_385);
    expect(hello.compressCertificate).toEqual([2]);
    expect(hello).toMatchObject({
      extendedMasterSecret: true,
      encryptThenMac: true,
      renegotiationInfo: true,
      sessionTicket: true,
      sessionTicketLength: 0,
      echOuter: true,
      preSharedKey: false,
      earlyData: false,
    });
    // Every extension in wire order, raw bytes kept, GREASE marked.
    expect(hello.extensions.map((e) => e.type)).toEqual([
      0, 10, 11, 13, 16, 5, 43, 51, 23, 22, 0xff01, 28, 27, 45, 35, 50, 17, 0xfe0d, 0x0a0a,
    ]);
    expect(hello.extensions.at(-1)).toMatchObject({ type: 0x0a0a, grease: true });
    expect(hello.extensions.filter((e) => e.grease)).toHaveLength(1);
    expect(hello.extensions[0]!.data).toEqual(ext.serverName('example.test')[1]);
  });

  it('reassembles a hello split across records, and parses the bare message the same', () => {
    const spec = modernHello();
    const one = parseClientHello(helloRecords(spec));
    const split = parseClientHello(helloRecords(spec, 17));
    expect(split).toEqual(one);
    expect(parseClientHelloMessage(helloMessage(spec))).toEqual(one);
  });

  it('accepts a hello without extensions (TLS 1.0-1.2)', () => {
    const hello = parseClientHello(helloRecords({ cipherSuites: [0x002f] }));
    expect(hello.extensions).toEqual([]);
    expect(hello.serverName).toBeUndefined();
  });

  it('refuses duplicate extensions with the offset of the second', () => {
    const records = helloRecords({ extensions: [ext.empty(23), ext.empty(23)] });
    const error = failure(() => parseClientHello(records));
    expect(error.code).toBe('ERR_CLIENT_HELLO_DUPLICATE_EXTENSION');
    // record header 5 + handshake header 4 + version 2 + random 32 + sid 33 + suites 8 +
    // compression 2 + extensions length 2 + first extension 4
    expect(error.offset).toBe(5 + 4 + 2 + 32 + 33 + 8 + 2 + 2 + 4);
  });

  it('refuses lengths that do not add up, trailing bytes and truncation, with offsets', () => {
    const good = helloRecords(modernHello());
    expect(failure(() => parseClientHello(good.subarray(0, good.length - 1))).code).toBe(
      'ERR_CLIENT_HELLO_TRUNCATED',
    );
    expect(failure(() => parseClientHello(Uint8Array.from([...good, 0]))).code).toBe(
      'ERR_CLIENT_HELLO_TRAILING_BYTES',
    );
    // What a server read may go on past the hello: allowed when asked, and the same hello.
    const more = Uint8Array.from([...good, 23, 3, 3, 0, 1, 0]);
    expect(parseClientHello(more, { allowTrailingBytes: true })).toEqual(parseClientHello(good));
    expect(
      failure(() => parseClientHello(more.subarray(0, 40), { allowTrailingBytes: true })).code,
    ).toBe('ERR_CLIENT_HELLO_TRUNCATED');
    // An extension whose inner list claims more than its body holds.
    const bad = failure(() =>
      parseClientHello(helloRecords({ extensions: [[10, Uint8Array.from([0, 9, 0, 0x1d])]] })),
    );
    expect(bad.code).toBe('ERR_CLIENT_HELLO_MALFORMED');
    expect(bad.offset).toBeGreaterThan(80);
    // Extension with a trailing byte inside its own body.
    expect(
      failure(() =>
        parseClientHello(helloRecords({ extensions: [[10, Uint8Array.from([0, 2, 0, 0x1d, 7])]] })),
      ).code,
    ).toBe('ERR_CLIENT_HELLO_MALFORMED');
    expect(failure(() => parseClientHello(helloRecords({ cipherSuites: [] }))).code).toBe(
      'ERR_CLIENT_HELLO_MALFORMED',
    );
  });

  it('says what the input is when it is not a ClientHello', () => {
    const http = new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(failure(() => parseClientHello(http))).toEqual({
      code: 'ERR_CLIENT_HELLO_NOT_TLS',
      offset: 0,
    });
    expect(
      failure(() => parseClientHello(Uint8Array.from([0x80, 0x2e, 0x01, 0x03, 0x01]))).code,
    ).toBe('ERR_CLIENT_HELLO_SSLV2');
    expect(failure(() => parseClientHello(Uint8Array.from([21, 3, 3, 0, 2, 2, 40]))).code).toBe(
      'ERR_CLIENT_HELLO_NOT_TLS',
    );
    const serverHello = helloRecords();
    serverHello[5] = 2;
    expect(failure(() => parseClientHello(serverHello)).code).toBe(
      'ERR_CLIENT_HELLO_UNEXPECTED_MESSAGE',
    );
    // A handshake record followed by an alert before the hello is complete.
    const first = helloRecords(modernHello(), 40).subarray(0, 45);
    expect(
      failure(() => parseClientHello(Uint8Array.from([...first, 21, 3, 3, 0, 2, 2, 40]))).code,
    ).toBe('ERR_CLIENT_HELLO_NOT_HANDSHAKE');
  });
});

describe('ALPN names that are not UTF-8', () => {
  it('are kept byte for byte (RFC 7301 ids are opaque), not refused', () => {
    const raw = Uint8Array.from([0x00, 0x04, 0x03, 0xff, 0xfe, 0x41]);
    const hello = parseClientHello(helloRecords({ extensions: [[16, raw]] }));
    expect(hello.alpn).toEqual(['\u00ff\u00feA']);
  });
});
