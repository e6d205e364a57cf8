import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  cipherSuiteName,
  extensionName,
  groupName,
  signatureSchemeName,
  versionName,
} from '../src/names.js';

const GREASE = Array.from({ length: 16 }, (_, i) => i * 0x1010 + 0x0a0a);
const ALL_CODES = Array.from({ length: 0x10000 }, (_, i) => i);

/** The named entries of a table, found by asking for every 16-bit code. */
function named(nameOf: (code: number) => string): Map<number, string> {
  const out = new Map<number, string>();
  for (const code of ALL_CODES) {
    const name = nameOf(code);
    if (!name.startsWith('0x') && !name.startsWith('GREASE')) out.set(code, name);
  }
  return out;
}

/** OpenSSL's own cipher list with IANA names, when an openssl binary is at hand. */
function opensslSuites(): [number, string][] | undefined {
  try {
    const out = execFileSync('openssl', ['ciphers', '-V', '-stdname', 'ALL:COMPLEMENTOFALL'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const suites: [number, string][] = [];
    for (const match of out.matchAll(/0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)/g)) {
      suites.push([Number.parseInt(match[1]! + match[2]!, 16), match[3]!]);
    }
    return suites.length > 0 ? suites : undefined;
  } catch {
    return undefined;
  }
}

describe('cipherSuiteName', () => {
  it('names TLS 1.3, ECDHE, RSA and PSK suites with their IANA names', () => {
    expect(cipherSuiteName(0x1301)).toBe('TLS_AES_128_GCM_SHA256');
    expect(cipherSuiteName(0x1302)).toBe('TLS_AES_256_GCM_SHA384');
    expect(cipherSuiteName(0x1303)).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(cipherSuiteName(0x1305)).toBe('TLS_AES_128_CCM_8_SHA256');
    expect(cipherSuiteName(0xc02b)).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(cipherSuiteName(0xc030)).toBe('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384');
    expect(cipherSuiteName(0xcca9)).toBe('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256');
    expect(cipherSuiteName(0x009c)).toBe('TLS_RSA_WITH_AES_128_GCM_SHA256');
    expect(cipherSuiteName(0x002f)).toBe('TLS_RSA_WITH_AES_128_CBC_SHA');
    expect(cipherSuiteName(0x000a)).toBe('TLS_RSA_WITH_3DES_EDE_CBC_SHA');
    expect(cipherSuiteName(0x0000)).toBe('TLS_NULL_WITH_NULL_NULL');
    expect(cipherSuiteName(0x00a8)).toBe('TLS_PSK_WITH_AES_128_GCM_SHA256');
    expect(cipherSuiteName(0xc0ad)).toBe('TLS_ECDHE_ECDSA_WITH_AES_256_CCM');
    expect(cipherSuiteName(0xc100)).toBe('TLS_GOSTR341112_256_WITH_KUZNYECHIK_CTR_OMAC');
    expect(cipherSuiteName(0xd005)).toBe('TLS_ECDHE_PSK_WITH_AES_128_CCM_SHA256');
  });

  it('names the signalling suites', () => {
    expect(cipherSuiteName(0x00ff)).toBe('TLS_EMPTY_RENEGOTIATION_INFO_SCSV');
    expect(cipherSuiteName(0x5600)).toBe('TLS_FALLBACK_SCSV');
  });

  it('holds every assigned IANA suite once, under a unique name', () => {
    const suites = named(cipherSuiteName);
    expect(suites.size).toBe(352);
    expect(new Set(suites.values()).size).toBe(352);
    for (const name of suites.values()) expect(name).toMatch(/^TLS_[A-Za-z0-9_]+$/);
  });

  it('names every suite that browsers, curl/Node (OpenSSL) and GnuTLS offer', () => {
    const offered = [
      // Chrome and Firefox
      0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
      0x009c, 0x009d, 0x002f, 0x0035, 0xc00a, 0xc009, 0x000a,
      // OpenSSL 3 defaults (curl, Node)
      0x009f, 0x009e, 0xccaa, 0xc024, 0xc028, 0x006b, 0xc023, 0xc027, 0x0067, 0x0039, 0x0033,
      0x003d, 0x003c, 0x00ff,
      // GnuTLS NORMAL
      0xc0ad, 0xc0ac, 0xc09f, 0xc09e, 0xc09d, 0xc09c, 0x1304,
    ];
    for (const code of offered) expect(cipherSuiteName(code)).toMatch(/^TLS_/);
  });

  const openssl = opensslSuites();
  it.skipIf(openssl === undefined)('agrees with every IANA name OpenSSL knows', () => {
    for (const [code, name] of openssl ?? []) expect(cipherSuiteName(code)).toBe(name);
  });
});

describe('groupName', () => {
  it('names curves, finite field groups and hybrid KEMs', () => {
    expect(groupName(0x0017)).toBe('secp256r1');
    expect(groupName(0x0018)).toBe('secp384r1');
    expect(groupName(0x0019)).toBe('secp521r1');
    expect(groupName(0x001d)).toBe('x25519');
    expect(groupName(0x001e)).toBe('x448');
    expect(groupName(0x0100)).toBe('ffdhe2048');
    expect(groupName(0x0104)).toBe('ffdhe8192');
    expect(groupName(0x001f)).toBe('brainpoolP256r1tls13');
    expect(groupName(0x0021)).toBe('brainpoolP512r1tls13');
    expect(groupName(0x11ec)).toBe('X25519MLKEM768');
    expect(groupName(0x11eb)).toBe('SecP256r1MLKEM768');
    expect(groupName(0x0201)).toBe('MLKEM768');
    expect(groupName(0x6399)).toBe('X25519Kyber768Draft00');
  });
});

describe('signatureSchemeName', () => {
  it('names TLS 1.3 schemes and the legacy TLS 1.2 pairs', () => {
    expect(signatureSchemeName(0x0401)).toBe('rsa_pkcs1_sha256');
    expect(signatureSchemeName(0x0601)).toBe('rsa_pkcs1_sha512');
    expect(signatureSchemeName(0x0403)).toBe('ecdsa_secp256r1_sha256');
    expect(signatureSchemeName(0x0503)).toBe('ecdsa_secp384r1_sha384');
    expect(signatureSchemeName(0x0603)).toBe('ecdsa_secp521r1_sha512');
    expect(signatureSchemeName(0x0804)).toBe('rsa_pss_rsae_sha256');
    expect(signatureSchemeName(0x0806)).toBe('rsa_pss_rsae_sha512');
    expect(signatureSchemeName(0x0809)).toBe('rsa_pss_pss_sha256');
    expect(signatureSchemeName(0x080b)).toBe('rsa_pss_pss_sha512');
    expect(signatureSchemeName(0x0807)).toBe('ed25519');
    expect(signatureSchemeName(0x0808)).toBe('ed448');
    expect(signatureSchemeName(0x081a)).toBe('ecdsa_brainpoolP256r1tls13_sha256');
    expect(signatureSchemeName(0x0201)).toBe('rsa_pkcs1_sha1');
    expect(signatureSchemeName(0x0203)).toBe('ecdsa_sha1');
    expect(signatureSchemeName(0x0202)).toBe('dsa_sha1');
    expect(signatureSchemeName(0x0301)).toBe('rsa_pkcs1_sha224');
    expect(signatureSchemeName(0x0302)).toBe('dsa_sha224');
    expect(signatureSchemeName(0x0303)).toBe('ecdsa_sha224');
    expect(signatureSchemeName(0x0402)).toBe('dsa_sha256');
    expect(signatureSchemeName(0x0905)).toBe('mldsa65');
  });
});

describe('extensionName', () => {
  it('names registered and widely sent extensions', () => {
    expect(extensionName(0x0000)).toBe('server_name');
    expect(extensionName(0x0005)).toBe('status_request');
    expect(extensionName(0x000a)).toBe('supported_groups');
    expect(extensionName(0x000d)).toBe('signature_algorithms');
    expect(extensionName(0x0010)).toBe('application_layer_protocol_negotiation');
    expect(extensionName(0x0015)).toBe('padding');
    expect(extensionName(0x001b)).toBe('compress_certificate');
    expect(extensionName(0x0023)).toBe('session_ticket');
    expect(extensionName(0x002b)).toBe('supported_versions');
    expect(extensionName(0x0033)).toBe('key_share');
    expect(extensionName(0x0039)).toBe('quic_transport_parameters');
    expect(extensionName(0xfe0d)).toBe('encrypted_client_hello');
    expect(extensionName(0xff01)).toBe('renegotiation_info');
    expect(extensionName(0x44cd)).toBe('application_settings');
    expect(extensionName(17513)).toBe('application_settings_old');
    expect(extensionName(0x3374)).toBe('next_protocol_negotiation');
  });
});

describe('versionName', () => {
  it('names SSL, TLS and DTLS versions and TLS 1.3 drafts', () => {
    expect(versionName(0x0300)).toBe('SSL 3.0');
    expect(versionName(0x0301)).toBe('TLS 1.0');
    expect(versionName(0x0302)).toBe('TLS 1.1');
    expect(versionName(0x0303)).toBe('TLS 1.2');
    expect(versionName(0x0304)).toBe('TLS 1.3');
    expect(versionName(0xfefd)).toBe('DTLS 1.2');
    expect(versionName(0x7f17)).toBe('TLS 1.3 (draft 23)');
  });
});

describe.each([
  ['cipherSuiteName', cipherSuiteName],
  ['groupName', groupName],
  ['signatureSchemeName', signatureSchemeName],
  ['extensionName', extensionName],
  ['versionName', versionName],
] as const)('%s', (_, nameOf) => {
  it('marks every GREASE value as such', () => {
    for (const value of GREASE) {
      expect(nameOf(value)).toBe(`GREASE (0x${value.toString(16).padStart(4, '0')})`);
    }
    expect(nameOf(0x0a0a)).toBe('GREASE (0x0a0a)');
    expect(nameOf(0xfafa)).toBe('GREASE (0xfafa)');
  });

  it('gives unknown codes as 4-digit hex and never throws', () => {
    expect(nameOf(0x1234)).toBe('0x1234');
    expect(nameOf(0xfeed)).toBe('0xfeed');
    expect(nameOf(0x0a0b)).toBe('0x0a0b');
    expect(() => ALL_CODES.map(nameOf)).not.toThrow();
  });
});
