/**
 * Node's own client, `tls.connect({ requestOCSP: true })`: the 'OCSPResponse' it gets is, byte
 * for byte, the stapler's response for the certificate it was served, for each key type, also
 * with many clients of both kinds at once (the case Node's multi-certificate context gets
 * wrong), and with several hostnames (SNI, wildcard, default).
 */
import * as net from 'node:net';
import { parseClientHello } from '@staple/client-hello';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  captureHello,
  certificatesOf,
  closeServer,
  endWith,
  listen,
  nodeHandshake,
  serialOfPeer,
  stapleSerial,
  startEnv,
  type TestEnv,
} from './helpers.js';

const RSA_TLS12 = { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' } as const;
const RSA_TLS13 = {
  sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
  minVersion: 'TLSv1.3',
} as const;

describe('Node client with requestOCSP', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    server = createTlsServer(
      { certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']) },
      (socket) => {
        const info = getStapleInfo(socket);
        endWith(`${info?.keyType} ${info?.certificate.serialNumber} ${info?.stapled}`)(socket);
      },
    );
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  const cases = [
    { name: 'ECDSA, TLS 1.3', leaf: 'ecdsa', options: {}, protocol: 'TLSv1.3' },
    {
      name: 'ECDSA, TLS 1.2',
      leaf: 'ecdsa',
      options: { maxVersion: 'TLSv1.2' },
      protocol: 'TLSv1.2',
    },
    { name: 'RSA, TLS 1.2 (ECDHE-RSA only)', leaf: 'rsa', options: RSA_TLS12, protocol: 'TLSv1.2' },
    {
      name: 'RSA, TLS 1.3 (RSA signature algorithms only)',
      leaf: 'rsa',
      options: RSA_TLS13,
      protocol: 'TLSv1.3',
    },
  ] as const;

  for (const c of cases) {
    it(`${c.name}: the OCSPResponse is the stapler's DER for that certificate`, async () => {
      const leaf = env.pki.leaf(c.leaf);
      const result = await nodeHandshake(port, env.pki.rootPem, c.options);
      expect(result.protocol).toBe(c.protocol);
      expect(serialOfPeer(result.peer)).toBe(leaf.serialNumber);
      expect(result.data).toBe(`${c.leaf} ${leaf.serialNumber} true`);
      const expected = server.stapler!.get(leaf.certificate);
      expect(expected).toBeDefined();
      expect(result.ocsp).toBeInstanceOf(Buffer);
      expect(Buffer.compare(result.ocsp!, Buffer.from(expected!))).toBe(0);
      expect(stapleSerial(result.ocsp!)).toBe(leaf.serialNumber);
    });
  }

  it('a client that does not ask gets no staple, and the server records stapled: false', async () => {
    const result = await nodeHandshake(port, env.pki.rootPem, { requestOCSP: false });
    expect(result.ocsp).toBeUndefined();
    expect(result.data).toBe(`ecdsa ${env.pki.leaf('ecdsa').serialNumber} false`);
  });

  it('a status_request of another type than OCSP gets no staple, and the server records stapled: false', async () => {
    // A real hello from Node's client, with status_request's type changed from ocsp (1) to 2:
    // OpenSSL ignores a type it does not know, so nothing is stapled.
    const hello = await captureHello({ requestOCSP: true });
    const status = parseClientHello(hello).extensions.find((e) => e.type === 5);
    expect(status?.data[0]).toBe(1);
    status!.data[0] = 2;
    expect(parseClientHello(hello).statusRequest).toEqual({ statusType: 2 });
    const raw = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect(port, '127.0.0.1');
    try {
      client.on('error', () => {});
      client.write(hello);
      // The server's first flight: the hello was read, a certificate chosen and TLS started.
      await new Promise((resolve) => client.once('data', resolve));
      const info = getStapleInfo(await raw);
      expect(info?.keyType).toBe('ecdsa');
      expect(info?.hello?.statusRequest).toEqual({ statusType: 2 });
      expect(info?.stapled).toBe(false);
      // Left mid-handshake: the server reports it, before the next test listens.
      const reported = new Promise<{ code?: string }>((resolve) =>
        server.once('tlsClientError', resolve),
      );
      client.destroy();
      expect((await reported).code).toBe('ECONNRESET');
    } finally {
      client.destroy();
    }
  });

  it('a client that can use no certificate is refused before TLS, with the reasons', async () => {
    const errors: { code?: string; rejected?: readonly unknown[] }[] = [];
    const onError = (error: { code?: string }) => errors.push(error);
    server.on('tlsClientError', onError);
    try {
      const before = server.stats().noCertificate;
      // TLS 1.3 forbids rsa_pkcs1 handshake signatures, and nothing else is offered.
      await expect(
        nodeHandshake(port, env.pki.rootPem, {
          minVersion: 'TLSv1.3',
          sigalgs: 'rsa_pkcs1_sha256',
        }),
      ).rejects.toThrow();
      expect(server.stats().noCertificate).toBe(before + 1);
      expect(errors.map((e) => e.code)).toEqual(['ERR_STAPLE_SERVER_NO_CERTIFICATE']);
      expect(errors[0]?.rejected).toHaveLength(2);
    } finally {
      server.off('tlsClientError', onError);
    }
  });

  it('40 clients at once, RSA and ECDSA interleaved: each gets its own certificate’s staple', async () => {
    const kinds = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? 'rsa' : 'ecdsa'));
    const results = await Promise.all(
      kinds.map((kind) =>
        nodeHandshake(port, env.pki.rootPem, kind === 'rsa' ? RSA_TLS12 : {}, 10_000),
      ),
    );
    for (const [i, result] of results.entries()) {
      const leaf = env.pki.leaf(kinds[i]!);
      expect(serialOfPeer(result.peer)).toBe(leaf.serialNumber);
      expect(result.ocsp).toBeInstanceOf(Buffer);
      expect(stapleSerial(result.ocsp!)).toBe(leaf.serialNumber);
    }
  });
});

describe('several hostnames: SNI, wildcard, default', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv({
      pki: {
        leaves: [
          { name: 'main', keyType: 'ecdsa-p256' },
          { name: 'a', keyType: 'ecdsa-p256', dnsNames: ['a.test'], ips: [] },
          { name: 'wild', keyType: 'ecdsa-p256', dnsNames: ['*.b.test'], ips: [] },
        ],
      },
    });
    server = createTlsServer({ certificates: certificatesOf(env.pki) }, (socket) => {
      const info = getStapleInfo(socket);
      endWith(`${info?.hello?.serverName ?? '-'} ${info?.certificate.serialNumber}`)(socket);
    });
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  const cases = [
    { servername: 'a.test', leaf: 'a' },
    { servername: 'x.b.test', leaf: 'wild' },
    { servername: 'localhost', leaf: 'main' },
    // No SNI at all: the default (first) certificate.
    { servername: '', leaf: 'main' },
    // A name nothing matches: the default host, which the client then judges.
    { servername: 'nobody.test', leaf: 'main' },
    // The wildcard covers one label only.
    { servername: 'y.x.b.test', leaf: 'main' },
  ] as const;

  for (const c of cases) {
    it(`SNI '${c.servername}' → ${c.leaf}, with that certificate's staple`, async () => {
      const leaf = env.pki.leaf(c.leaf);
      const result = await nodeHandshake(port, env.pki.rootPem, {
        servername: c.servername,
        checkServerIdentity: () => undefined,
      });
      expect(serialOfPeer(result.peer)).toBe(leaf.serialNumber);
      expect(result.data).toBe(`${c.servername || '-'} ${leaf.serialNumber}`);
      expect(result.ocsp).toBeInstanceOf(Buffer);
      expect(stapleSerial(result.ocsp!)).toBe(leaf.serialNumber);
    });
  }
});

// With requestCert the connection goes through Node's own tls.Server path (the client
// certificate checks stay Node's), stapled from its OCSPRequest event instead of on the handle.
describe('client certificates asked for (requestCert): Node’s own path', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;

  beforeAll(async () => {
    env = await startEnv();
    server = createTlsServer(
      {
        certificates: certificatesOf(env.pki, ['rsa', 'ecdsa']),
        requestCert: true,
        rejectUnauthorized: false,
        ca: env.pki.rootPem,
      },
      (socket) => {
        const info = getStapleInfo(socket);
        endWith(`${info?.keyType} ${socket.authorized} ${socket.authorizationError}`)(socket);
      },
    );
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  for (const [kind, options] of [
    ['ecdsa', {}],
    ['rsa', RSA_TLS12],
  ] as const) {
    it(`${kind}: the right staple, and Node's verdict on the (absent) client certificate`, async () => {
      const leaf = env.pki.leaf(kind);
      const result = await nodeHandshake(port, env.pki.rootPem, options);
      expect(serialOfPeer(result.peer)).toBe(leaf.serialNumber);
      expect(result.data).toBe(`${kind} false UNABLE_TO_GET_ISSUER_CERT`);
      expect(result.ocsp).toBeInstanceOf(Buffer);
      expect(stapleSerial(result.ocsp!)).toBe(leaf.serialNumber);
    });
  }
});
