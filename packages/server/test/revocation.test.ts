/**
 * Revocation at the responder: after the stapler's next refresh the server staples the
 * `revoked` answer (it is the truth), s_client shows it, and the clients that check fail. The
 * other certificate's staple is untouched.
 */
import { createStapler, type StapleStatus, type Timers } from '@staple/ocsp-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  curlHttps,
  gnutlsOcsp,
  listen,
  parseSClient,
  sClient,
  startEnv,
  type TestEnv,
} from './helpers.js';

const RSA_ONLY_CURL = ['--ciphers', 'ECDHE-RSA-AES128-GCM-SHA256', '--tls-max', '1.2'];

function curl(env: TestEnv, port: number, extra: readonly string[] = []) {
  return curlHttps(env, port, ['--cert-status', ...extra]);
}

function gnutls(env: TestEnv, port: number) {
  return gnutlsOcsp(env, port);
}

/**
 * A clock and timers the test runs by hand: the stapler's "next refresh" happens when the test
 * says, with the clock moved forward to it.
 */
function manualTimers() {
  let next = 1;
  let offset = 0;
  const pending = new Map<number, { callback: () => void; ms: number }>();
  const timers: Timers = {
    setTimeout(callback, ms) {
      const id = next++;
      pending.set(id, { callback, ms });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    timers,
    pending,
    now: () => Date.now() + offset,
    /** Runs the soonest pending timer (the refresh comes before the expiry). */
    fireSoonest(): number {
      const [id, soonest] = [...pending].sort((a, b) => a[1].ms - b[1].ms)[0] ?? [];
      if (id === undefined || !soonest) throw new Error('no timer pending');
      pending.delete(id);
      offset += soonest.ms;
      soonest.callback();
      return soonest.ms;
    },
  };
}

describe('revocation', () => {
  let env: TestEnv;
  let server: StapleServer | undefined;

  beforeEach(async () => {
    env = await startEnv();
  });

  afterEach(async () => {
    if (server) await closeServer(server);
    server = undefined;
    await env.close();
  });

  it('after a refresh: s_client shows revoked, curl and gnutls-cli fail; RSA still good', async () => {
    server = createServer({ certificates: certificatesOf(env.pki) }, (_req, res) => res.end('ok'));
    await server.ready();
    const port = await listen(server);
    expect((await curl(env, port)).code).toBe(0);

    const revokedEvents: StapleStatus[] = [];
    server.stapler!.on('revoked', (s) => revokedEvents.push(s));
    env.responder.revoke(env.pki.leaf('ecdsa'), { reason: 'keyCompromise' });
    // Until the refresh, the good staple stays (the stapler has not asked yet).
    expect(parseSClient((await sClient(port, env.files.root)).stdout).certStatus).toBe('good');

    await server.stapler!.refresh(env.pki.leaf('ecdsa').certificate);
    expect(revokedEvents.map((s) => s.serialNumber)).toEqual([env.pki.leaf('ecdsa').serialNumber]);
    const ecdsa = server
      .stapler!.status()
      .find((s) => s.serialNumber === env.pki.leaf('ecdsa').serialNumber);
    expect(ecdsa?.state).toBe('revoked');
    expect(ecdsa?.revocationReason).toBe('keyCompromise');

    const s = parseSClient((await sClient(port, env.files.root)).stdout);
    expect(s.ocspStatus).toBe('successful');
    expect(s.certStatus).toBe('revoked');
    expect(s.ocspSerial).toBe(env.pki.leaf('ecdsa').serialNumber);

    const failed = await curl(env, port);
    expect(failed.timedOut).toBe(false);
    expect(failed.code).not.toBe(0);
    expect(failed.code).toBe(91); // CURLE_SSL_INVALIDCERTSTATUS
    expect(failed.stderr).toContain('revocation reason: keyCompromise');

    const g = await gnutls(env, port);
    expect(g.timedOut).toBe(false);
    expect(g.code).not.toBe(0);
    expect(g.stdout + g.stderr).toContain('revoked via OCSP');

    // The RSA certificate was not revoked: its own (good) staple still goes to RSA clients.
    const rsa = await curl(env, port, RSA_ONLY_CURL);
    expect(rsa.code, rsa.stderr).toBe(0);
    const r = parseSClient(
      (
        await sClient(port, env.files.root, [
          '-tls1_2',
          '-cipher',
          'ECDHE-RSA-AES128-GCM-SHA256',
          '-sigalgs',
          'RSA+SHA256',
        ])
      ).stdout,
    );
    expect(r.certStatus).toBe('good');
    expect(r.ocspSerial).toBe(env.pki.leaf('rsa').serialNumber);
  });

  it('a stapler the user owns, on its own schedule: the scheduled refresh picks up the revocation', async () => {
    const clock = manualTimers();
    const stapler = createStapler({ timers: clock.timers, now: clock.now });
    server = createServer(
      { certificates: certificatesOf(env.pki, ['ecdsa']), stapling: stapler },
      (_req, res) => res.end('ok'),
    );
    expect(server.stapler).toBe(stapler);
    await server.ready();
    const port = await listen(server);
    expect((await curl(env, port)).code).toBe(0);
    const before = env.responder.requestCount;

    env.responder.revoke(env.pki.leaf('ecdsa'));
    // The refresh timer: about half of the responder's one-hour validity, not the expiry.
    const ms = clock.fireSoonest();
    expect(ms).toBeGreaterThan(10 * 60_000);
    expect(ms).toBeLessThan(50 * 60_000);
    await stapler.whenIdle();
    expect(env.responder.requestCount).toBe(before + 1);

    expect(parseSClient((await sClient(port, env.files.root)).stdout).certStatus).toBe('revoked');
    const failed = await curl(env, port);
    expect(failed.code).not.toBe(0);

    // The server does not close a stapler it was given.
    await closeServer(server);
    server = undefined;
    expect(() => stapler.add(env.pki.leaf('rsa').chainPem)).not.toThrow();
    await stapler.close();
  });
});
