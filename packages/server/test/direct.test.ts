/**
 * `clientHello: false`: one certificate, no hello read, the connection straight to TLS with the
 * staple set. Real clients see the same staple as on the reading path; what needs the hello is
 * absent (no `hello` in getStapleInfo); a plain HTTP request still gets its 400, from TLS's own
 * error; options that need a choice are refused. (Must-Staple with clientHello: false is in
 * must-staple.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createServer,
  createTlsServer,
  getStapleInfo,
  type StapleInfo,
  type StapleServer,
} from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  curlHttps,
  endWith,
  gnutlsOcsp,
  HOST,
  listen,
  nodeHandshake,
  opensslSerial,
  parseSClient,
  rawExchange,
  sClient,
  serialOfPeer,
  stapleCertStatus,
  stapleSerial,
  startEnv,
  type TestEnv,
  waitFor,
} from './helpers.js';

describe('clientHello: false, one RSA certificate', () => {
  let env: TestEnv;
  let server: StapleServer;
  let port: number;
  const infos: (StapleInfo | undefined)[] = [];
  const clientErrors: { code?: string; message?: string }[] = [];

  beforeAll(async () => {
    env = await startEnv();
    server = createTlsServer(
      { certificates: certificatesOf(env.pki, ['rsa']), clientHello: false },
      (socket) => {
        infos.push(getStapleInfo(socket));
        endWith('ok\n')(socket);
      },
    );
    server.on('tlsClientError', (error: { code?: string; message?: string }) => {
      clientErrors.push(error);
    });
    await server.ready();
    port = await listen(server);
  });

  afterAll(async () => {
    await closeServer(server);
    await env.close();
  });

  it('openssl s_client -status: successful and good, for TLS 1.3 and TLS 1.2, with the served serial', async () => {
    const rsa = env.pki.leaf('rsa');
    for (const version of ['-tls1_3', '-tls1_2']) {
      const facts = parseSClient((await sClient(port, env.files.root, [version])).stdout);
      expect(facts.ocspStatus, version).toBe('successful');
      expect(facts.certStatus, version).toBe('good');
      expect(facts.verified, version).toBe(true);
      expect(facts.protocol, version).toBe(version === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2');
      expect(facts.ocspSerial, version).toBe(rsa.serialNumber);
      expect(await opensslSerial(facts.serverCertificatePem!), version).toBe(rsa.serialNumber);
    }
  });

  it('gnutls-cli --ocsp verifies the staple', async () => {
    const result = await gnutlsOcsp(env, port);
    expect(result.timedOut).toBe(false);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('The certificate is trusted');
    expect(result.stdout).toContain('Handshake was completed');
  });

  it("Node's client gets the staple for the served certificate; getStapleInfo has no hello", async () => {
    infos.length = 0;
    const got = await nodeHandshake(port, env.pki.rootPem);
    expect(got.ocsp).toBeInstanceOf(Buffer);
    expect(stapleSerial(got.ocsp!)).toBe(serialOfPeer(got.peer));
    expect(stapleCertStatus(got.ocsp!)).toBe('good');
    expect(got.data).toBe('ok\n');
    const info = infos[0];
    expect(info?.keyType).toBe('rsa');
    expect(info?.certificate.serialNumber).toBe(env.pki.leaf('rsa').serialNumber);
    expect(info?.hello).toBeUndefined();
    expect(info?.stapled).toBe(true);
    expect(info?.staple?.certStatus).toBe('good');
    expect(info?.staple?.stapling).toBe(true);
  });

  it('a plain HTTP request, recognised by TLS, gets the 400 and is counted, as on the reading path', async () => {
    for (const request of ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 'POST /form HTTP/1.0\r\n\r\n']) {
      const before = server.stats();
      const errorsBefore = clientErrors.length;
      const { received } = await rawExchange(port, request);
      expect(received, request).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(received, request).toContain('This port speaks HTTPS');
      await waitFor(() => clientErrors.length > errorsBefore, 5_000, 'tlsClientError');
      expect(clientErrors.at(-1)?.code, request).toBe('ERR_STAPLE_SERVER_PLAIN_HTTP');
      const cause = (clientErrors.at(-1) as { cause?: { code?: string } }).cause;
      expect(cause?.code, request).toBe('ERR_SSL_HTTP_REQUEST');
      const after = server.stats();
      expect(after.plainHttp, request).toBe(before.plainHttp + 1);
      expect(after.handedToTls, request).toBe(before.handedToTls + 1);
    }
  });

  it('garbage that is not HTTP is refused by TLS, reported as its own error, without an answer', async () => {
    const before = server.stats();
    const errorsBefore = clientErrors.length;
    const { received } = await rawExchange(port, Buffer.from('0102030405060708', 'hex'));
    expect(received).not.toContain('HTTP/1.1');
    await waitFor(() => clientErrors.length > errorsBefore, 5_000, 'tlsClientError from TLS');
    expect(clientErrors.at(-1)?.code).toMatch(/^ERR_SSL_/);
    expect(server.stats().plainHttp).toBe(before.plainHttp);
  });

  it('a second certificate is refused at run time, and the first goes on being served', async () => {
    expect(() => server.setCertificates(certificatesOf(env.pki))).toThrow(
      expect.objectContaining({ code: 'ERR_STAPLE_SERVER_INVALID_OPTIONS' }),
    );
    const got = await nodeHandshake(port, env.pki.rootPem);
    expect(serialOfPeer(got.peer)).toBe(env.pki.leaf('rsa').serialNumber);
    expect(stapleSerial(got.ocsp!)).toBe(env.pki.leaf('rsa').serialNumber);
  });

  it('a renewed certificate replaces the one served, with its own staple', async () => {
    const renewed = env.pki.leaf('ecdsa');
    server.setCertificates(certificatesOf(env.pki, ['ecdsa']));
    await server.ready();
    const got = await nodeHandshake(port, env.pki.rootPem);
    expect(serialOfPeer(got.peer)).toBe(renewed.serialNumber);
    expect(stapleSerial(got.ocsp!)).toBe(renewed.serialNumber);
    server.setCertificates(certificatesOf(env.pki, ['rsa']));
    await server.ready();
  });
});

describe('clientHello: false, options', () => {
  let env: TestEnv;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    await env.close();
  });

  it('refuses several certificates and a select policy', () => {
    const code = { code: 'ERR_STAPLE_SERVER_INVALID_OPTIONS' };
    expect(() =>
      createTlsServer({
        certificates: certificatesOf(env.pki),
        clientHello: false,
        stapling: false,
      }),
    ).toThrow(expect.objectContaining(code));
    expect(() =>
      createTlsServer({
        certificates: certificatesOf(env.pki, ['ecdsa']),
        clientHello: false,
        stapling: false,
        select: (_hello, candidates) => candidates[0],
      }),
    ).toThrow(expect.objectContaining(code));
  });

  it('HTTPS: curl --cert-status succeeds and the request sees no hello; plain HTTP gets the 400', async () => {
    const server = createServer(
      { certificates: certificatesOf(env.pki, ['ecdsa']), clientHello: false },
      (req, res) => {
        const info = getStapleInfo(req.socket);
        res.end(`${info?.keyType} ${info?.stapled} ${info?.hello === undefined}`);
      },
    );
    try {
      await server.ready();
      const port = await listen(server);
      const curl = await curlHttps(env, port, ['--cert-status']);
      expect(curl.stderr).toBe('');
      expect(curl.code).toBe(0);
      expect(curl.stdout).toBe('ecdsa true true');
      // fetch as the plain-HTTP client nobody here wrote.
      const plain = await fetch(`http://${HOST}:${port}/`, { signal: AbortSignal.timeout(5_000) });
      expect(plain.status).toBe(400);
      expect(await plain.text()).toBe('This port speaks HTTPS: a plain HTTP request came.');
      expect(server.stats().plainHttp).toBe(1);
    } finally {
      await closeServer(server);
    }
  });
});
