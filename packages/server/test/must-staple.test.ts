/**
 * Must-Staple (RFC 7633): with the responder failing from the start, an enforcing server does
 * not serve the certificate at all; once a staple is ready, gnutls-cli (which enforces
 * Must-Staple) connects. With 'warn', the certificate is served without a staple, and
 * gnutls-cli refuses it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTlsServer, getStapleInfo, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  gnutlsOcsp,
  listen,
  nodeHandshake,
  parseSClient,
  sClient,
  stapleSerial,
  startEnv,
  type TestEnv,
} from './helpers.js';

function gnutls(env: TestEnv, port: number) {
  return gnutlsOcsp(env, port);
}

describe('Must-Staple', () => {
  let env: TestEnv;
  let server: StapleServer | undefined;

  beforeEach(async () => {
    env = await startEnv({
      pki: { leaves: [{ name: 'ms', keyType: 'ecdsa-p256', mustStaple: true }] },
    });
    env.responder.setFault({ kind: 'http-error', status: 500 });
  });

  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    await env.close();
  });

  it("'enforce' (default): refused until the staple is valid, then gnutls-cli --ocsp connects", async () => {
    const leaf = env.pki.leaf('ms');
    expect(leaf.mustStaple).toBe(true);
    const errors: { code?: string }[] = [];
    const stapledFlags: boolean[] = [];
    server = createTlsServer({ certificates: certificatesOf(env.pki) }, (socket) => {
      stapledFlags.push(getStapleInfo(socket)?.stapled ?? false);
      endWith('ok\n')(socket);
    });
    server.on('tlsClientError', (error: { code?: string }) => errors.push(error));
    await server.ready();
    const port = await listen(server);
    expect(server.stapler!.status()[0]?.state).toBe('failed');

    // Not served: the connection is dropped before TLS starts.
    const refused = await gnutls(env, port);
    expect(refused.timedOut).toBe(false);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).not.toContain('Handshake was completed');
    await expect(nodeHandshake(port, env.pki.rootPem)).rejects.toThrow();
    const sc = await sClient(port, env.files.root);
    expect(sc.code).not.toBe(0);
    expect(parseSClient(sc.stdout).protocol).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual([
      'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY',
      'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY',
      'ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY',
    ]);
    expect(server.stats().mustStapleRefused).toBe(3);
    expect(stapledFlags).toEqual([]);

    // The responder recovers; after the refresh the certificate is served, stapled.
    env.responder.setFault(null);
    await server.stapler!.refresh(leaf.certificate);
    expect(server.stapler!.status()[0]?.state).toBe('good');

    const ok = await gnutls(env, port);
    expect(ok.timedOut).toBe(false);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('The certificate is trusted');
    expect(ok.stdout).toContain('Handshake was completed');

    const node = await nodeHandshake(port, env.pki.rootPem);
    expect(node.ocsp).toBeInstanceOf(Buffer);
    expect(stapleSerial(node.ocsp!)).toBe(leaf.serialNumber);
    expect(stapledFlags).toEqual([true, true]);
    expect(errors).toHaveLength(3);

    // Renewal-style reload of the same certificate while the responder is failing again: the
    // certificate keeps its staple (no second fetch, no gap), so it is still served.
    env.responder.setFault({ kind: 'http-error', status: 500 });
    const requests = env.responder.requestCount;
    server.setCertificates(certificatesOf(env.pki));
    expect(server.stapler!.get(leaf.certificate)).toBeDefined();
    const reloaded = await gnutls(env, port);
    expect(reloaded.code, reloaded.stdout + reloaded.stderr).toBe(0);
    await server.ready();
    expect(env.responder.requestCount).toBe(requests);
    expect(server.stapler!.status()).toHaveLength(1);
    expect(errors).toHaveLength(3);
  });

  it("'warn': served without a staple; gnutls-cli, which enforces Must-Staple, refuses it", async () => {
    const warnings: string[] = [];
    server = createTlsServer(
      {
        certificates: certificatesOf(env.pki),
        mustStaple: 'warn',
        logger: { warn: (_fields: unknown, message?: string) => warnings.push(message ?? '') },
      },
      endWith('ok\n'),
    );
    await server.ready();
    const port = await listen(server);

    const sc = await sClient(port, env.files.root);
    const facts = parseSClient(sc.stdout);
    expect(facts.protocol).toBe('TLSv1.3');
    expect(facts.noStaple).toBe(true);
    expect(facts.verified).toBe(true);

    const node = await nodeHandshake(port, env.pki.rootPem);
    expect(node.ocsp).toBeNull();
    expect(node.peer.serialNumber).toBeDefined();

    const g = await gnutls(env, port);
    expect(g.timedOut).toBe(false);
    expect(g.code).not.toBe(0);
    expect(g.stdout).toContain('requires the server to include an OCSP status');
    expect(server.stats().mustStapleRefused).toBe(0);
    // Said once, not per connection.
    expect(
      warnings.filter((m) => /Must-Staple certificate without a valid staple/.test(m)),
    ).toHaveLength(1);
  });

  it("'enforce' with clientHello: false (no hello read): refused until the staple is valid, then gnutls-cli --ocsp connects", async () => {
    const errors: { code?: string }[] = [];
    server = createTlsServer(
      { certificates: certificatesOf(env.pki), clientHello: false },
      endWith('ok\n'),
    );
    server.on('tlsClientError', (error: { code?: string }) => errors.push(error));
    await server.ready();
    const port = await listen(server);

    const refused = await gnutlsOcsp(env, port);
    expect(refused.timedOut).toBe(false);
    expect(refused.code).not.toBe(0);
    expect(errors.map((e) => e.code)).toContain('ERR_STAPLE_SERVER_MUST_STAPLE_NOT_READY');
    expect(server.stats().mustStapleRefused).toBeGreaterThanOrEqual(1);
    expect(server.stats().handedToTls).toBe(0);

    env.responder.setFault(null);
    await server.stapler!.refresh(env.pki.leaf('ms').certificate);
    const served = await gnutlsOcsp(env, port);
    expect(served.code, served.stdout + served.stderr).toBe(0);
    expect(served.stdout).toContain('Handshake was completed');
    const facts = parseSClient((await sClient(port, env.files.root)).stdout);
    expect(facts.certStatus).toBe('good');
    expect(facts.ocspSerial).toBe(env.pki.leaf('ms').serialNumber);
  });
});
