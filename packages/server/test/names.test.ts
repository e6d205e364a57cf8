/**
 * Choosing by server name: 1,000 certificates with distinct names (each SNI its own certificate
 * and its own staple, found by lookup rather than by trying them all), exact names before
 * wildcards, IP addresses, the default host, ASCII case, `setCertificates` replacing the names,
 * and what a `select` policy is given.
 */
import type * as tls from 'node:tls';
import { startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateChoice,
  createTlsServer,
  getStapleInfo,
  type StapleServer,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  listen,
  nodeHandshake,
  serialOfPeer,
  stapleSerial,
} from './helpers.js';

/** What the test servers write back: the server name they saw and the serial they served. */
function echoChoice(socket: tls.TLSSocket): void {
  const info = getStapleInfo(socket);
  endWith(`${info?.hello?.serverName ?? '-'} ${info?.certificate.serialNumber}`)(socket);
}

/** The serial served to a client sending `servername` ('' for none); the name is not verified. */
async function served(
  port: number,
  env: TestOcsp,
  servername: string,
  options: tls.ConnectionOptions = {},
): Promise<string> {
  const result = await nodeHandshake(port, env.pki.rootPem, {
    servername,
    checkServerIdentity: () => undefined,
    ...options,
  });
  const serial = serialOfPeer(result.peer);
  expect(result.data).toBe(`${servername || '-'} ${serial}`);
  return serial;
}

const COUNT = 1_000;
const manyName = (i: number) => `h${i}.many.test`;

describe(`${COUNT.toLocaleString('en')} certificates with distinct names`, () => {
  let env: TestOcsp;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startTestOcsp({
      pki: {
        leaves: [
          // The default host: localhost, 127.0.0.1 and ::1.
          { name: 'main', keyType: 'ecdsa-p256' },
          ...Array.from({ length: COUNT }, (_, i) => ({
            name: `h${i}`,
            keyType: 'ecdsa-p256' as const,
            dnsNames: [manyName(i)],
            ips: [],
          })),
        ],
      },
    });
    // 1,001 first fetches at once: on a loaded 2-core CI machine some take longer than the
    // default 5 s timeout, and a certificate without its staple would fail the test below.
    server = createTlsServer(
      { certificates: certificatesOf(env.pki), stapling: { fetchOptions: { timeoutMs: 60_000 } } },
      echoChoice,
    );
    await server.ready();
    port = await listen(server);
  }, 120_000);

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('each SNI gets its own certificate, verified by the client, with its own staple', async () => {
    const batch = 25;
    for (let start = 0; start < COUNT; start += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, COUNT - start) }, async (_, k) => {
          const i = start + k;
          const leaf = env.pki.leaf(`h${i}`);
          // The client checks the certificate against the name it sent.
          const result = await nodeHandshake(port, env.pki.rootPem, { servername: manyName(i) });
          expect(serialOfPeer(result.peer)).toBe(leaf.serialNumber);
          expect(result.ocsp).toBeInstanceOf(Buffer);
          expect(stapleSerial(result.ocsp!)).toBe(leaf.serialNumber);
        }),
      );
    }
  }, 120_000);

  it('SNI is matched ignoring ASCII case', async () => {
    expect(await served(port, env, 'H417.Many.TEST')).toBe(env.pki.leaf('h417').serialNumber);
  });

  it('an unknown name, and no SNI at all, get the default host', async () => {
    const main = env.pki.leaf('main').serialNumber;
    expect(await served(port, env, 'nobody.many.test')).toBe(main);
    // A client connecting to an IP address sends no SNI; the default host's IP SAN verifies.
    const result = await nodeHandshake(port, env.pki.rootPem, { servername: '' });
    expect(serialOfPeer(result.peer)).toBe(main);
  });

  it('a client that can take no certificate is refused with a reason for every certificate', async () => {
    const errors: { code?: string; rejected?: readonly unknown[] }[] = [];
    const onError = (error: { code?: string }) => errors.push(error);
    server.on('tlsClientError', onError);
    try {
      const before = server.stats().noCertificate;
      // Every certificate is ECDSA; this client offers RSA signatures only.
      await expect(
        nodeHandshake(port, env.pki.rootPem, {
          servername: manyName(3),
          minVersion: 'TLSv1.3',
          sigalgs: 'rsa_pss_rsae_sha256',
        }),
      ).rejects.toThrow();
      expect(server.stats().noCertificate).toBe(before + 1);
      expect(errors.map((e) => e.code)).toEqual(['ERR_STAPLE_SERVER_NO_CERTIFICATE']);
      expect(errors[0]?.rejected).toHaveLength(COUNT + 1);
    } finally {
      server.off('tlsClientError', onError);
    }
  });
});

describe('exact names, wildcards, IP addresses and the default host', () => {
  let env: TestOcsp;
  let server: StapleServer;
  let port: number;
  const serial = (name: string) => env.pki.leaf(name).serialNumber;

  beforeAll(async () => {
    env = await startTestOcsp({
      pki: {
        leaves: [
          { name: 'main', keyType: 'ecdsa-p256' },
          { name: 'exact', keyType: 'rsa', dnsNames: ['www.c.test'], ips: [] },
          { name: 'wild', keyType: 'ecdsa-p256', dnsNames: ['*.c.test'], ips: [] },
          { name: 'ip', keyType: 'ecdsa-p256', dnsNames: [], ips: ['127.0.0.2'] },
        ],
      },
    });
    server = createTlsServer({ certificates: certificatesOf(env.pki) }, echoChoice);
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('the exact name wins over a wildcard, even with ECDSA on the wildcard', async () => {
    expect(await served(port, env, 'www.c.test')).toBe(serial('exact'));
    expect(await served(port, env, 'WWW.C.Test')).toBe(serial('exact'));
  });

  it('the wildcard for other names, and for a client that cannot take the exact one', async () => {
    expect(await served(port, env, 'x.c.test')).toBe(serial('wild'));
    const ecdsaOnly = { minVersion: 'TLSv1.3', sigalgs: 'ecdsa_secp256r1_sha256' } as const;
    expect(await served(port, env, 'www.c.test', ecdsaOnly)).toBe(serial('wild'));
  });

  it('an IP literal in SNI (which some clients send) gets the certificate with that IP address', async () => {
    // Node warns (DEP0123) when asked to send an IP address as the server name, and sends it.
    const noDeprecation = process.noDeprecation;
    process.noDeprecation = true;
    try {
      expect(await served(port, env, '127.0.0.2')).toBe(serial('ip'));
      // An address no certificate holds: the default host.
      expect(await served(port, env, '127.0.0.9')).toBe(serial('main'));
    } finally {
      process.noDeprecation = noDeprecation;
    }
  });

  it('names the wildcard does not cover, and no SNI, get the default host', async () => {
    expect(await served(port, env, 'c.test')).toBe(serial('main'));
    expect(await served(port, env, 'a.b.c.test')).toBe(serial('main'));
    expect(await served(port, env, '')).toBe(serial('main'));
  });
});

describe('setCertificates', () => {
  let env: TestOcsp;
  let server: StapleServer | undefined;

  beforeAll(async () => {
    env = await startTestOcsp({
      pki: {
        leaves: [
          { name: 'one', keyType: 'ecdsa-p256', dnsNames: ['one.test'], ips: [] },
          { name: 'two', keyType: 'ecdsa-p256', dnsNames: ['two.test'], ips: [] },
          { name: 'three', keyType: 'ecdsa-p256', dnsNames: ['three.test'], ips: [] },
          { name: 'two-renewed', keyType: 'ecdsa-p256', dnsNames: ['two.test'], ips: [] },
        ],
      },
    });
  });

  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
  });

  afterAll(async () => {
    await env?.close();
  });

  it('rebuilds the name index: old names are gone, new names are served', async () => {
    const serial = (name: string) => env.pki.leaf(name).serialNumber;
    server = createTlsServer(
      { certificates: certificatesOf(env.pki, ['one', 'two']), stapling: false },
      echoChoice,
    );
    const port = await listen(server);
    expect(await served(port, env, 'one.test')).toBe(serial('one'));
    expect(await served(port, env, 'two.test')).toBe(serial('two'));
    expect(await served(port, env, 'three.test')).toBe(serial('one'));

    server.setCertificates(certificatesOf(env.pki, ['three', 'two-renewed']));
    expect(await served(port, env, 'three.test')).toBe(serial('three'));
    expect(await served(port, env, 'two.test')).toBe(serial('two-renewed'));
    // one.test is no longer held: the new default host (the first certificate) answers.
    expect(await served(port, env, 'one.test')).toBe(serial('three'));
  });

  it('a `select` policy is given every certificate for a name, and the default host for none', async () => {
    const calls: { serverName: string | undefined; candidates: string[] }[] = [];
    server = createTlsServer(
      {
        certificates: certificatesOf(env.pki, ['one', 'two', 'three']),
        stapling: false,
        select: (hello, candidates: readonly CertificateChoice[]) => {
          calls.push({
            serverName: hello.serverName,
            candidates: candidates.map((c) => c.description.dnsNames[0]!),
          });
          const name = hello.serverName;
          return name === undefined
            ? candidates[0]
            : candidates.find((c) => c.description.dnsNames.includes(name));
        },
      },
      echoChoice,
    );
    const port = await listen(server);
    const all = ['one.test', 'two.test', 'three.test'];

    expect(await served(port, env, 'two.test')).toBe(env.pki.leaf('two').serialNumber);
    expect(calls.splice(0)).toEqual([{ serverName: 'two.test', candidates: all }]);

    expect(await served(port, env, '')).toBe(env.pki.leaf('one').serialNumber);
    expect(calls.splice(0)).toEqual([{ serverName: undefined, candidates: ['one.test'] }]);

    // The policy picks nothing for a name no certificate holds: asked again for the default
    // host, as for a client without SNI.
    expect(await served(port, env, 'nobody.test')).toBe(env.pki.leaf('one').serialNumber);
    expect(calls.splice(0)).toEqual([
      { serverName: 'nobody.test', candidates: all },
      { serverName: undefined, candidates: ['one.test'] },
    ]);
  });
});
