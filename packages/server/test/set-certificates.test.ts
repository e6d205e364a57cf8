/**
 * `setCertificates` with a long list: a certificate given exactly as before keeps what was built
 * for it (its parsed chain, its TLS server, its staple), and only new or changed ones are parsed
 * and fetched for; a changed `ocspUrl` is a change. Parsing is counted through a pass-through
 * wrapper around the codec's `parseCertificate`, so nothing here depends on timing.
 */
import * as codec from '@staple/ocsp-codec';
import { startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTlsServer, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  listen,
  nodeHandshake,
  stapleSerial,
} from './helpers.js';

vi.mock('@staple/ocsp-codec', async (importOriginal) => {
  const original = await importOriginal<typeof import('@staple/ocsp-codec')>();
  return { ...original, parseCertificate: vi.fn(original.parseCertificate) };
});

/** parseCertificate calls that really parsed (given bytes, not an already parsed certificate). */
function parsesSince(start: number): number {
  return vi
    .mocked(codec.parseCertificate)
    .mock.calls.slice(start)
    .filter(([input]) => input instanceof Uint8Array).length;
}
const callCount = () => vi.mocked(codec.parseCertificate).mock.calls.length;

describe('setCertificates keeps unchanged certificates', () => {
  let env: TestOcsp;
  let server: StapleServer | undefined;
  const names = ['a', 'b', 'c', 'd', 'e'];

  beforeAll(async () => {
    env = await startTestOcsp({
      pki: {
        leaves: [
          ...names.map((n) => ({
            name: n,
            keyType: 'ecdsa-p256' as const,
            dnsNames: [`${n}.test`],
            ips: [],
          })),
          { name: 'c-renewed', keyType: 'ecdsa-p256', dnsNames: ['c.test'], ips: [] },
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

  it('server.certificates lists the leaves served now, in order, after each setCertificates', () => {
    const made = createTlsServer({ certificates: certificatesOf(env.pki, names), stapling: false });
    server = made;
    const serials = () => made.certificates.map((c) => c.serialNumber);
    expect(serials()).toEqual(names.map((n) => env.pki.leaf(n).serialNumber));
    const next = ['e', 'c-renewed', 'a'];
    made.setCertificates(certificatesOf(env.pki, next));
    expect(serials()).toEqual(next.map((n) => env.pki.leaf(n).serialNumber));
  });

  it('a shared intermediate is parsed once per call, unchanged certificates not at all', async () => {
    // Every test leaf's chain is the leaf and the same intermediate.
    expect(codec.decodePem(env.pki.leaf('a').chainPem)).toHaveLength(2);
    let start = callCount();
    server = createTlsServer({ certificates: certificatesOf(env.pki, names), stapling: false });
    expect(parsesSince(start)).toBe(names.length + 1);

    start = callCount();
    server.setCertificates(certificatesOf(env.pki, ['a', 'b', 'c-renewed', 'd', 'e']));
    // The new leaf and its intermediate.
    expect(parsesSince(start)).toBe(2);

    start = callCount();
    // Equal options in new objects: nothing parsed.
    server.setCertificates(
      certificatesOf(env.pki, ['a', 'b', 'c-renewed', 'd', 'e']).map((c) => ({ ...c })),
    );
    expect(parsesSince(start)).toBe(0);
  });

  it('an options object changed in place is a change', async () => {
    const list = certificatesOf(env.pki, ['a', 'b']);
    server = createTlsServer({ certificates: list, stapling: false });
    const c = env.pki.leaf('c');
    Object.assign(list[1]!, { key: c.privateKeyPem, cert: c.chainPem });
    const start = callCount();
    server.setCertificates(list);
    expect(parsesSince(start)).toBe(2);
  });

  it('one of N replaced: one fetch, the others keep their staples and are served stapled', async () => {
    server = createTlsServer({ certificates: certificatesOf(env.pki, names) }, endWith('ok'));
    await server.ready();
    const port = await listen(server);
    const stapler = server.stapler!;
    const staples = new Map(names.map((n) => [n, stapler.get(env.pki.leaf(n).certificate)]));
    for (const staple of staples.values()) expect(staple).toBeDefined();
    const requests = env.responder.requestCount;

    server.setCertificates(certificatesOf(env.pki, ['a', 'b', 'c-renewed', 'd', 'e']));
    await server.ready();
    expect(env.responder.requestCount).toBe(requests + 1);
    for (const n of ['a', 'b', 'd', 'e']) {
      // The very same response object: the stapler entry carried on untouched.
      expect(stapler.get(env.pki.leaf(n).certificate)).toBe(staples.get(n));
    }
    expect(stapler.get(env.pki.leaf('c').certificate)).toBeUndefined();
    expect(
      stapler
        .status()
        .map((s) => s.serialNumber)
        .sort(),
    ).toEqual(['a', 'b', 'c-renewed', 'd', 'e'].map((n) => env.pki.leaf(n).serialNumber).sort());
    for (const n of ['b', 'c-renewed']) {
      const result = await nodeHandshake(port, env.pki.rootPem, { servername: `${n[0]}.test` });
      expect(stapleSerial(result.ocsp!)).toBe(env.pki.leaf(n).serialNumber);
    }
  });

  it('a changed ocspUrl is a change: the stapler asks the new responder URL', async () => {
    server = createTlsServer({ certificates: certificatesOf(env.pki, ['a', 'b']) });
    await server.ready();
    const url = `${env.responder.url}?changed`;
    const [a, b] = certificatesOf(env.pki, ['a', 'b']);
    server.setCertificates([{ ...a!, ocspUrl: url }, b!]);
    const status = server.stapler!.status();
    expect(status).toHaveLength(2);
    const serial = (n: string) => env.pki.leaf(n).serialNumber;
    expect(status.find((s) => s.serialNumber === serial('a'))?.url).toBe(url);
    expect(status.find((s) => s.serialNumber === serial('b'))?.url).toBe(env.responder.url);
    await server.ready();
  });
});
