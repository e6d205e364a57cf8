import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ext,
  type HelloSpec,
  helloMessage,
  helloRecords,
  vec8,
  vec16,
} from '../../../packages/client-hello/test/build-hello.js';
import type { HelloJson } from '../src/commands/hello.js';
import { run, runJson, tempDir } from './helpers.js';

// `staple hello` on ClientHellos built field by field (so the fingerprints can be worked out
// here, independently) and on one captured from a real `openssl s_client`.

let dir: ReturnType<typeof tempDir>;

beforeAll(() => {
  dir = tempDir('hello');
});

afterAll(() => {
  dir?.remove();
});

function file(name: string, data: string | Uint8Array): string {
  const path = join(dir.path, name);
  writeFileSync(path, data);
  return path;
}

// FoxIO-LLC/ja4 technical_details/JA4.md, "Example": its published JA4 is
// t13d1516h2_8daaf6152771_e5627efa2ab1.
const CIPHERS = [
  0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c,
  0x009d, 0x002f, 0x0035,
];
const SIGNATURES = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const GROUPS = [0x001d, 0x0017, 0x0018];
const EXTENSIONS: [number, Uint8Array][] = [
  [0x001b, Uint8Array.from(vec8([0, 2]))],
  ext.serverName('example.com'),
  ext.keyShare([[0x001d, 32]]),
  ext.alpn(['h2', 'http/1.1']),
  [0x4469, Uint8Array.from(vec16(vec8([...new TextEncoder().encode('h2')])))],
  ext.empty(0x0017),
  [0x002d, Uint8Array.from([1, 1])],
  ext.signatureAlgorithms(SIGNATURES),
  ext.statusRequest(),
  ext.empty(0x0023),
  ext.empty(0x0012),
  ext.supportedVersions([0x0304, 0x0303]),
  [0xff01, Uint8Array.from([0])],
  ext.ecPointFormats([0]),
  ext.supportedGroups(GROUPS),
  [0x0015, new Uint8Array(16)],
];
const SPEC: HelloSpec = { cipherSuites: CIPHERS, extensions: EXTENSIONS };

/** JA3 worked out from the fields put in, not from the parser: salesforce/ja3's definition. */
function expectedJa3(): { string: string; hash: string } {
  const string = [
    771,
    CIPHERS.join('-'),
    EXTENSIONS.map(([type]) => type).join('-'),
    GROUPS.join('-'),
    '0',
  ].join(',');
  return { string, hash: createHash('md5').update(string).digest('hex') };
}

/** The same hello with GREASE values (RFC 8701) in every list a browser puts them in. */
const GREASE_SPEC: HelloSpec = {
  cipherSuites: [0x0a0a, ...CIPHERS],
  extensions: [
    [0x2a2a, new Uint8Array()],
    ...EXTENSIONS.map(([type, data]): [number, Uint8Array] => {
      if (type === 0x000a) return ext.supportedGroups([0x8a8a, ...GROUPS]);
      if (type === 0x002b) return ext.supportedVersions([0xeaea, 0x0304, 0x0303]);
      if (type === 0x000d) return ext.signatureAlgorithms([0x5a5a, ...SIGNATURES]);
      return [type, data];
    }),
    [0xfafa, Uint8Array.from([0])],
  ],
};

describe('staple hello: a ClientHello built from known fields', () => {
  test('JA3 as computed here, JA4 as published, every field named', async () => {
    const { code, json, stderr } = await runJson<HelloJson>([
      'hello',
      file('spec.bin', helloRecords(SPEC)),
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(json.ja3).toEqual(expectedJa3());
    expect(json.ja4.fingerprint).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(json.input).toEqual({
      encoding: 'binary',
      framing: 'record',
      bytes: helloRecords(SPEC).length,
    });
    expect(json.legacyVersion).toEqual({ code: 0x0303, name: 'TLS 1.2', grease: false });
    expect(json.supportedVersions?.map((v) => v.name)).toEqual(['TLS 1.3', 'TLS 1.2']);
    expect(json.cipherSuites[0]).toEqual({
      code: 0x1301,
      name: 'TLS_AES_128_GCM_SHA256',
      grease: false,
    });
    expect(json.cipherSuites.map((c) => c.code)).toEqual(CIPHERS);
    expect(json.supportedGroups?.map((g) => g.name)).toEqual(['x25519', 'secp256r1', 'secp384r1']);
    expect(json.signatureAlgorithms?.[1]).toEqual({
      code: 0x0804,
      name: 'rsa_pss_rsae_sha256',
      grease: false,
    });
    expect(json.serverName).toBe('example.com');
    expect(json.alpn).toEqual(['h2', 'http/1.1']);
    expect(json.statusRequest).toEqual({ statusType: 1, ocsp: true });
    expect(json.keyShares).toEqual([
      { group: { code: 0x001d, name: 'x25519', grease: false }, length: 32 },
    ]);
    expect(json.extensions).toHaveLength(16);
    expect(json.extensions[3]).toEqual({
      code: 0x0010,
      name: 'application_layer_protocol_negotiation',
      grease: false,
      length: 14,
    });
    expect(json.grease).toEqual({
      cipherSuites: 0,
      extensions: 0,
      supportedVersions: 0,
      supportedGroups: 0,
      signatureAlgorithms: 0,
      keyShares: 0,
    });
    expect(json.signatureAlgorithmsCert).toBeNull();
  });

  test('GREASE: counted and marked, and left out of JA3 and JA4', async () => {
    const { json } = await runJson<HelloJson>([
      'hello',
      file('grease.bin', helloRecords(GREASE_SPEC)),
    ]);
    expect(json.ja3).toEqual(expectedJa3());
    expect(json.ja4.fingerprint).toBe('t13d1516h2_8daaf6152771_e5627efa2ab1');
    expect(json.grease).toEqual({
      cipherSuites: 1,
      extensions: 2,
      supportedVersions: 1,
      supportedGroups: 1,
      signatureAlgorithms: 1,
      keyShares: 0,
    });
    expect(json.cipherSuites[0]).toEqual({ code: 0x0a0a, name: 'GREASE (0x0a0a)', grease: true });
    const text = await run(['hello', file('grease.bin', helloRecords(GREASE_SPEC))]);
    expect(text.stdout).toMatch(
      /^ {2}GREASE: +yes: 1 in cipher suites, 2 in extensions, 1 in supported versions, 1 in supported groups, 1 in signature schemes$/m,
    );
    expect(text.stdout).toMatch(/^ {4}0x0a0a: +GREASE$/m);
  });

  test('the same hello as a bare handshake message, as hex, and as base64', async () => {
    const records = helloRecords(SPEC);
    const message = helloMessage(SPEC);
    const hexDump = Buffer.from(records)
      .toString('hex')
      .replace(/(..)/g, '$1 ')
      .replace(/(.{48})/g, '$1\n');
    const inputs = [
      ['message.bin', message, 'binary', 'handshake'],
      ['records.hex', hexDump, 'hex', 'record'],
      [
        'message.hex',
        Buffer.from(message)
          .toString('hex')
          .replace(/(..)(?!$)/g, '$1:'),
        'hex',
        'handshake',
      ],
      ['records.b64', `${Buffer.from(records).toString('base64')}\n`, 'base64', 'record'],
    ] as const;
    for (const [name, data, encoding, framing] of inputs) {
      const { code, json } = await runJson<HelloJson>(['hello', file(name, data)]);
      expect(code, name).toBe(0);
      expect(json.input, name).toMatchObject({ encoding, framing });
      expect(json.ja3, name).toEqual(expectedJa3());
    }
  });

  test('from stdin', async () => {
    const result = await run(['hello', '--json', '-'], {
      input: Buffer.from(helloRecords(SPEC)).toString('base64'),
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as HelloJson).ja3.hash).toBe(expectedJa3().hash);
  });

  test('text output: one label per line, codes with names', async () => {
    const { code, stdout } = await run(['hello', file('spec.bin', helloRecords(SPEC))]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ClientHello:\n {2}Input: +\d+ bytes, binary, TLS records\n/);
    expect(stdout).toMatch(/^ {2}Supported versions: +TLS 1\.3 \(0x0304\), TLS 1\.2 \(0x0303\)$/m);
    expect(stdout).toMatch(/^ {2}Server name \(SNI\): +example\.com$/m);
    expect(stdout).toMatch(/^ {2}ALPN: +h2, http\/1\.1$/m);
    expect(stdout).toMatch(/^ {2}Status request: +ocsp \(status_request\)$/m);
    expect(stdout).toMatch(/^ {2}GREASE: +no$/m);
    expect(stdout).toMatch(/^ {2}Cipher suites: +15$/m);
    expect(stdout).toMatch(/^ {4}0x1301: +TLS_AES_128_GCM_SHA256$/m);
    expect(stdout).toMatch(/^ {4}0xff01: +renegotiation_info, 1 byte$/m);
    expect(stdout).toMatch(/^ {4}0x0804: +rsa_pss_rsae_sha256$/m);
    expect(stdout).toMatch(/^ {4}0x4469: +application_settings_old, 5 bytes$/m);
    expect(stdout).toMatch(new RegExp(`^ {2}JA3 hash: +${expectedJa3().hash}$`, 'm'));
    expect(stdout).toMatch(/^ {2}JA4: +t13d1516h2_8daaf6152771_e5627efa2ab1$/m);
  });
});

describe('staple hello: a real openssl s_client ClientHello', () => {
  let capture: string;

  beforeAll(async () => {
    capture = file(
      'openssl.bin',
      await captureHello((port) =>
        spawn(
          'openssl',
          [
            's_client',
            '-connect',
            `127.0.0.1:${port}`,
            '-servername',
            'staple.test',
            '-alpn',
            'h2,http/1.1',
            '-status',
            '-groups',
            'X25519:P-256',
          ],
          { stdio: ['pipe', 'ignore', 'ignore'] },
        ),
      ),
    );
  });

  test('what it was told to send, no GREASE, a consistent JA3', async () => {
    const { code, json } = await runJson<HelloJson>(['hello', capture]);
    expect(code).toBe(0);
    expect(json.input).toMatchObject({ encoding: 'binary', framing: 'record' });
    expect(json.serverName).toBe('staple.test');
    expect(json.alpn).toEqual(['h2', 'http/1.1']);
    expect(json.statusRequest).toEqual({ statusType: 1, ocsp: true });
    expect(json.supportedGroups?.map((g) => g.name)).toEqual(['x25519', 'secp256r1']);
    expect(json.supportedVersions?.[0]?.name).toBe('TLS 1.3');
    expect(json.cipherSuites.map((c) => c.name)).toContain('TLS_AES_128_GCM_SHA256');
    expect(Object.values(json.grease).every((n) => n === 0)).toBe(true);
    // JA3 put together here from the fields the parser found, and hashed with node:crypto.
    const ja3 = [
      json.legacyVersion.code,
      json.cipherSuites.map((c) => c.code).join('-'),
      json.extensions.map((e) => e.code).join('-'),
      json.supportedGroups!.map((g) => g.code).join('-'),
      json.ecPointFormats!.join('-'),
    ].join(',');
    expect(json.ja3.string).toBe(ja3);
    expect(json.ja3.hash).toBe(createHash('md5').update(ja3).digest('hex'));
    expect(json.ja4.fingerprint).toMatch(/^t13d\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}$/);
  });
});

describe('staple hello: bad captures', () => {
  test('cut short: ERR_CLIENT_HELLO_TRUNCATED with the offset', async () => {
    const { code, stdout, stderr } = await run([
      'hello',
      file('short.bin', helloRecords(SPEC).subarray(0, 60)),
    ]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      'staple: the ClientHello is not complete (at byte 60) (ERR_CLIENT_HELLO_TRUNCATED)\n',
    );
  });

  test('not a ClientHello at all: ERR_INPUT', async () => {
    const { code, stderr } = await run(['hello', file('http.txt', 'GET / HTTP/1.1\r\n\r\n')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^staple: not a ClientHello: .* \(ERR_INPUT\)\n$/);
  });

  test('a ServerHello (handshake type 2) in a record: the parser says so', async () => {
    const records = helloRecords(SPEC);
    records[5] = 2;
    const { code, stderr } = await run(['hello', file('server.bin', records)]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/\(ERR_CLIENT_HELLO_UNEXPECTED_MESSAGE\)\n$/);
  });
});

/**
 * Listens on 127.0.0.1, starts the client, and resolves with the bytes of its first TLS
 * records up to the end of the ClientHello; the client is killed whatever happens.
 */
function captureHello(start: (port: number) => ChildProcess, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess | undefined;
    const done = (error: Error | undefined, bytes?: Buffer) => {
      clearTimeout(timer);
      child?.kill();
      server.close();
      if (error) reject(error);
      else resolve(bytes!);
    };
    const timer = setTimeout(() => done(new Error('no ClientHello in time')), timeoutMs);
    const server = createServer((socket) => {
      let received = Buffer.alloc(0);
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = helloEnd(received);
        if (end === undefined) return;
        socket.destroy();
        done(undefined, received.subarray(0, end));
      });
    });
    server.listen(0, '127.0.0.1', () => {
      child = start((server.address() as { port: number }).port);
      child.on('error', (error) => done(error));
    });
  });
}

/** Where the records holding the whole ClientHello end, once they have all arrived. */
function helloEnd(bytes: Buffer): number | undefined {
  let offset = 0;
  let message = Buffer.alloc(0);
  while (offset + 5 <= bytes.length) {
    const end = offset + 5 + bytes.readUInt16BE(offset + 3);
    if (end > bytes.length) return undefined;
    message = Buffer.concat([message, bytes.subarray(offset + 5, end)]);
    offset = end;
    if (message.length >= 4 && message.length >= 4 + message.readUIntBE(1, 3)) return offset;
  }
  return undefined;
}
