import { verifyResponse } from '@staple/ocsp-codec';
import { type ResponderFault, startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createStapler,
  type FetchedResponse,
  fetchOcspResponse,
  isOcspClientError,
  type Stapler,
  type StaplerOptions,
  type StapleStatus,
} from '../src/index.js';
import { createTestClock } from './clock.js';

// The stapler against the testkit's real responder, with the stapler's and the responder's
// clocks moved forward by the test: a 1-hour validity window, refreshed at 30 minutes, served
// until 55 minutes, retried after 60 s, 120 s, ... — all in milliseconds of wall time.

const MIN = 60_000;
const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function setup(
  options: Partial<StaplerOptions> = {},
  responder: { validitySeconds?: number; thisUpdateOffsetSeconds?: number } = {},
) {
  // Started on a whole second, as thisUpdate is (GeneralizedTime has no fraction here), so that
  // schedules can be predicted to the millisecond.
  const clock = createTestClock(Math.floor(Date.now() / 1000) * 1000);
  const ocsp: TestOcsp = await startTestOcsp({
    pki: {
      leaves: [
        { name: 'ecdsa', keyType: 'ecdsa-p256' },
        { name: 'rsa', keyType: 'rsa' },
      ],
    },
    responder: { now: clock.date, validitySeconds: 3600, ...responder },
  });
  const logged: { level: string; message: string }[] = [];
  const stapler = createStapler({
    now: clock.now,
    timers: clock.timers,
    random: () => 0,
    fetchOptions: { timeoutMs: 400 },
    logger: {
      warn: (_fields: unknown, message: string) => logged.push({ level: 'warn', message }),
      error: (_fields: unknown, message: string) => logged.push({ level: 'error', message }),
    },
    ...options,
  });
  open.push(stapler, ocsp);
  const events: { type: string; status: StapleStatus }[] = [];
  for (const type of ['updated', 'revoked', 'expired'] as const) {
    stapler.on(type, (status) => events.push({ type, status }));
  }
  const errors: Error[] = [];
  stapler.on('error', (error) => errors.push(error));
  const leaf = ocsp.pki.leaf('ecdsa');
  const advance = (ms: number) => clock.advance(ms, () => stapler.whenIdle());
  const verify = async (der: Uint8Array | undefined) => {
    if (!der) return undefined;
    return verifyResponse(der, {
      certificate: leaf.certificate,
      issuer: ocsp.pki.intermediate.certificate,
      now: clock.date(),
    });
  };
  return { clock, ocsp, stapler, leaf, events, errors, logged, advance, verify };
}

function statusOf(stapler: Stapler): StapleStatus {
  return stapler.status()[0]!;
}

describe('stapler', () => {
  it('fetches eagerly on add; get() is a lookup that returns the same verified bytes', async () => {
    const { stapler, leaf, ocsp, verify } = await setup();
    const info = stapler.add(leaf.chainPem);
    expect(stapler.get(info)).toBeUndefined(); // nothing yet: the fetch is under way
    await stapler.ready();
    expect(ocsp.responder.requestCount).toBe(1);
    const der = stapler.get(info);
    expect((await verify(der))?.certStatus).toBe('good');
    // The same object however the certificate is named, and on every call: no copies.
    expect(stapler.get(info.der)).toBe(der);
    expect(stapler.get(leaf.chainPem)).toBe(der);
    expect(stapler.get(info)).toBe(der);
    // DER bytes from elsewhere are matched by content.
    expect(stapler.get(leaf.certificate.slice())).toBe(der);
    const status = statusOf(stapler);
    expect(status).toMatchObject({
      state: 'good',
      stapling: true,
      fetches: 1,
      failures: 0,
      source: 'responder',
    });
  });

  it('refreshes at half the window, serves until 5 min before nextUpdate', async () => {
    const { stapler, leaf, ocsp, advance, verify } = await setup();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    const first = stapler.get(info);
    expect(statusOf(stapler).nextRefresh?.getTime()).toBe(
      statusOf(stapler).thisUpdate!.getTime() + 30 * MIN,
    );
    await advance(29 * MIN);
    expect(ocsp.responder.requestCount).toBe(1);
    expect(stapler.get(info)).toBe(first);
    await advance(1 * MIN);
    expect(ocsp.responder.requestCount).toBe(2);
    const second = stapler.get(info);
    expect(second).not.toBe(first);
    const [a, b] = [await verify(first), await verify(second)];
    expect(b!.thisUpdate.getTime()).toBeGreaterThan(a!.thisUpdate.getTime());
  });

  it('follows a shorter HTTP max-age', async () => {
    const { stapler, leaf, ocsp, advance } = await setup({
      fetch: async (certificate, issuer, options) => {
        const { fetchOcspResponse } = await import('../src/index.js');
        return { ...(await fetchOcspResponse(certificate, issuer, options)), maxAgeSeconds: 600 };
      },
    });
    stapler.add(leaf.chainPem);
    await stapler.ready();
    await advance(10 * MIN);
    expect(ocsp.responder.requestCount).toBe(2);
  });

  const faults: ResponderFault[] = [
    { kind: 'slow', delayMs: 1_000 },
    { kind: 'hang' },
    { kind: 'http-error', status: 500 },
    { kind: 'garbage' },
    { kind: 'truncated' },
    { kind: 'wrong-signer' },
    { kind: 'expired' },
    { kind: 'not-yet-valid' },
    { kind: 'other-certificate' },
    { kind: 'status', status: 'tryLater' },
    { kind: 'status', status: 'unauthorized' },
    { kind: 'wrong-nonce' },
    { kind: 'wrong-content-type' },
  ];
  for (const fault of faults) {
    it(`fault ${fault.kind}${'status' in fault ? ` ${fault.status}` : ''}: keeps the last good, backs off, recovers`, async () => {
      const { stapler, leaf, ocsp, advance, errors, verify } = await setup({
        fetchOptions: { timeoutMs: 400, nonce: true },
      });
      const info = stapler.add(leaf.chainPem);
      await stapler.ready();
      const good = stapler.get(info)!;
      ocsp.responder.setFault(fault);

      await advance(30 * MIN); // the scheduled refresh fails
      expect(ocsp.responder.requestCount).toBe(2);
      expect(stapler.get(info)).toBe(good);
      let status = statusOf(stapler);
      expect(status.failures).toBe(1);
      expect(status.lastError?.code).toMatch(/^ERR_OCSP_CLIENT_/);
      expect(errors).toHaveLength(1);
      const failedAt = status.lastError!.at.getTime();
      expect(status.nextRefresh!.getTime() - failedAt).toBe(1 * MIN);

      await advance(1 * MIN); // retry 1 fails, next in 2 min
      status = statusOf(stapler);
      expect(status.failures).toBe(2);
      expect(status.nextRefresh!.getTime() - status.lastError!.at.getTime()).toBe(2 * MIN);
      expect(stapler.get(info)).toBe(good);

      ocsp.responder.setFault(null);
      await advance(2 * MIN); // healthy again
      const fresh = stapler.get(info)!;
      expect(fresh).not.toBe(good);
      expect((await verify(fresh))?.certStatus).toBe('good');
      expect(statusOf(stapler)).toMatchObject({ failures: 0, state: 'good' });
    });
  }

  it('a failing responder: the good response is served until 5 min before nextUpdate, then nothing', async () => {
    const { stapler, leaf, ocsp, advance, events } = await setup();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    ocsp.responder.setFault({ kind: 'http-error', status: 503 });
    await advance(54 * MIN);
    expect(stapler.get(info)).toBeDefined();
    await advance(1 * MIN);
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'expired', stapling: false });
    expect(events.filter((e) => e.type === 'expired')).toHaveLength(1);
    // Retries went on with backoff: 30 min, then +1, +2, +4, +8, +16 (capped by the clock here).
    expect(ocsp.responder.requestCount).toBeGreaterThanOrEqual(5);
    ocsp.responder.setFault(null);
    await advance(60 * MIN);
    expect(stapler.get(info)).toBeDefined();
  });

  it('revocation at run time reaches get() at the next refresh and fires revoked once', async () => {
    const { stapler, leaf, ocsp, advance, events, verify } = await setup();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    ocsp.responder.revoke(leaf, { reason: 'keyCompromise' });
    await advance(29 * MIN);
    expect((await verify(stapler.get(info)))?.certStatus).toBe('good');
    await advance(1 * MIN);
    const revoked = await verify(stapler.get(info));
    expect(revoked?.certStatus).toBe('revoked');
    expect(revoked?.revocationReason).toBe('keyCompromise');
    expect(statusOf(stapler)).toMatchObject({ state: 'revoked', certStatus: 'revoked' });
    await advance(30 * MIN);
    expect(events.filter((e) => e.type === 'revoked')).toHaveLength(1);
  });

  it("a forced refresh takes the responder's answer even within the same second", async () => {
    const { stapler, leaf, ocsp, verify } = await setup();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    // The test clock does not move: every answer has the same thisUpdate and producedAt.
    ocsp.responder.revoke(leaf, { reason: 'keyCompromise' });
    await stapler.refresh(info);
    expect((await verify(stapler.get(info)))?.certStatus).toBe('revoked');
    ocsp.responder.unrevoke(leaf);
    await stapler.refresh(info);
    expect((await verify(stapler.get(info)))?.certStatus).toBe('good');
    expect(statusOf(stapler)).toMatchObject({ state: 'good', fetches: 3 });
  });

  it('never serves unknown: the last good stays, the error says why', async () => {
    const { stapler, leaf, ocsp, advance } = await setup();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    const good = stapler.get(info);
    ocsp.responder.setStatus(leaf, 'unknown');
    await advance(30 * MIN);
    expect(stapler.get(info)).toBe(good);
    expect(statusOf(stapler).lastError?.code).toBe('ERR_OCSP_CLIENT_UNKNOWN_STATUS');
  });

  it('a responder bad from the start: nothing is served, ready() still resolves', async () => {
    const { stapler, leaf, ocsp, logged } = await setup();
    ocsp.responder.setFault({ kind: 'garbage' });
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'failed', stapling: false, failures: 1 });
    // The log must not claim a response is kept when there never was one.
    expect(logged).toEqual([
      { level: 'warn', message: 'OCSP fetch failed; nothing to staple yet, retrying' },
    ]);
  });

  it("statusOf() gives one certificate's entry of status(), by what add() took or returned", async () => {
    const { stapler, leaf, ocsp } = await setup();
    const info = stapler.add(leaf.chainPem);
    const rsa = stapler.add(ocsp.pki.leaf('rsa').chainPem);
    await stapler.ready();
    expect(stapler.statusOf(info)).toEqual(stapler.status().find((s) => s.certificate === info));
    expect(stapler.statusOf(rsa)?.serialNumber).toBe(ocsp.pki.leaf('rsa').serialNumber);
    expect(stapler.statusOf(new Uint8Array(leaf.certificate))?.certificate).toBe(info);
    expect(stapler.statusOf(ocsp.pki.intermediate.certificate)).toBeUndefined();
    stapler.remove(info);
    expect(stapler.statusOf(info)).toBeUndefined();
  });

  it('a certificate without an OCSP URL costs nothing', async () => {
    const { stapler, ocsp } = await setup();
    const bare = await ocsp.pki.issueLeaf({ name: 'bare', keyType: 'ecdsa-p256', ocspUrl: null });
    const info = stapler.add(bare.chainPem);
    await stapler.ready();
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler).state).toBe('no-ocsp-url');
    expect(ocsp.responder.requestCount).toBe(0);
  });

  it('an override URL is used instead of the AIA one', async () => {
    const { stapler, leaf, ocsp } = await setup();
    const bare = await ocsp.pki.issueLeaf({ name: 'bare2', keyType: 'ecdsa-p256', ocspUrl: null });
    stapler.add({
      certificate: bare.certificate,
      issuer: ocsp.pki.intermediate.certificate,
      url: ocsp.responder.url,
    });
    await stapler.ready();
    expect(stapler.get(bare.certificate)).toBeDefined();
    void leaf;
  });

  it('herd: 10,000 concurrent demands on a cold cache make one upstream request', async () => {
    const { stapler, leaf, ocsp } = await setup();
    const info = stapler.add(leaf.chainPem);
    const demands: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      stapler.get(info);
      demands.push(stapler.refresh(info));
    }
    await Promise.all(demands);
    expect(ocsp.responder.requestCount).toBe(1);
    expect(stapler.get(info)).toBeDefined();
  });

  it('keeps RSA and ECDSA certificates apart', async () => {
    const { stapler, ocsp, clock } = await setup();
    const ec = stapler.add(ocsp.pki.leaf('ecdsa').chainPem);
    const rsa = stapler.add(ocsp.pki.leaf('rsa').chainPem);
    await stapler.ready();
    for (const [info, name] of [
      [ec, 'ecdsa'],
      [rsa, 'rsa'],
    ] as const) {
      const res = await verifyResponse(stapler.get(info)!, {
        certificate: ocsp.pki.leaf(name).certificate,
        issuer: ocsp.pki.intermediate.certificate,
        now: clock.date(),
      });
      expect(res.single.certId.serialNumber).toBe(ocsp.pki.leaf(name).serialNumber);
    }
  });

  it('remove() and close() leave no timer behind', async () => {
    const { stapler, ocsp, clock } = await setup();
    const a = stapler.add(ocsp.pki.leaf('ecdsa').chainPem);
    stapler.add(ocsp.pki.leaf('rsa').chainPem);
    await stapler.ready();
    expect(clock.pending).toBe(4); // a refresh and an expiry timer each
    expect(stapler.remove(a)).toBe(true);
    expect(stapler.get(a)).toBeUndefined();
    expect(clock.pending).toBe(2);
    await stapler.close();
    expect(clock.pending).toBe(0);
    expect(() => stapler.add(ocsp.pki.leaf('ecdsa').chainPem)).toThrow(/closed/);
  });

  it('with real timers, close() during a hanging fetch returns and leaves no handle open', async () => {
    const ocsp = await startTestOcsp({
      pki: { leaves: [{ name: 'ecdsa', keyType: 'ecdsa-p256' }] },
    });
    open.push(ocsp);
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const stapler = createStapler({ fetchOptions: { timeoutMs: 300 } });
    stapler.add(ocsp.pki.leaf('ecdsa').chainPem);
    await stapler.ready();
    expect(stapler.get(ocsp.pki.leaf('ecdsa').certificate)).toBeDefined();
    ocsp.responder.setFault({ kind: 'hang' });
    void stapler.refresh(ocsp.pki.leaf('ecdsa').certificate);
    await stapler.close();
    await new Promise((r) => setTimeout(r, 20));
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });

  it('refuses a chain without an issuer, with a typed error', async () => {
    const { stapler, leaf } = await setup();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return 'no error';
    };
    expect(codeOf(() => stapler.add([leaf.certificate]))).toBe('ERR_OCSP_CLIENT_NO_ISSUER');
    expect(codeOf(() => stapler.add('not a certificate'))).toBe('ERR_OCSP_CLIENT_INVALID_ARGUMENT');
  });
});

// Responders whose answers are valid for less than the 5-minute margin. The margin is
// min(5 min, 10% of the window), the refresh at half the window, retries start at
// min(60 s, 5% of the window): the same shape as for a 1-hour window, scaled down.
describe('stapler: short validity windows', () => {
  const S = 1_000;
  const offsets = (ocsp: TestOcsp, t0: number) =>
    ocsp.responder.requests.map((r) => r.at.getTime() - t0);

  it('120 s validity: stapled at once, refreshed every 60 s, one request a minute over 10 minutes', async () => {
    const { stapler, leaf, ocsp, clock, advance, verify, errors } = await setup(
      {},
      { validitySeconds: 120 },
    );
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    const first = stapler.get(info);
    expect((await verify(first))?.certStatus).toBe('good');
    const status = statusOf(stapler);
    expect(status).toMatchObject({ state: 'good', stapling: true, fetches: 1 });
    expect(status.nextUpdate?.getTime()).toBe(t0 + 120 * S);
    expect(status.servedUntil?.getTime()).toBe(t0 + 108 * S); // 12 s (10%) before nextUpdate
    expect(status.nextRefresh?.getTime()).toBe(t0 + 60 * S);

    await advance(60 * S - 1);
    expect(ocsp.responder.requestCount).toBe(1);
    await advance(1);
    expect(ocsp.responder.requestCount).toBe(2);
    expect(stapler.get(info)).not.toBe(first);
    for (let t = 60; t < 600; t += 5) {
      await advance(5 * S);
      expect(stapler.get(info)).toBeDefined();
    }
    // 10 minutes: the first fetch and one every 60 s, not one a second.
    expect(offsets(ocsp, t0)).toEqual(Array.from({ length: 11 }, (_, i) => i * 60 * S));
    expect(errors).toEqual([]);
  });

  it('120 s validity, responder down after the first answer: retries fit in the window, then served until 12 s before nextUpdate', async () => {
    const { stapler, leaf, ocsp, clock, advance, events } = await setup(
      {},
      { validitySeconds: 120 },
    );
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    const good = stapler.get(info);
    ocsp.responder.setFault({ kind: 'http-error', status: 503 });
    await advance(108 * S - 1);
    expect(stapler.get(info)).toBe(good);
    // The refresh at 60 s, then retries after 6 s (5% of the window), 12 s, 24 s.
    expect(offsets(ocsp, t0)).toEqual([0, 60 * S, 66 * S, 78 * S, 102 * S]);
    await advance(1);
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'expired', stapling: false });
    expect(events.filter((e) => e.type === 'expired')).toHaveLength(1);

    ocsp.responder.setFault(null);
    await advance(150 * S - 108 * S - 1); // the next retry is 48 s after the one at 102 s
    expect(stapler.get(info)).toBeUndefined();
    await advance(1);
    expect(stapler.get(info)).toBeDefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'good', failures: 0 });
  });

  it('20 s validity: refreshed every 10 s, stapled throughout, 61 requests in 10 minutes', async () => {
    const { stapler, leaf, ocsp, clock, advance, errors } = await setup(
      {},
      { validitySeconds: 20 },
    );
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    let status = statusOf(stapler);
    expect(status).toMatchObject({ state: 'good', stapling: true });
    expect(status.servedUntil?.getTime()).toBe(t0 + 18 * S); // 2 s (10%) before nextUpdate
    expect(status.nextRefresh?.getTime()).toBe(t0 + 10 * S);
    for (let t = 0; t < 600; t += 1) {
      await advance(S);
      expect(stapler.get(info)).toBeDefined();
    }
    expect(offsets(ocsp, t0)).toEqual(Array.from({ length: 61 }, (_, i) => i * 10 * S));
    status = statusOf(stapler);
    expect(status.servedUntil!.getTime() - clock.now()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('answers that arrive with 5 s left: never stapled, ERR_OCSP_CLIENT_STALE, retries back off', async () => {
    const { stapler, leaf, ocsp, clock, advance, errors, logged } = await setup(
      {},
      { validitySeconds: 120, thisUpdateOffsetSeconds: -115 },
    );
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    expect(stapler.get(info)).toBeUndefined();
    const status = statusOf(stapler);
    expect(status).toMatchObject({ state: 'failed', stapling: false, failures: 1 });
    expect(status.lastError?.code).toBe('ERR_OCSP_CLIENT_STALE');
    expect(errors).toHaveLength(1);
    expect(isOcspClientError(errors[0], 'ERR_OCSP_CLIENT_STALE')).toBe(true);
    expect(logged.filter((l) => l.level === 'warn')).toHaveLength(1);

    await advance(10 * MIN);
    // Backed off like any failure (no window is known: nothing was ever stapled): 0, 1, 3, 7 min.
    expect(offsets(ocsp, t0)).toEqual([0, 1 * MIN, 3 * MIN, 7 * MIN]);
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'failed', failures: 4 });
    expect(errors).toHaveLength(4);
  });

  it('answers already past their refresh point on arrival: stapled, asked again at half of what remains, not every second', async () => {
    // 1-hour responses backdated by 50 minutes: 10 minutes left, 5 of them fit to serve.
    const { stapler, leaf, ocsp, clock, advance, errors } = await setup(
      {},
      { validitySeconds: 3600, thisUpdateOffsetSeconds: -3000 },
    );
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    const status = statusOf(stapler);
    expect(status).toMatchObject({ state: 'good', stapling: true });
    expect(status.servedUntil?.getTime()).toBe(t0 + 5 * MIN);
    expect(status.nextRefresh?.getTime()).toBe(t0 + 2.5 * MIN);
    for (let t = 0; t < 10; t += 0.5) {
      await advance(0.5 * MIN);
      expect(stapler.get(info)).toBeDefined();
    }
    expect(offsets(ocsp, t0)).toEqual([0, 2.5 * MIN, 5 * MIN, 7.5 * MIN, 10 * MIN]);
    expect(errors).toEqual([]);
  });

  it('a cache that keeps handing out the same answer: served to its end, asked at a shrinking pace, then ERR_OCSP_CLIENT_STALE', async () => {
    let cached: FetchedResponse | undefined;
    let caching = true;
    const { stapler, leaf, ocsp, clock, advance, errors } = await setup({
      // In front of the real responder: the first answer, again and again, while `caching`.
      fetch: async (certificate, issuer, options) => {
        const fresh = await fetchOcspResponse(certificate, issuer, options);
        if (!caching) return fresh;
        cached ??= fresh;
        return cached;
      },
    });
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    await advance(55 * MIN - 1);
    expect(stapler.get(info)).toBeDefined();
    // From the refresh at 30 min, each answer is the same: asked again at half of the time left
    // to serve it (12.5 min, 6.25 min, ...) down to minDelayMs, then refused as stale.
    const asked = offsets(ocsp, t0).filter((t) => t >= 30 * MIN);
    expect(asked).toHaveLength(12);
    expect(asked.slice(0, 4)).toEqual([30, 42.5, 48.75, 51.875].map((m) => m * MIN));
    expect(statusOf(stapler).lastError?.code).toBe('ERR_OCSP_CLIENT_STALE');
    expect(errors).toHaveLength(1);
    await advance(1);
    expect(stapler.get(info)).toBeUndefined();
    expect(statusOf(stapler).state).toBe('expired');
    // Then backoff as for any failure: 1 min, 2 min, ...
    await advance(4 * MIN);
    expect(ocsp.responder.requestCount).toBe(1 + 12 + 2);
    caching = false;
    await advance(4 * MIN);
    expect(stapler.get(info)).toBeDefined();
    expect(statusOf(stapler)).toMatchObject({ state: 'good', failures: 0 });
  });

  it('an answer older than the one being served, when a refresh is due: kept the newer one, ERR_OCSP_CLIENT_STALE, no loop', async () => {
    let first: FetchedResponse | undefined;
    let replaying = false;
    const { stapler, leaf, ocsp, clock, advance, errors } = await setup({
      // A responder (or a load balancer in front of two) that every 5 minutes (max-age) may
      // answer with the first response it ever gave.
      fetch: async (certificate, issuer, options) => {
        const fresh = { ...(await fetchOcspResponse(certificate, issuer, options)) };
        first ??= fresh;
        return { ...(replaying ? first : fresh), maxAgeSeconds: 300 };
      },
    });
    const t0 = clock.now();
    const info = stapler.add(leaf.chainPem);
    await stapler.ready();
    await advance(5 * MIN);
    const newer = stapler.get(info);
    expect(statusOf(stapler).thisUpdate?.getTime()).toBe(t0 + 5 * MIN);
    replaying = true;
    await advance(5 * MIN);
    expect(stapler.get(info)).toBe(newer);
    let status = statusOf(stapler);
    expect(status.lastError?.code).toBe('ERR_OCSP_CLIENT_STALE');
    expect(status.nextRefresh?.getTime()).toBe(t0 + 11 * MIN);
    expect(errors).toHaveLength(1);
    await advance(2 * MIN);
    expect(offsets(ocsp, t0)).toEqual([0, 5, 10, 11].map((m) => m * MIN));
    replaying = false;
    await advance(2 * MIN); // the retry at 13 min
    status = statusOf(stapler);
    expect(status).toMatchObject({ state: 'good', failures: 0 });
    expect(status.thisUpdate?.getTime()).toBe(t0 + 13 * MIN);
  });
});
