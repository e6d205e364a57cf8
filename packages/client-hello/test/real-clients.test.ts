import { spawn, spawnSync } from 'node:child_process';
import { type ConnectionOptions, connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import {
  type CertificateDescription,
  type ClientHello,
  isClientHelloError,
  parseClientHello,
  type SelectCertificateOptions,
  selectCertificate,
  supportsCertificate,
} from '../src/index.js';
import { captureClientHello } from './capture.js';

// ClientHellos from real clients — OpenSSL, curl, GnuTLS, Node and Python — told to send
// particular things, captured on 127.0.0.1 and parsed; then the certificate each would be served
// from an RSA-2048 and an ECDSA P-256 certificate for the same names.
//
// openssl, curl and gnutls-cli must be installed (.ci/run installs them); the Python tests are
// skipped only where there is no python3.

const hasPython = spawnSync('python3', ['--version']).status === 0;

// No proxy may stand between curl and the listener.
const env = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/_proxy$/i.test(name)),
);

/** Runs `command args` with stdin closed and captures its hello. */
function capture(command: string, args: (port: number) => string[]) {
  return captureClientHello((port) =>
    spawn(command, args(port), { stdio: ['ignore', 'ignore', 'pipe'], env }),
  );
}

const openssl = (...args: string[]) =>
  capture('openssl', (port) => ['s_client', ...args, '-connect', `127.0.0.1:${port}`]);
const curl = (...args: string[]) =>
  capture('curl', (port) => [
    '--silent',
    '--insecure',
    '--noproxy',
    '*',
    '--max-time',
    '10',
    ...args.map((arg) => arg.replaceAll('PORT', String(port))),
  ]);
const gnutls = (...args: string[]) =>
  capture('gnutls-cli', (port) => ['--port', String(port), ...args, '127.0.0.1']);
const python = (script: string) => capture('python3', (port) => ['-c', script, String(port)]);

/**
 * Node's own client (OpenSSL inside), in this process. tls.connect passes `requestOCSP` on to
 * the TLSSocket it makes, though @types/node lists it only for `new TLSSocket`.
 */
const node = (options: ConnectionOptions & { requestOCSP?: boolean }) =>
  captureClientHello(
    (port) =>
      new Promise<void>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
        socket.once('error', () => resolve());
        socket.once('close', () => resolve());
      }),
  );

// --- The certificates ------------------------------------------------------------------------

const names = { dnsNames: ['localhost', 'example.test'], ipAddresses: ['127.0.0.1'] };
const rsa: CertificateDescription = { keyType: 'rsa', rsaBits: 2048, ...names };
const ecdsa: CertificateDescription = { keyType: 'ecdsa', curve: 'P-256', ...names };
// RSA first, so that ECDSA winning is the preference at work and not the order.
const candidates = [
  { name: 'rsa', description: rsa },
  { name: 'ecdsa', description: ecdsa },
];
type Candidate = (typeof candidates)[number];

/** The selection as plain data: the name served and, by name, the reason for each rejection. */
function choice(hello: ClientHello, options: SelectCertificateOptions<Candidate> = {}) {
  const { selected, rejected } = selectCertificate(hello, candidates, options);
  return {
    selected: selected?.name,
    rejected: Object.fromEntries(rejected.map(({ candidate, reason }) => [candidate.name, reason])),
  };
}

const BOTH = { selected: 'ecdsa', rejected: {} };
const SIGNATURE = "client doesn't support any of the certificate's signature algorithms";
const NAME = 'certificate is not valid for requested server name';

const TLS13 = 0x0304;
const TLS12 = 0x0303;
const ECDSA_SCHEMES = [0x0403, 0x0503, 0x0603, 0x0303, 0x0203, 0x081a, 0x081b, 0x081c];
const ECDHE_ECDSA_SUITES = [
  0xc009, 0xc00a, 0xc023, 0xc024, 0xc02b, 0xc02c, 0xcca9, 0xc0ac, 0xc0ad, 0xc0ae, 0xc0af,
];

describe('openssl s_client', { timeout: 20_000 }, () => {
  it('default: TLS 1.3, no SNI for an IP, gets ECDSA; the bytes are exactly the hello', async () => {
    const { hello, bytes } = await openssl();
    expect(hello.supportedVersions).toContain(TLS13);
    expect(hello.serverName).toBeUndefined();
    expect(hello.signatureAlgorithms).toEqual(expect.arrayContaining([0x0403, 0x0804]));
    expect(parseClientHello(bytes)).toEqual(hello);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('-tls1_2: no supported_versions, still ECDSA', async () => {
    const { hello } = await openssl('-tls1_2');
    expect(hello.supportedVersions).toBeUndefined();
    expect(hello.legacyVersion).toBe(TLS12);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('-tls1_2 -sigalgs RSA+SHA256: exactly rsa_pkcs1_sha256, gets RSA, not ECDSA', async () => {
    const { hello } = await openssl('-tls1_2', '-sigalgs', 'RSA+SHA256');
    expect(hello.signatureAlgorithms).toEqual([0x0401]);
    expect(hello.cipherSuites.filter((s) => ECDHE_ECDSA_SUITES.includes(s))).toEqual([]);
    expect(choice(hello)).toEqual({ selected: 'rsa', rejected: { ecdsa: SIGNATURE } });
  });

  it('-sigalgs RSA+SHA256 with TLS 1.3: neither, since TLS 1.3 RSA needs PSS', async () => {
    const { hello } = await openssl('-sigalgs', 'RSA+SHA256');
    expect(hello.signatureAlgorithms).toEqual([0x0401]);
    expect(hello.supportedVersions).toContain(TLS13);
    expect(choice(hello)).toEqual({
      selected: undefined,
      rejected: { rsa: SIGNATURE, ecdsa: SIGNATURE },
    });
    // A server that stops at TLS 1.2 can serve it RSA (PKCS#1 is fine there).
    expect(choice(hello, { versions: { maxVersion: 'TLSv1.2' } })).toEqual({
      selected: 'rsa',
      rejected: { ecdsa: SIGNATURE },
    });
  });

  it('-sigalgs ECDSA+SHA256: exactly ecdsa_secp256r1_sha256, gets ECDSA, not RSA nor P-384', async () => {
    const { hello } = await openssl('-sigalgs', 'ECDSA+SHA256');
    expect(hello.signatureAlgorithms).toEqual([0x0403]);
    expect(choice(hello)).toEqual({ selected: 'ecdsa', rejected: { rsa: SIGNATURE } });
    // TLS 1.3 binds the curve to the scheme.
    expect(supportsCertificate(hello, { ...ecdsa, curve: 'P-384' })).toBe(SIGNATURE);
  });

  it('-groups P-384: only secp384r1; TLS 1.3 still takes a P-256 certificate', async () => {
    const { hello } = await openssl('-groups', 'P-384');
    expect(hello.supportedGroups).toEqual([24]);
    expect(hello.keyShares?.map((share) => share.group)).toEqual([24]);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('-tls1_2 -groups P-384: a P-256 certificate is refused for its curve, P-384 is fine', async () => {
    const { hello } = await openssl('-tls1_2', '-groups', 'P-384');
    expect(hello.supportedGroups).toEqual([24]);
    expect(choice(hello)).toEqual({
      selected: 'rsa',
      rejected: { ecdsa: "client doesn't support certificate curve" },
    });
    expect(supportsCertificate(hello, { ...ecdsa, curve: 'P-384' })).toBeNull();
  });

  it('-status: status_request for OCSP', async () => {
    const { hello } = await openssl('-status');
    expect(hello.statusRequest).toEqual({ statusType: 1 });
  });

  it('without -status: no status_request', async () => {
    const { hello } = await openssl('-tls1_2');
    expect(hello.statusRequest).toBeUndefined();
  });

  it('-servername example.test: SNI, checked against the names', async () => {
    const { hello } = await openssl('-servername', 'example.test');
    expect(hello.serverName).toBe('example.test');
    expect(choice(hello)).toEqual(BOTH);
    expect(supportsCertificate(hello, { ...ecdsa, dnsNames: ['*.test'] })).toBeNull();
    expect(supportsCertificate(hello, { ...ecdsa, dnsNames: ['other.test'] })).toBe(NAME);
  });

  it('-servername 127.0.0.1: an IP literal as SNI, matched against IP addresses', async () => {
    const { hello } = await openssl('-servername', '127.0.0.1');
    expect(hello.serverName).toBe('127.0.0.1');
    expect(choice(hello)).toEqual(BOTH);
    expect(supportsCertificate(hello, { ...ecdsa, ipAddresses: [] })).toBe(NAME);
  });

  it('-alpn h2,http/1.1: the protocols in order', async () => {
    const { hello } = await openssl('-alpn', 'h2,http/1.1');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
  });

  it('-tls1: a TLS 1.0 client is refused by default and served with minVersion TLSv1', async () => {
    const { hello } = await openssl('-tls1', '-cipher', 'DEFAULT@SECLEVEL=0');
    expect(hello.legacyVersion).toBe(0x0301);
    expect(hello.supportedVersions).toBeUndefined();
    expect(hello.signatureAlgorithms).toBeUndefined();
    const none = 'no mutually supported protocol versions';
    expect(choice(hello)).toEqual({ selected: undefined, rejected: { rsa: none, ecdsa: none } });
    expect(choice(hello, { versions: { minVersion: 'TLSv1' } })).toEqual(BOTH);
  });
});

describe('curl', { timeout: 20_000 }, () => {
  it('default: TLS 1.3, h2 and http/1.1, no SNI for an IP, gets ECDSA', async () => {
    const { hello } = await curl('https://127.0.0.1:PORT/');
    expect(hello.supportedVersions).toContain(TLS13);
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(hello.serverName).toBeUndefined();
    expect(hello.statusRequest).toBeUndefined();
    expect(choice(hello)).toEqual(BOTH);
  });

  it('--http1.1: ALPN http/1.1 only', async () => {
    const { hello } = await curl('--http1.1', 'https://127.0.0.1:PORT/');
    expect(hello.alpn).toEqual(['http/1.1']);
  });

  it('--tls-max 1.2: no TLS 1.3 offered, still ECDSA', async () => {
    const { hello } = await curl('--tls-max', '1.2', 'https://127.0.0.1:PORT/');
    expect(hello.supportedVersions ?? []).not.toContain(TLS13);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('--cert-status: status_request for OCSP', async () => {
    const { hello } = await curl('--cert-status', 'https://127.0.0.1:PORT/');
    expect(hello.statusRequest).toEqual({ statusType: 1 });
  });

  it('--resolve example.test: SNI example.test, checked against the names', async () => {
    const { hello } = await curl(
      '--resolve',
      'example.test:PORT:127.0.0.1',
      'https://example.test:PORT/',
    );
    expect(hello.serverName).toBe('example.test');
    expect(choice(hello)).toEqual(BOTH);
    const other = { ...rsa, dnsNames: ['example.com'] };
    expect(supportsCertificate(hello, other)).toBe(NAME);
  });
});

describe('gnutls-cli', { timeout: 20_000 }, () => {
  it('default: TLS 1.3, status_request always, no SNI for an IP, gets ECDSA', async () => {
    const { hello } = await gnutls();
    expect(hello.supportedVersions).toContain(TLS13);
    expect(hello.serverName).toBeUndefined();
    expect(hello.statusRequest).toEqual({ statusType: 1 });
    expect(choice(hello)).toEqual(BOTH);
  });

  it('--ocsp --sni-hostname --alpn: status_request, SNI and ALPN', async () => {
    const { hello } = await gnutls(
      '--ocsp',
      '--sni-hostname',
      'example.test',
      '--alpn',
      'h2',
      '--alpn',
      'http/1.1',
    );
    expect(hello.statusRequest).toEqual({ statusType: 1 });
    expect(hello.serverName).toBe('example.test');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('a priority without ECDSA: no ECDSA scheme nor suite offered, gets RSA', async () => {
    const { hello } = await gnutls(
      '--priority',
      [
        'NORMAL',
        '-SIGN-ECDSA-SHA1',
        '-SIGN-ECDSA-SHA224',
        '-SIGN-ECDSA-SHA256',
        '-SIGN-ECDSA-SHA384',
        '-SIGN-ECDSA-SHA512',
        '-SIGN-ECDSA-SECP256R1-SHA256',
        '-SIGN-ECDSA-SECP384R1-SHA384',
        '-SIGN-ECDSA-SECP521R1-SHA512',
        '-ECDHE-ECDSA',
      ].join(':'),
    );
    expect(hello.signatureAlgorithms?.filter((s) => ECDSA_SCHEMES.includes(s))).toEqual([]);
    expect(hello.cipherSuites.filter((s) => ECDHE_ECDSA_SUITES.includes(s))).toEqual([]);
    expect(choice(hello)).toEqual({ selected: 'rsa', rejected: { ecdsa: SIGNATURE } });
  });
});

describe("Node's tls.connect", { timeout: 20_000 }, () => {
  it('servername, ALPNProtocols and requestOCSP are all on the wire; gets ECDSA', async () => {
    const { hello } = await node({
      servername: 'example.test',
      ALPNProtocols: ['h2', 'http/1.1'],
      requestOCSP: true,
    });
    expect(hello.serverName).toBe('example.test');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(hello.statusRequest).toEqual({ statusType: 1 });
    expect(hello.supportedVersions).toContain(TLS13);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('TLS 1.2 with ECDHE-RSA suites only: ECDSA has no cipher suite, gets RSA', async () => {
    const { hello } = await node({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
    expect(hello.supportedVersions).toBeUndefined();
    expect(hello.cipherSuites).toContain(0xc02f);
    expect(choice(hello)).toEqual({
      selected: 'rsa',
      rejected: {
        ecdsa: "client doesn't support any cipher suites compatible with the certificate",
      },
    });
  });
});

const pythonSuite = hasPython ? 'Python ssl' : 'Python ssl (skipped: python3 not found)';

describe.skipIf(!hasPython)(pythonSuite, { timeout: 20_000 }, () => {
  it('create_default_context with server_hostname and ALPN: TLS 1.2+ only, gets ECDSA', async () => {
    const { hello } = await python(
      [
        'import socket, ssl, sys',
        'ctx = ssl.create_default_context()',
        "ctx.set_alpn_protocols(['h2', 'http/1.1'])",
        "sock = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)",
        'try:',
        "    ctx.wrap_socket(sock, server_hostname='example.test')",
        'except (ssl.SSLError, OSError):',
        '    pass',
      ].join('\n'),
    );
    expect(hello.serverName).toBe('example.test');
    expect(hello.alpn).toEqual(['h2', 'http/1.1']);
    expect(hello.supportedVersions).toContain(TLS13);
    expect(hello.supportedVersions).not.toContain(0x0301);
    expect(choice(hello)).toEqual(BOTH);
  });

  it('maximum_version TLSv1_2 and an IP as server_hostname: no SNI, no TLS 1.3', async () => {
    const { hello } = await python(
      [
        'import socket, ssl, sys',
        'ctx = ssl.create_default_context()',
        'ctx.maximum_version = ssl.TLSVersion.TLSv1_2',
        "sock = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)",
        'try:',
        "    ctx.wrap_socket(sock, server_hostname='127.0.0.1')",
        'except (ssl.SSLError, OSError):',
        '    pass',
      ].join('\n'),
    );
    expect(hello.serverName).toBeUndefined();
    expect(hello.supportedVersions).toBeUndefined();
    expect(choice(hello)).toEqual(BOTH);
  });
});

describe('captureClientHello', { timeout: 20_000 }, () => {
  it('rejects, with its stderr, when the client exits without connecting', async () => {
    const run = () =>
      spawn(process.execPath, ['-e', 'console.error("no route"); process.exit(3)'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    await expect(captureClientHello(run)).rejects.toThrow(/exited \(3\).*no route/);
  });

  it('rejects when the client cannot be started', async () => {
    const run = () => spawn('/nonexistent/tls-client', [], { stdio: 'ignore' });
    await expect(captureClientHello(run)).rejects.toThrow(/ENOENT/);
  });

  it('rejects with the reader error when the client does not speak TLS, and kills it', async () => {
    let child: ReturnType<typeof spawn> | undefined;
    const script = [
      "const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');",
      "s.write('GET / HTTP/1.0\\r\\n\\r\\n');",
      's.on("error", () => {});',
      'setInterval(() => {}, 1000);',
    ].join('\n');
    const error = await captureClientHello((port) => {
      child = spawn(process.execPath, ['-e', script, String(port)], { stdio: 'ignore' });
      return child;
    }).catch((e: unknown) => e);
    expect(isClientHelloError(error, 'ERR_CLIENT_HELLO_NOT_TLS')).toBe(true);
    expect(child?.signalCode).toBe('SIGKILL');
  });
});
