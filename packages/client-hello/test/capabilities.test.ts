import { describe, expect, it } from 'vitest';
import {
  type CertificateDescription,
  type ClientHello,
  parseClientHello,
  selectCertificate,
  supportsCertificate,
  UNSUPPORTED_CERTIFICATE_REASONS,
} from '../src/index.js';

// supportsCertificate and selectCertificate, one rule at a time, on hellos built as bytes and
// read back with the parser (so the tests see exactly what a server would).

// --- A small ClientHello builder ---------------------------------------------------------------

interface Fields {
  legacyVersion?: number;
  suites?: number[];
  /** Each extension is left out when null. */
  versions?: number[] | null;
  sni?: string | null;
  sigalgs?: number[] | null;
  groups?: number[] | null;
  pointFormats?: number[] | null;
}

const u16 = (n: number) => [n >> 8, n & 0xff];
const vec8 = (bytes: number[]) => [bytes.length, ...bytes];
const vec16 = (bytes: number[]) => [...u16(bytes.length), ...bytes];
const ascii = (text: string) => [...new TextEncoder().encode(text)];

function build(fields: Fields): ClientHello {
  const extensions: [number, number[]][] = [];
  if (fields.sni != null) extensions.push([0, vec16([0, ...vec16(ascii(fields.sni))])]);
  if (fields.groups != null) extensions.push([10, vec16(fields.groups.flatMap(u16))]);
  if (fields.pointFormats != null) extensions.push([11, vec8(fields.pointFormats)]);
  if (fields.sigalgs != null) extensions.push([13, vec16(fields.sigalgs.flatMap(u16))]);
  if (fields.versions != null) extensions.push([43, vec8(fields.versions.flatMap(u16))]);
  const body = [
    ...u16(fields.legacyVersion ?? 0x0303),
    ...new Array<number>(32).fill(1), // random
    ...vec8([]), // session id
    ...vec16((fields.suites ?? []).flatMap(u16)),
    ...vec8([0]), // compression: null
    ...vec16(extensions.flatMap(([type, data]) => [...u16(type), ...vec16(data)])),
  ];
  const message = [1, 0, ...u16(body.length), ...body];
  return parseClientHello(Uint8Array.from([22, 3, 1, ...u16(message.length), ...message]));
}

// Code points (IANA).
const TLS10 = 0x0301;
const TLS11 = 0x0302;
const TLS12 = 0x0303;
const TLS13 = 0x0304;
const AES_128_GCM_SHA256 = 0x1301; // TLS 1.3
const ECDHE_ECDSA_AES_128_GCM = 0xc02b;
const ECDHE_RSA_AES_128_GCM = 0xc02f;
const ECDHE_ECDSA_AES_128_CBC_SHA = 0xc009;
const ECDHE_RSA_AES_128_CBC_SHA = 0xc013;
const RSA_AES_128_GCM = 0x009c;
const RSA_AES_128_CBC_SHA = 0x002f;
const P256 = 23;
const P384 = 24;
const X25519 = 29;
const FFDHE2048 = 0x0100;
const ECDSA_P256_SHA256 = 0x0403;
const ECDSA_P384_SHA384 = 0x0503;
const RSA_PKCS1_SHA256 = 0x0401;
const RSA_PSS_RSAE_SHA256 = 0x0804;
const RSA_PSS_RSAE_SHA512 = 0x0806;
const RSA_PSS_PSS_SHA256 = 0x0809;
const ED25519 = 0x0807;

/** A TLS 1.3 client (that also offers 1.2), as browsers and OpenSSL send it. */
const tls13 = (fields: Fields = {}) =>
  build({
    suites: [AES_128_GCM_SHA256, ECDHE_ECDSA_AES_128_GCM, ECDHE_RSA_AES_128_GCM, RSA_AES_128_GCM],
    versions: [TLS13, TLS12],
    sigalgs: [ECDSA_P256_SHA256, RSA_PSS_RSAE_SHA256, RSA_PKCS1_SHA256, ED25519],
    groups: [X25519, P256],
    pointFormats: [0],
    ...fields,
  });

/** A TLS 1.2-only client. */
const tls12 = (fields: Fields = {}) => tls13({ versions: null, ...fields });

const names = { dnsNames: ['example.test', '*.example.com'], ipAddresses: ['127.0.0.1', '::1'] };
const rsa: CertificateDescription = { keyType: 'rsa', rsaBits: 2048, ...names };
const rsaPss: CertificateDescription = { ...rsa, rsaPss: true };
const p256: CertificateDescription = { keyType: 'ecdsa', curve: 'P-256', ...names };
const p384: CertificateDescription = { keyType: 'ecdsa', curve: 'P-384', ...names };
const ed25519: CertificateDescription = { keyType: 'ed25519', ...names };

const NO_VERSION = 'no mutually supported protocol versions';
const NAME = 'certificate is not valid for requested server name';
const NO_SIGALGS = 'client did not send signature_algorithms, required in TLS 1.3';
const SIGNATURE = "client doesn't support any of the certificate's signature algorithms";
const TOO_SMALL = 'certificate RSA key size too small for supported signature algorithms';
const POINTS = "client doesn't support uncompressed EC points";
const NO_ECDHE = "client doesn't support ECDHE, can only use legacy RSA key exchange";
const CURVE = "client doesn't support certificate curve";
const SUITE = "client doesn't support any cipher suites compatible with the certificate";

describe('supportsCertificate: versions', () => {
  it('supports every key type for a modern TLS 1.3 client', () => {
    for (const certificate of [rsa, p256, p384, ed25519]) {
      expect(
        supportsCertificate(tls13({ sigalgs: [0x0403, 0x0503, 0x0804, 0x0807] }), certificate),
      ).toBeNull();
    }
  });

  it('needs a version in both the client list and minVersion..maxVersion', () => {
    const only13 = tls13({ versions: [TLS13] });
    expect(supportsCertificate(only13, rsa, { maxVersion: 'TLSv1.2' })).toBe(NO_VERSION);
    expect(supportsCertificate(only13, rsa, { maxVersion: TLS13 })).toBeNull();
    const only12 = tls13({ versions: [TLS12] });
    expect(supportsCertificate(only12, rsa, { minVersion: 'TLSv1.3' })).toBe(NO_VERSION);
    expect(supportsCertificate(only12, rsa)).toBeNull();
  });

  it('uses supported_versions alone when sent, and legacy_version and below otherwise', () => {
    // legacy_version says TLS 1.2, but the list is what counts (RFC 8446 §4.2.1).
    expect(supportsCertificate(tls13({ versions: [TLS11] }), rsa)).toBe(NO_VERSION);
    const tls11 = tls12({ legacyVersion: TLS11, suites: [RSA_AES_128_CBC_SHA] });
    expect(supportsCertificate(tls11, rsa)).toBe(NO_VERSION);
    expect(supportsCertificate(tls11, rsa, { minVersion: 'TLSv1' })).toBeNull();
    expect(supportsCertificate(tls11, rsa, { minVersion: TLS10, maxVersion: TLS10 })).toBeNull();
  });

  it('ignores GREASE, SSL 3.0 and unknown versions in supported_versions', () => {
    expect(
      supportsCertificate(tls13({ versions: [0x1a1a, 0x0300, 0x7f1c] }), rsa, {
        minVersion: 'TLSv1',
      }),
    ).toBe(NO_VERSION);
    expect(supportsCertificate(tls13({ versions: [0x1a1a, TLS13] }), rsa)).toBeNull();
  });

  it('refuses an SSL 3.0 client whatever the options', () => {
    const ssl3 = tls12({ legacyVersion: 0x0300, suites: [RSA_AES_128_CBC_SHA] });
    expect(supportsCertificate(ssl3, rsa, { minVersion: 'TLSv1' })).toBe(NO_VERSION);
  });

  it('throws on options or descriptions that cannot be right', () => {
    expect(() => supportsCertificate(tls13(), rsa, { minVersion: 0x0300 })).toThrow(TypeError);
    expect(() => supportsCertificate(tls13(), rsa, { maxVersion: 'TLSv9' as 'TLSv1.3' })).toThrow(
      TypeError,
    );
    expect(() => supportsCertificate(tls13(), { keyType: 'ecdsa', dnsNames: [] })).toThrow(
      /needs a curve/,
    );
    expect(() => supportsCertificate(tls13(), { keyType: 'dsa' as 'rsa', dnsNames: [] })).toThrow(
      TypeError,
    );
  });
});

describe('supportsCertificate: server name', () => {
  it('checks nothing when the client sent no server_name', () => {
    expect(supportsCertificate(tls13(), { ...p256, dnsNames: ['other.test'] })).toBeNull();
  });

  it('matches DNS names exactly, ignoring ASCII case', () => {
    expect(supportsCertificate(tls13({ sni: 'example.test' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: 'EXAMPLE.Test' }), p256)).toBeNull();
    expect(
      supportsCertificate(tls13({ sni: 'example.test' }), { ...p256, dnsNames: ['Example.TEST'] }),
    ).toBeNull();
    expect(supportsCertificate(tls13({ sni: 'www.example.test' }), p256)).toBe(NAME);
    expect(supportsCertificate(tls13({ sni: 'example.tes' }), p256)).toBe(NAME);
  });

  it('lets a wildcard stand for exactly one whole first label', () => {
    expect(supportsCertificate(tls13({ sni: 'www.example.com' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: 'WWW.Example.Com' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: 'example.com' }), p256)).toBe(NAME);
    expect(supportsCertificate(tls13({ sni: 'a.b.example.com' }), p256)).toBe(NAME);
    expect(supportsCertificate(tls13({ sni: 'www.example.org' }), p256)).toBe(NAME);
    // Only a whole `*` label is a wildcard; anything else is compared literally.
    const partial = { ...p256, dnsNames: ['w*.example.com'] };
    expect(supportsCertificate(tls13({ sni: 'www.example.com' }), partial)).toBe(NAME);
    const inner = { ...p256, dnsNames: ['www.*.com'] };
    expect(supportsCertificate(tls13({ sni: 'www.example.com' }), inner)).toBe(NAME);
  });

  it('matches an IP literal in server_name against IP addresses only', () => {
    expect(supportsCertificate(tls13({ sni: '127.0.0.1' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: '0:0:0:0:0:0:0:1' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: '::ffff:127.0.0.1' }), p256)).toBeNull();
    expect(supportsCertificate(tls13({ sni: '127.0.0.2' }), p256)).toBe(NAME);
    const dnsOnly = { ...p256, dnsNames: ['127.0.0.1'], ipAddresses: [] };
    expect(supportsCertificate(tls13({ sni: '127.0.0.1' }), dnsOnly)).toBe(NAME);
    // Not IPs, so compared as names: a leading zero, five parts.
    expect(supportsCertificate(tls13({ sni: '127.0.0.01' }), p256)).toBe(NAME);
    expect(
      supportsCertificate(tls13({ sni: '127.0.0.01' }), { ...p256, dnsNames: ['127.0.0.01'] }),
    ).toBeNull();
  });
});

describe('supportsCertificate: TLS 1.3 signature schemes', () => {
  it('binds each ECDSA scheme to its curve', () => {
    const p256Only = tls13({ sigalgs: [ECDSA_P256_SHA256, RSA_PSS_RSAE_SHA256] });
    expect(supportsCertificate(p256Only, p256)).toBeNull();
    expect(supportsCertificate(p256Only, p384)).toBe(SIGNATURE);
    expect(supportsCertificate(tls13({ sigalgs: [ECDSA_P384_SHA384] }), p384)).toBeNull();
    expect(supportsCertificate(tls13({ sigalgs: [ECDSA_P384_SHA384] }), p256)).toBe(SIGNATURE);
    // In TLS 1.3 supported_groups is about key exchange only, not the certificate's curve.
    expect(supportsCertificate(tls13({ groups: [X25519] }), p256)).toBeNull();
  });

  it('needs RSA-PSS for RSA keys: PKCS#1 v1.5 is not enough', () => {
    expect(supportsCertificate(tls13({ sigalgs: [RSA_PKCS1_SHA256] }), rsa)).toBe(SIGNATURE);
    expect(supportsCertificate(tls13({ sigalgs: [RSA_PSS_RSAE_SHA256] }), rsa)).toBeNull();
    // No static RSA fallback in TLS 1.3, even with a TLS_RSA suite on offer.
    expect(
      supportsCertificate(
        tls13({ sigalgs: [ECDSA_P256_SHA256], suites: [AES_128_GCM_SHA256, RSA_AES_128_GCM] }),
        rsa,
      ),
    ).toBe(SIGNATURE);
  });

  it('needs rsa_pss_pss_* for an RSASSA-PSS key, and rsa_pss_rsae_* for a plain RSA key', () => {
    expect(supportsCertificate(tls13({ sigalgs: [RSA_PSS_RSAE_SHA256] }), rsaPss)).toBe(SIGNATURE);
    expect(supportsCertificate(tls13({ sigalgs: [RSA_PSS_PSS_SHA256] }), rsaPss)).toBeNull();
    expect(supportsCertificate(tls13({ sigalgs: [RSA_PSS_PSS_SHA256] }), rsa)).toBe(SIGNATURE);
  });

  it('needs ed25519 for an Ed25519 key', () => {
    expect(supportsCertificate(tls13({ sigalgs: [ED25519] }), ed25519)).toBeNull();
    expect(supportsCertificate(tls13({ sigalgs: [ECDSA_P256_SHA256] }), ed25519)).toBe(SIGNATURE);
  });

  it('refuses a TLS 1.3 client without signature_algorithms', () => {
    expect(supportsCertificate(tls13({ sigalgs: null }), p256)).toBe(NO_SIGALGS);
    expect(supportsCertificate(tls13({ sigalgs: null }), rsa)).toBe(NO_SIGALGS);
  });

  it('checks the RSA modulus against what each scheme needs', () => {
    // RSA-PSS with SHA-256 needs 66 bytes of modulus (Go's emLen >= 2 hLen + 2).
    expect(supportsCertificate(tls13(), { ...rsa, rsaBits: 512 })).toBe(TOO_SMALL);
    const sha512Only = tls13({ sigalgs: [RSA_PSS_RSAE_SHA512] });
    expect(supportsCertificate(sha512Only, { ...rsa, rsaBits: 1024 })).toBe(SIGNATURE);
    expect(supportsCertificate(sha512Only, { ...rsa, rsaBits: 1040 })).toBeNull();
    expect(supportsCertificate(sha512Only, { ...rsa, rsaBits: undefined })).toBeNull();
  });
});

describe('supportsCertificate: TLS 1.2 and below', () => {
  it('does not bind ECDSA schemes to curves, but needs the curve in supported_groups', () => {
    const hello = tls12({ sigalgs: [ECDSA_P256_SHA256], groups: [X25519, P384] });
    expect(supportsCertificate(hello, p384)).toBeNull();
    expect(supportsCertificate(hello, p256)).toBe(CURVE);
    // Without supported_groups the server may pick any curve (RFC 8422 §4).
    expect(
      supportsCertificate(tls12({ sigalgs: [ECDSA_P256_SHA256], groups: null }), p384),
    ).toBeNull();
  });

  it('needs uncompressed points when ec_point_formats is sent', () => {
    expect(supportsCertificate(tls12({ pointFormats: [1, 2] }), p256)).toBe(POINTS);
    expect(supportsCertificate(tls12({ pointFormats: [1, 0] }), p256)).toBeNull();
    expect(supportsCertificate(tls12({ pointFormats: null }), p256)).toBeNull();
    // RSA falls back to static RSA, which needs no ECDHE at all.
    expect(supportsCertificate(tls12({ pointFormats: [1] }), rsa)).toBeNull();
    expect(
      supportsCertificate(tls12({ pointFormats: [1], suites: [ECDHE_RSA_AES_128_GCM] }), rsa),
    ).toBe(POINTS);
  });

  it('needs an elliptic curve group for ECDHE', () => {
    const ffdheOnly = {
      groups: [FFDHE2048],
      suites: [ECDHE_RSA_AES_128_GCM, ECDHE_ECDSA_AES_128_GCM],
    };
    expect(supportsCertificate(tls12(ffdheOnly), rsa)).toBe(NO_ECDHE);
    expect(supportsCertificate(tls12(ffdheOnly), p256)).toBe(NO_ECDHE);
    expect(supportsCertificate(tls12({ ...ffdheOnly, suites: [RSA_AES_128_GCM] }), rsa)).toBeNull();
  });

  it('needs an ECDHE_ECDSA suite for ECDSA and Ed25519, and an ECDHE_RSA one for RSA', () => {
    const rsaSuites = tls12({ suites: [ECDHE_RSA_AES_128_GCM] });
    expect(supportsCertificate(rsaSuites, rsa)).toBeNull();
    expect(supportsCertificate(rsaSuites, p256)).toBe(SUITE);
    expect(supportsCertificate(rsaSuites, ed25519)).toBe(SUITE);
    const ecdsaSuites = tls12({ suites: [ECDHE_ECDSA_AES_128_GCM] });
    expect(supportsCertificate(ecdsaSuites, p256)).toBeNull();
    expect(supportsCertificate(ecdsaSuites, ed25519)).toBeNull();
    expect(supportsCertificate(ecdsaSuites, rsa)).toBe(SUITE);
    // TLS 1.3 suites bind no key type and do not count in TLS 1.2.
    expect(supportsCertificate(tls12({ suites: [AES_128_GCM_SHA256] }), p256)).toBe(SUITE);
  });

  it('falls back to static RSA when signatures or ECDHE do not work out', () => {
    // Signature schemes for ECDSA only: an RSA key can still decrypt the premaster secret.
    const ecdsaSigalgs = { sigalgs: [ECDSA_P256_SHA256] };
    expect(
      supportsCertificate(
        tls12({ ...ecdsaSigalgs, suites: [ECDHE_RSA_AES_128_GCM, RSA_AES_128_GCM] }),
        rsa,
      ),
    ).toBeNull();
    expect(
      supportsCertificate(tls12({ ...ecdsaSigalgs, suites: [ECDHE_RSA_AES_128_GCM] }), rsa),
    ).toBe(SIGNATURE);
    expect(supportsCertificate(tls12({ suites: [RSA_AES_128_GCM] }), rsa)).toBeNull();
    // An id-RSASSA-PSS key is for signing only (RFC 4055 §1.2): no static RSA with it.
    const pssSigalgs = { sigalgs: [RSA_PSS_PSS_SHA256] };
    expect(supportsCertificate(tls12({ ...pssSigalgs, suites: [RSA_AES_128_GCM] }), rsaPss)).toBe(
      SUITE,
    );
    expect(supportsCertificate(tls12({ suites: [RSA_AES_128_GCM] }), rsaPss)).toBe(SIGNATURE);
    // TLS 1.2-only suites do not count in TLS 1.0/1.1.
    const tls10 = (suites: number[]) => tls12({ legacyVersion: TLS10, sigalgs: null, suites });
    expect(supportsCertificate(tls10([RSA_AES_128_GCM]), rsa, { minVersion: 'TLSv1' })).toBe(SUITE);
    expect(
      supportsCertificate(tls10([RSA_AES_128_CBC_SHA]), rsa, { minVersion: 'TLSv1' }),
    ).toBeNull();
  });

  it('uses the RFC 5246 defaults when a TLS 1.2 client sends no signature_algorithms', () => {
    const noSigalgs = (suites: number[]) => tls12({ sigalgs: null, suites });
    // {sha1, rsa} with RSA key exchange suites, {sha1, ecdsa} with ECDHE_ECDSA.
    expect(supportsCertificate(noSigalgs([ECDHE_RSA_AES_128_GCM]), rsa)).toBeNull();
    expect(supportsCertificate(noSigalgs([ECDHE_ECDSA_AES_128_GCM]), p256)).toBeNull();
    expect(supportsCertificate(noSigalgs([ECDHE_RSA_AES_128_GCM]), p256)).toBe(SUITE);
    // Neither default covers Ed25519 or RSA-PSS.
    expect(supportsCertificate(noSigalgs([ECDHE_ECDSA_AES_128_GCM]), ed25519)).toBe(SIGNATURE);
    expect(supportsCertificate(noSigalgs([ECDHE_RSA_AES_128_GCM]), rsaPss)).toBe(SIGNATURE);
  });

  it('accepts PKCS#1 and PSS for RSA and needs them to be offered', () => {
    expect(
      supportsCertificate(
        tls12({ sigalgs: [RSA_PKCS1_SHA256], suites: [ECDHE_RSA_AES_128_GCM] }),
        rsa,
      ),
    ).toBeNull();
    expect(
      supportsCertificate(
        tls12({ sigalgs: [RSA_PSS_RSAE_SHA256], suites: [ECDHE_RSA_AES_128_GCM] }),
        rsa,
      ),
    ).toBeNull();
    expect(
      supportsCertificate(
        tls12({ sigalgs: [RSA_PSS_PSS_SHA256], suites: [ECDHE_RSA_AES_128_GCM] }),
        rsaPss,
      ),
    ).toBeNull();
    expect(
      supportsCertificate(tls12({ sigalgs: [ED25519], suites: [ECDHE_RSA_AES_128_GCM] }), rsa),
    ).toBe(SIGNATURE);
  });

  it('has fixed signatures in TLS 1.0 and 1.1: RSA and ECDSA, no Ed25519, no PSS', () => {
    const tls10 = tls12({
      legacyVersion: TLS10,
      sigalgs: null,
      suites: [ECDHE_ECDSA_AES_128_CBC_SHA, ECDHE_RSA_AES_128_CBC_SHA],
    });
    const old = { minVersion: 'TLSv1' } as const;
    expect(supportsCertificate(tls10, rsa, old)).toBeNull();
    expect(supportsCertificate(tls10, p256, old)).toBeNull();
    expect(supportsCertificate(tls10, ed25519, old)).toBe(SIGNATURE);
    expect(supportsCertificate(tls10, rsaPss, old)).toBe(SIGNATURE);
  });
});

describe('supportsCertificate: GREASE', () => {
  it('never matches a GREASE value, wherever the client puts one', () => {
    const grease = [0x0a0a, 0x1a1a, 0x2a2a, 0xfafa];
    expect(supportsCertificate(tls13({ versions: grease }), rsa, { minVersion: 'TLSv1' })).toBe(
      NO_VERSION,
    );
    expect(supportsCertificate(tls13({ sigalgs: grease }), p256)).toBe(SIGNATURE);
    expect(supportsCertificate(tls12({ groups: grease }), p256)).toBe(NO_ECDHE);
    expect(supportsCertificate(tls12({ groups: [...grease, X25519] }), p256)).toBe(CURVE);
    expect(supportsCertificate(tls12({ suites: grease }), p256)).toBe(SUITE);
    expect(supportsCertificate(tls12({ suites: grease }), rsa)).toBe(SUITE);
    // And GREASE around real values changes nothing.
    const mixed = tls13({
      versions: [0x3a3a, TLS13],
      sigalgs: [0x4a4a, ECDSA_P256_SHA256],
      suites: [0x5a5a, AES_128_GCM_SHA256],
    });
    expect(supportsCertificate(mixed, p256)).toBeNull();
  });
});

describe('supportsCertificate: reasons', () => {
  it('lists every reason it gives', () => {
    const given = [
      NO_VERSION,
      NAME,
      NO_SIGALGS,
      SIGNATURE,
      TOO_SMALL,
      POINTS,
      NO_ECDHE,
      CURVE,
      SUITE,
    ];
    expect([...UNSUPPORTED_CERTIFICATE_REASONS].sort()).toEqual([...given].sort());
  });
});

describe('selectCertificate', () => {
  const candidate = (name: string, description: CertificateDescription) => ({ name, description });
  const rsaA = candidate('rsa-a', rsa);
  const rsaB = candidate('rsa-b', rsa);
  const ecA = candidate('ecdsa-a', p384);
  const ecB = candidate('ecdsa-b', p256);
  const ed = candidate('ed25519', ed25519);

  it('prefers ECDSA over RSA when the client takes both, whatever the order given', () => {
    const result = selectCertificate(tls13(), [rsaA, ecB]);
    expect(result.selected?.name).toBe('ecdsa-b');
    expect(result.rejected).toEqual([]);
    expect(
      selectCertificate(tls13({ sigalgs: [0x0403, 0x0804, 0x0807] }), [rsaA, ed, ecB]).selected
        ?.name,
    ).toBe('ecdsa-b');
    expect(
      selectCertificate(tls13({ sigalgs: [0x0804, 0x0807] }), [rsaA, ed, ecB]).selected?.name,
    ).toBe('ed25519');
  });

  it('keeps the given order among candidates of the same key type', () => {
    expect(selectCertificate(tls13(), [rsaB, rsaA]).selected?.name).toBe('rsa-b');
    // The first ECDSA candidate (P-384) is not supported by this client; the second is.
    const result = selectCertificate(tls13(), [rsaA, ecA, ecB]);
    expect(result.selected?.name).toBe('ecdsa-b');
    expect(result.rejected).toEqual([{ candidate: ecA, reason: SIGNATURE }]);
  });

  it('falls back to RSA for a client that cannot take ECDSA, and says why', () => {
    const rsaOnly = tls12({ sigalgs: [RSA_PKCS1_SHA256], suites: [ECDHE_RSA_AES_128_GCM] });
    const result = selectCertificate(rsaOnly, [ecB, rsaA]);
    expect(result.selected?.name).toBe('rsa-a');
    expect(result.rejected).toEqual([{ candidate: ecB, reason: SIGNATURE }]);
  });

  it('selects nothing when no candidate is supported, with every reason', () => {
    const result = selectCertificate(tls13({ sni: 'other.test' }), [rsaA, ecB]);
    expect(result.selected).toBeUndefined();
    expect(result.rejected).toEqual([
      { candidate: rsaA, reason: NAME },
      { candidate: ecB, reason: NAME },
    ]);
    expect(selectCertificate(tls13(), []).selected).toBeUndefined();
  });

  it('takes a preference list; key types left out come last', () => {
    expect(selectCertificate(tls13(), [ecB, rsaA], { prefer: ['rsa'] }).selected?.name).toBe(
      'rsa-a',
    );
    expect(
      selectCertificate(tls13(), [rsaA, ed, ecB], { prefer: ['ed25519'] }).selected?.name,
    ).toBe('ed25519');
    // Neither listed: the given order decides.
    expect(selectCertificate(tls13(), [rsaA, ecB], { prefer: ['ed25519'] }).selected?.name).toBe(
      'rsa-a',
    );
  });

  it('takes a comparator; ties go to the first given', () => {
    const bySize = (a: { name: string }, b: { name: string }) => a.name.length - b.name.length;
    expect(selectCertificate(tls13(), [ecB, rsaA, rsaB], { prefer: bySize }).selected?.name).toBe(
      'rsa-a',
    );
    expect(selectCertificate(tls13(), [ecB, rsaA], { prefer: () => 0 }).selected?.name).toBe(
      'ecdsa-b',
    );
  });

  it('passes the version range on', () => {
    const only13 = tls13({ versions: [TLS13] });
    const result = selectCertificate(only13, [rsaA], { versions: { maxVersion: 'TLSv1.2' } });
    expect(result.selected).toBeUndefined();
    expect(result.rejected).toEqual([{ candidate: rsaA, reason: NO_VERSION }]);
  });
});
