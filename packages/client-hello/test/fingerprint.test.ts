import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ja3, ja4 } from '../src/fingerprint.js';
import { md5Hex } from '../src/md5.js';
import { parseClientHello } from '../src/parse.js';
import { sha256Hex } from '../src/sha256.js';
import type { ClientHello } from '../src/types.js';
import { ext, helloRecords, vec8, vec16 } from './build-hello.js';

type Extension = number | [number, Uint8Array];

interface Spec {
  legacyVersion?: number;
  ciphers: number[];
  /** Extension types in wire order; a bare type gets a plausible body of its kind. */
  extensions?: Extension[];
}

/** Builds the hello as bytes (record + handshake) and parses it with the real parser. */
function hello(spec: Spec): ClientHello {
  return parseClientHello(
    helloRecords({
      legacyVersion: spec.legacyVersion ?? 0x0303,
      cipherSuites: spec.ciphers,
      extensions: spec.extensions?.map((e) => (typeof e === 'number' ? withBody(e) : e)),
    }),
  );
}

const ascii = (text: string) => [...new TextEncoder().encode(text)];

function withBody(type: number): [number, Uint8Array] {
  switch (type) {
    case 0x0000:
      return ext.serverName('example.com');
    case 0x0005:
      return ext.statusRequest();
    case 0x000a:
      return ext.supportedGroups([0x001d, 0x0017, 0x0018]);
    case 0x000b:
      return ext.ecPointFormats([0]);
    case 0x000d:
      return ext.signatureAlgorithms(SPEC_SIGNATURES);
    case 0x0010:
      return ext.alpn(['h2', 'http/1.1']);
    case 0x0015:
      return [type, new Uint8Array(16)];
    case 0x001b:
      return [type, Uint8Array.from(vec8([0, 2]))];
    case 0x002b:
      return ext.supportedVersions([0x0304, 0x0303]);
    case 0x002d:
      return [type, Uint8Array.from([1, 1])];
    case 0x0033:
      return ext.keyShare([[0x001d, 32]]);
    case 0x4469:
    case 0x44cd:
      return [type, Uint8Array.from(vec16(vec8(ascii('h2'))))];
    case 0xfe0d:
      return [type, Uint8Array.from([0, 0, 1, 0, 1, 0x2a, ...vec16([1, 2, 3]), ...vec16([4, 5])])];
    case 0xff01:
      return [type, Uint8Array.from([0])];
    default:
      return [type, new Uint8Array()];
  }
}

/** A copy of a parsed hello with one extension's raw bytes replaced (for bytes the parser refuses). */
function withExtensionData(parsed: ClientHello, type: number, data: number[]): ClientHello {
  return {
    ...parsed,
    extensions: parsed.extensions.map((e) =>
      e.type === type ? { type, data: Uint8Array.from(data), grease: false } : e,
    ),
  };
}

const sha12 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

// FoxIO-LLC/ja4, technical_details/JA4.md, "Example" and "Raw Output".
const SPEC_CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
  0x009d, 0x002f, 0x0035,
];
const SPEC_EXTENSIONS = [
  0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b,
  0xff01, 0x000b, 0x000a, 0x0015,
];
const SPEC_SIGNATURES = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const specHello = () => hello({ ciphers: SPEC_CIPHERS, extensions: SPEC_EXTENSIONS });

describe('ja4', () => {
  it('matches the JA4 specification example, hashed and raw, sorted and original', () => {
    expect(ja4(specHello())).toEqual({
      fingerprint: 't13d1516h2_8daaf6152771_e5627efa2ab1',
      raw:
        't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
      original: 't13d1516h2_acb858a92679_18f69afefd3d',
      rawOriginal:
        't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_' +
        '001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
    });
  });

  it('ends the extension part without an underscore when there are no signature algorithms', () => {
    // JA4.md: "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01 = 6d807ffa2a79"
    const result = ja4({ ...specHello(), signatureAlgorithms: undefined });
    expect(result.fingerprint).toBe('t13d1516h2_8daaf6152771_6d807ffa2a79');
    expect(result.raw.split('_')).toEqual([
      't13d1516h2',
      '002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9',
      '0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01',
    ]);
  });

  it("matches FoxIO's golden for Chromium with GREASE in signature_algorithms", () => {
    // FoxIO-LLC/ja4 test data sigalg-grease.pcapng (python/test/testdata/*.json, rust snapshot).
    const grease = hello({
      ciphers: [0x3a3a, ...SPEC_CIPHERS],
      extensions: [
        [0x6a6a, new Uint8Array()],
        0xfe0d,
        ext.alpn(['h2', 'http/1.1']),
        0x0017,
        ext.keyShare([
          [0x4a4a, 1],
          [0x11ec, 1216],
          [0x001d, 32],
        ]),
        0x44cd,
        0xff01,
        ext.supportedGroups([0x4a4a, 0x11ec, 0x001d, 0x0017, 0x0018]),
        ext.signatureAlgorithms([0x9a9a, 0x0904, 0x0905, 0x0906, ...SPEC_SIGNATURES]),
        0x0023,
        ext.supportedVersions([0xbaba, 0x0304, 0x0303]),
        0x000b,
        [0xca34, Uint8Array.from([0, 1, 0])],
        0x002d,
        ext.serverName('optimizationguide-pa.googleapis.com'),
        0x0005,
        0x001b,
        0x0012,
        [0x0a0a, Uint8Array.from([0])],
      ],
    });
    expect(ja4(grease)).toEqual({
      fingerprint: 't13d1517h2_8daaf6152771_cb7bf5808d99',
      raw:
        't13d1517h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,ca34,fe0d,ff01_' +
        '0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601',
      original: 't13d1517h2_acb858a92679_88bf22a3e888',
      rawOriginal:
        't13d1517h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_' +
        'fe0d,0010,0017,0033,44cd,ff01,000a,000d,0023,002b,000b,ca34,002d,0000,0005,001b,0012_' +
        '0904,0905,0906,0403,0804,0401,0503,0805,0501,0806,0601',
    });
  });

  it('gives the same fingerprints with GREASE values inserted anywhere', () => {
    const plain = specHello();
    const grease = hello({
      ciphers: [0x0a0a, ...SPEC_CIPHERS.slice(0, 5), 0xdada, ...SPEC_CIPHERS.slice(5)],
      extensions: [
        [0x2a2a, new Uint8Array()],
        ...SPEC_EXTENSIONS.slice(0, 8).map((type) =>
          type === 0x000d ? ext.signatureAlgorithms([0x5a5a, ...SPEC_SIGNATURES]) : type,
        ),
        [0x7a7a, Uint8Array.from([1, 2, 3])],
        ...SPEC_EXTENSIONS.slice(8).map((type) => {
          if (type === 0x000a) return ext.supportedGroups([0x8a8a, 0x001d, 0x0017, 0x0018]);
          if (type === 0x002b) return ext.supportedVersions([0xeaea, 0x0304, 0x0303]);
          return type;
        }),
        [0xfafa, Uint8Array.from([0])],
      ],
    });
    expect(grease.cipherSuites).toHaveLength(17);
    expect(grease.extensions).toHaveLength(19);
    expect(ja4(grease)).toEqual(ja4(plain));
    expect(ja3(grease)).toEqual(ja3(plain));
  });

  it("marks a hello without SNI with 'i' and keeps its hashes", () => {
    const result = ja4(
      hello({ ciphers: SPEC_CIPHERS, extensions: SPEC_EXTENSIONS.filter((t) => t !== 0x0000) }),
    );
    // SNI is counted but never hashed, so only the first part changes.
    expect(result.fingerprint).toBe('t13i1515h2_8daaf6152771_e5627efa2ab1');
  });

  it("prints '00' for the ALPN of a hello without ALPN", () => {
    const result = ja4(
      hello({ ciphers: SPEC_CIPHERS, extensions: SPEC_EXTENSIONS.filter((t) => t !== 0x0010) }),
    );
    expect(result.fingerprint).toBe('t13d151500_8daaf6152771_e5627efa2ab1');
  });

  it('fingerprints a TLS 1.2-only hello by its legacy_version', () => {
    const result = ja4(
      hello({
        legacyVersion: 0x0303,
        ciphers: [0xc02f, 0xc02b, 0x009c, 0x00ff],
        extensions: [
          0x0000,
          0x000b,
          0x000a,
          0x0023,
          ext.alpn(['http/1.1']),
          0x0016,
          0x0017,
          ext.signatureAlgorithms([0x0401, 0x0403, 0x0201]),
        ],
      }),
    );
    const ciphers = '009c,00ff,c02b,c02f';
    const extensions = '000a,000b,000d,0016,0017,0023';
    expect(result.raw).toBe(`t12d0408h1_${ciphers}_${extensions}_0401,0403,0201`);
    expect(result.fingerprint).toBe(
      `t12d0408h1_${sha12(ciphers)}_${sha12(`${extensions}_0401,0403,0201`)}`,
    );
  });

  it.each([
    [0x0301, undefined, '10'],
    [0x0302, undefined, '11'],
    [0x0300, undefined, 's3'],
    [0x0305, undefined, '00'],
    [0x0303, [0x0302, 0x0304, 0x0303], '13'],
    [0x0303, [0x7f1c], '00'],
    [0x0301, [0x1a1a], '10'],
  ])('reads version %s with supported_versions %j as %s', (legacyVersion, versions, expected) => {
    const result = ja4(
      hello({
        legacyVersion,
        ciphers: [0x002f],
        extensions: versions ? [ext.supportedVersions(versions)] : [0x0017],
      }),
    );
    expect(result.fingerprint.slice(1, 3)).toBe(expected);
  });

  it.each([
    [ascii('h2'), 'h2'],
    [ascii('http/1.1'), 'h1'],
    [ascii('h3'), 'h3'],
    [ascii('x'), 'xx'],
    // JA4.md "ALPN Extension Value": hex of the bytes when the first or last is not alphanumeric.
    [[0xab], 'ab'],
    [[0xab, 0xcd], 'ad'],
    [[0x30, 0xab], '3b'],
    [[0x30, 0x31, 0xab, 0xcd], '3d'],
    [[0x30, 0xab, 0xcd, 0x31], '01'],
    [ascii('/h2'), '22'],
  ])('takes the ALPN characters of %j as %s', (protocol, expected) => {
    const parsed = withExtensionData(specHello(), 0x0010, vec16(vec8(protocol)));
    expect(ja4(parsed).fingerprint.slice(8, 10)).toBe(expected);
  });

  it("prints '00' for an empty or malformed first ALPN protocol", () => {
    for (const data of [[], [0, 0], [0, 1, 0], [0, 5, 4, 0x68]]) {
      expect(ja4(withExtensionData(specHello(), 0x0010, data)).fingerprint.slice(8, 10)).toBe('00');
    }
  });

  it("hashes empty lists as '000000000000'", () => {
    const bare = hello({ ciphers: [0x1301] });
    expect(ja4(bare)).toEqual({
      fingerprint: `t12i010000_${sha12('1301')}_000000000000`,
      raw: 't12i010000_1301_',
      original: `t12i010000_${sha12('1301')}_000000000000`,
      rawOriginal: 't12i010000_1301_',
    });
    const onlyGrease = hello({ ciphers: [0x0a0a], extensions: [0x0000, 0x0010] });
    expect(ja4(onlyGrease).fingerprint).toBe('t12d0002h2_000000000000_000000000000');
    expect(ja4(onlyGrease).original).toBe(`t12d0002h2_000000000000_${sha12('0000,0010')}`);
  });

  it('caps the counts at 99', () => {
    const many = hello({
      ciphers: Array.from({ length: 120 }, (_, i) => 0x0100 + i),
      extensions: Array.from({ length: 105 }, (_, i) => 0x1000 + i),
    });
    expect(ja4(many).fingerprint.slice(0, 10)).toBe('t12i999900');
  });

  it("uses 'q' for QUIC, given or seen in quic_transport_parameters", () => {
    expect(ja4(specHello(), { transport: 'quic' }).fingerprint).toBe(
      'q13d1516h2_8daaf6152771_e5627efa2ab1',
    );
    const quic = hello({
      ciphers: [0x1301, 0x1302, 0x1303],
      extensions: [0x0000, ext.alpn(['h3']), 0x002b, 0x0033, [0x0039, Uint8Array.from([1, 1, 0])]],
    });
    expect(ja4(quic).fingerprint.slice(0, 10)).toBe('q13d0305h3');
    expect(ja4(quic, { transport: 'tcp' }).fingerprint.slice(0, 10)).toBe('t13d0305h3');
  });
});

describe('ja3', () => {
  it("matches salesforce/ja3's README examples", () => {
    const withExtensions = hello({
      legacyVersion: 0x0301,
      ciphers: [47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
      extensions: [0x0000, ext.supportedGroups([23, 24, 25]), ext.ecPointFormats([0])],
    });
    expect(ja3(withExtensions)).toEqual({
      string: '769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0',
      hash: 'ada70206e40642a3e4461f35503241d5',
    });
    const withoutExtensions = hello({
      legacyVersion: 0x0301,
      ciphers: [4, 5, 10, 9, 100, 98, 3, 6, 19, 18, 99],
    });
    expect(ja3(withoutExtensions)).toEqual({
      string: '769,4-5-10-9-100-98-3-6-19-18-99,,,',
      hash: 'de350869b8c85de67a350c8d186f11e6',
    });
  });

  it('matches a published Chrome 143 capture, JA3 and JA4 alike, GREASE removed', () => {
    // browserleaks.com/tls output for Chrome 143 (as kept in service0427/v2_cp_app, tls.md).
    const chrome = hello({
      ciphers: [0x2a2a, ...SPEC_CIPHERS],
      extensions: [
        [0xdada, new Uint8Array()],
        0x002d,
        ext.keyShare([
          [0x9a9a, 1],
          [0x11ec, 1216],
          [0x001d, 32],
        ]),
        ext.alpn(['h2', 'http/1.1']),
        0xfe0d,
        0x0017,
        0x44cd,
        ext.serverName('tls.browserleaks.com'),
        0x000b,
        ext.supportedGroups([0x9a9a, 0x11ec, 0x001d, 0x0017, 0x0018]),
        ext.supportedVersions([0x6a6a, 0x0304, 0x0303]),
        0xff01,
        0x0023,
        0x0012,
        0x0005,
        0x000d,
        0x001b,
        [0x8a8a, Uint8Array.from([0])],
      ],
    });
    expect(ja3(chrome)).toEqual({
      string:
        '771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,' +
        '45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0',
      hash: '98487aa16281980e7d1120d399efb6a4',
    });
    expect(ja4(chrome)).toEqual({
      fingerprint: 't13d1516h2_8daaf6152771_d8a2da3f94cd',
      raw:
        't13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_' +
        '0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,ff01_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
      original: 't13d1516h2_acb858a92679_f96a17c57971',
      rawOriginal:
        't13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_' +
        '002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b_' +
        '0403,0804,0401,0503,0805,0501,0806,0601',
    });
  });

  it('keeps the client order and leaves absent lists empty', () => {
    const result = ja3(
      hello({ ciphers: [0xc030, 0x1301], extensions: [ext.supportedVersions([0x0304]), 0x0017] }),
    );
    expect(result.string).toBe('771,49200-4865,43-23,,');
    expect(result.hash).toBe(createHash('md5').update(result.string).digest('hex'));
  });
});

describe('md5Hex and sha256Hex', () => {
  it('match the RFC 1321 and FIPS 180-2 test vectors', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(md5Hex(text(''))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5Hex(text('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(md5Hex(text('message digest'))).toBe('f96b697d7cb7938d525a2f31aaf161d0');
    expect(sha256Hex(text(''))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    expect(sha256Hex(text('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(sha256Hex(text('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agree with node:crypto on random inputs of every length around the block edges', () => {
    for (let length = 0; length <= 300; length++) {
      const data = new Uint8Array(randomBytes(length));
      expect(md5Hex(data)).toBe(createHash('md5').update(data).digest('hex'));
      expect(sha256Hex(data)).toBe(createHash('sha256').update(data).digest('hex'));
    }
    for (const length of [1000, 4096, 65_537, 1_000_003]) {
      const data = new Uint8Array(randomBytes(length));
      expect(md5Hex(data)).toBe(createHash('md5').update(data).digest('hex'));
      expect(sha256Hex(data)).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('hash a view into a larger buffer by its own bytes only', () => {
    const buffer = new Uint8Array(randomBytes(200));
    const view = buffer.subarray(37, 150);
    expect(md5Hex(view)).toBe(createHash('md5').update(view).digest('hex'));
    expect(sha256Hex(view)).toBe(createHash('sha256').update(view).digest('hex'));
  });
});
