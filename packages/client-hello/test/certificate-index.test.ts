import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CertificateDescription,
  CertificateIndex,
  type ClientHello,
  parseClientHello,
  selectCertificate,
  supportsCertificate,
} from '../src/index.js';
import { ext, helloRecords } from './build-hello.js';

// CertificateIndex finds by map lookup the certificates supportsCertificate would find valid for
// a server name one by one; select then prefers an exact name to a wildcard, and falls back to
// the default host only when no certificate is valid for the name.

const ECDSA_P256 = 0x0403;
const RSA_PSS = 0x0804;

/** A TLS 1.3 hello with this server_name (none when undefined) and these signature schemes. */
function hello(sni: string | undefined, sigalgs = [ECDSA_P256, RSA_PSS]): ClientHello {
  return parseClientHello(
    helloRecords({
      cipherSuites: [0x1301, 0xc02b, 0xc02f],
      extensions: [
        ...(sni === undefined ? [] : [ext.serverName(sni)]),
        ext.supportedGroups([0x001d, 0x0017]),
        ext.signatureAlgorithms(sigalgs),
        ext.supportedVersions([0x0304, 0x0303]),
        ext.keyShare([[0x001d, 32]]),
      ],
    }),
  );
}

interface Cert {
  readonly id: string;
  readonly description: CertificateDescription;
  readonly isDefault?: boolean;
}

const ecdsa = (id: string, dnsNames: string[], ipAddresses: string[] = []): Cert => ({
  id,
  description: { keyType: 'ecdsa', curve: 'P-256', dnsNames, ipAddresses },
});
const rsa = (id: string, dnsNames: string[], ipAddresses: string[] = []): Cert => ({
  id,
  description: { keyType: 'rsa', rsaBits: 2048, dnsNames, ipAddresses },
});

const indexOf = (certs: readonly Cert[]) =>
  new CertificateIndex(certs, { isDefault: (c) => c.isDefault === true });
const ids = (certs: readonly Cert[]) => certs.map((c) => c.id);

describe('CertificateIndex.forName', () => {
  const certs = [
    { ...ecdsa('main', ['localhost'], ['127.0.0.1', '::1']), isDefault: true },
    ecdsa('exact', ['www.example.test', 'WWW.Example.TEST']),
    rsa('wild', ['*.example.test']),
    ecdsa('dot', ['dotted.test.']),
    ecdsa('ip', [], ['10.0.0.1', '2001:db8::1']),
    ecdsa('odd', ['', '*', 'w*.example.test', '127.0.0.3']),
  ];
  const index = indexOf(certs);

  it('looks up exact names ignoring ASCII case, once per certificate', () => {
    expect(ids(index.forName('www.example.test').exact)).toEqual(['exact']);
    expect(ids(index.forName('WwW.EXAMPLE.test').exact)).toEqual(['exact']);
    expect(ids(index.forName('localhost').exact)).toEqual(['main']);
  });

  it('looks up one-label wildcards by the parent name', () => {
    expect(ids(index.forName('www.example.test').wildcard)).toEqual(['wild']);
    expect(ids(index.forName('API.example.test').wildcard)).toEqual(['wild']);
    expect(index.forName('example.test')).toEqual({ exact: [], wildcard: [] });
    expect(index.forName('a.b.example.test')).toEqual({ exact: [], wildcard: [] });
    // The label a wildcard stands for is never empty.
    expect(index.forName('.example.test')).toEqual({ exact: [], wildcard: [] });
  });

  it('drops the trailing dot of a certificate name (the parser refuses one in server_name)', () => {
    expect(ids(index.forName('dotted.test').exact)).toEqual(['dot']);
  });

  it('matches IP literals against IP addresses only, normalised', () => {
    expect(ids(index.forName('10.0.0.1').exact)).toEqual(['ip']);
    expect(ids(index.forName('::ffff:10.0.0.1').exact)).toEqual(['ip']);
    expect(ids(index.forName('2001:DB8:0:0:0:0:0:1').exact)).toEqual(['ip']);
    expect(ids(index.forName('127.0.0.1').exact)).toEqual(['main']);
    expect(ids(index.forName('0:0:0:0:0:0:0:1').exact)).toEqual(['main']);
    // A DNS name that looks like an address is never matched by one.
    expect(index.forName('127.0.0.3')).toEqual({ exact: [], wildcard: [] });
  });

  it('finds exactly what supportsCertificate finds valid for a name (random names and patterns)', () => {
    const label = fc.constantFrom('a', 'B', 'www', '*', 'x*', '', '1', '127', '0');
    const name = fc
      .array(label, { minLength: 1, maxLength: 4 })
      .map((labels) => labels.join('.'))
      .chain((n) => fc.constantFrom(n, `${n}.`, n.toUpperCase()));
    const ip = fc.constantFrom('127.0.0.1', '::1', '::ffff:7f00:1', '1.0.0.127', 'not-an-ip', '');
    const base = hello('x.test');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            dnsNames: fc.array(name, { maxLength: 3 }),
            ips: fc.array(ip, { maxLength: 2 }),
          }),
          { maxLength: 6 },
        ),
        fc.oneof(name, ip),
        (specs, serverName) => {
          const certs = specs.map((s, i) => ecdsa(`c${i}`, s.dnsNames, s.ips));
          const { exact, wildcard } = indexOf(certs).forName(serverName);
          const found = new Set([...exact, ...wildcard]);
          const h = { ...base, serverName };
          const valid = certs.filter((c) => supportsCertificate(h, c.description) === null);
          expect(ids(certs.filter((c) => found.has(c)))).toEqual(ids(valid));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  it('refuses a description supportsCertificate would refuse, when built', () => {
    expect(
      () => new CertificateIndex([{ description: { keyType: 'ecdsa', dnsNames: ['a.test'] } }]),
    ).toThrow(/needs a curve/);
  });
});

describe('CertificateIndex.select', () => {
  const main = { ...ecdsa('main', ['localhost']), isDefault: true };
  const mainRsa = { ...rsa('main-rsa', ['localhost']), isDefault: true };
  const exactRsa = rsa('exact-rsa', ['www.c.test']);
  const wildEcdsa = ecdsa('wild-ecdsa', ['*.c.test']);
  const onlyEcdsa = ecdsa('only-ecdsa', ['e.test']);
  const index = indexOf([main, mainRsa, exactRsa, wildEcdsa, onlyEcdsa]);
  const rsaOnly = [RSA_PSS];
  const ecdsaOnly = [ECDSA_P256];

  it('no server_name: the default host, ECDSA before RSA', () => {
    expect(index.select(hello(undefined))).toBe(main);
    expect(index.select(hello(undefined, rsaOnly))).toBe(mainRsa);
  });

  it('an exact name wins over a wildcard, whatever the key types', () => {
    expect(index.select(hello('www.c.test'))).toBe(exactRsa);
    expect(index.select(hello('WWW.C.TEST'))).toBe(exactRsa);
  });

  it('the wildcard when the client can take none of the exact name’s certificates', () => {
    expect(index.select(hello('www.c.test', ecdsaOnly))).toBe(wildEcdsa);
    expect(index.select(hello('other.c.test'))).toBe(wildEcdsa);
  });

  it('a name no certificate is valid for: the default host, the name not checked', () => {
    expect(index.select(hello('nobody.test'))).toBe(main);
    expect(index.select(hello('a.b.c.test', rsaOnly))).toBe(mainRsa);
  });

  it('a name some certificate is valid for but the client cannot take: nothing', () => {
    expect(index.select(hello('e.test', rsaOnly))).toBeUndefined();
    expect(index.select(hello('x.c.test', rsaOnly))).toBeUndefined();
  });

  it('leaves out what `usable` refuses, as if not held', () => {
    const notExact = (c: Cert) => c !== exactRsa;
    expect(index.select(hello('www.c.test'), { usable: notExact })).toBe(wildEcdsa);
    const notOnly = (c: Cert) => c !== onlyEcdsa;
    // Nothing usable is valid for the name: the default host.
    expect(index.select(hello('e.test'), { usable: notOnly })).toBe(main);
  });

  it('takes selectCertificate’s preference option', () => {
    const rsaFirst = { prefer: ['rsa', 'ecdsa'] as const };
    expect(index.select(hello(undefined), rsaFirst)).toBe(mainRsa);
  });

  it('with one name each, agrees with selectCertificate over every certificate', () => {
    const many = Array.from({ length: 1_000 }, (_, i) =>
      i % 3 === 0 ? rsa(`r${i}`, [`h${i}.test`]) : ecdsa(`e${i}`, [`h${i}.test`]),
    );
    const big = indexOf([{ ...many[0]!, isDefault: true }, ...many.slice(1)]);
    for (let i = 0; i < 1_000; i += 37) {
      const h = hello(`H${i}.Test`);
      const chosen = big.select(h);
      expect(chosen?.id).toBe(many[i]!.id);
      expect(chosen?.id).toBe(selectCertificate(h, big.candidates).selected?.id);
    }
  });
});
