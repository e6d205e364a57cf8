/**
 * The stapler's hot path and footprint:
 * 1. get() lookups per second against a bare Map.get over the same keys (interleaved rounds,
 *    medians), for 2 and for 10,000 certificates;
 * 2. memory per stapled certificate with 10,000 certificates, against the response DER size.
 * Responses are signed locally (codec) so the numbers measure the stapler, not a responder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CertificateInfo,
  computeCertId,
  parseCertificate,
  signResponse,
  verifyResponse,
} from '@staple/ocsp-codec';
import { createTestPki } from '@staple/testkit';
import { createStapler, type Fetcher } from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc (pnpm bench does)');

const COUNT = Number(process.env.STAPLE_BENCH_CERTS ?? 10_000);
const ROUNDS = 7;
const LOOKUPS = 2_000_000;

const pki = await createTestPki({
  ocspUrl: 'http://127.0.0.1:9/ocsp',
  leaves: [{ name: 'seed', keyType: 'ecdsa-p256' }],
  delegatedSigner: false,
});
const issuer = parseCertificate(pki.intermediate.certificate);
const signer = {
  certificate: pki.intermediate.certificate,
  privateKey: pki.intermediate.privateKey,
};

console.log(`issuing ${COUNT} leaves...`);
const started = performance.now();
const leaves: CertificateInfo[] = [];
for (let i = 0; i < COUNT; i += 250) {
  const batch = await Promise.all(
    Array.from({ length: Math.min(250, COUNT - i) }, (_, j) =>
      pki.issueLeaf({ name: `leaf${i + j}`, keyType: 'ecdsa-p256' }),
    ),
  );
  for (const leaf of batch) leaves.push(parseCertificate(leaf.certificate));
}
console.log(`issued in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// A responder in-process: signs a good response for whatever is asked, verified as the real
// fetcher would.
const localFetch: Fetcher = async (certificate, ca) => {
  const now = Date.now();
  const der = await signResponse({
    issuer: ca,
    signer,
    responses: [
      {
        certId: await computeCertId(certificate, ca),
        certStatus: 'good',
        thisUpdate: new Date(now - 60_000),
        nextUpdate: new Date(now + 3_600_000),
      },
    ],
  });
  const verified = await verifyResponse(der, { certificate, issuer: ca });
  return {
    der,
    certStatus: verified.certStatus,
    thisUpdate: verified.thisUpdate,
    nextUpdate: verified.nextUpdate!,
    producedAt: verified.producedAt,
    url: 'local',
    method: 'POST',
    verified,
  };
};

function memory(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const baseline = memory();
const stapler = createStapler({ fetch: localFetch });
for (const leaf of leaves) stapler.add({ certificate: leaf, issuer });
await stapler.ready();
const stapled = memory();
const derBytes = leaves.reduce((sum, leaf) => sum + (stapler.get(leaf)?.length ?? Number.NaN), 0);
if (!Number.isFinite(derBytes)) throw new Error('a certificate has no staple');
const perCert = (stapled - baseline) / COUNT;
const perDer = derBytes / COUNT;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function lookupRates(keys: CertificateInfo[]) {
  const map = new Map<unknown, Uint8Array>();
  for (const key of keys) map.set(key, stapler.get(key)!);
  let sink = 0;
  const time = (fn: (k: CertificateInfo) => Uint8Array | undefined) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < LOOKUPS; i++) sink += fn(keys[i % keys.length]!)!.length;
    return LOOKUPS / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const ours: number[] = [];
  const bare: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const a = time((k) => stapler.get(k));
    const b = time((k) => map.get(k));
    ours.push(a);
    bare.push(b);
    ratios.push(a / b);
  }
  if (sink === 0) throw new Error('unreachable');
  return { ours: median(ours), bare: median(bare), ratio: median(ratios) };
}

const two = lookupRates(leaves.slice(0, 2));
const all = lookupRates(leaves);
await stapler.close();

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const table = [
  '| measure | ours | baseline | ratio |',
  '|---|--:|--:|--:|',
  `| get() lookups/s, 2 certificates | ${fmt(two.ours)} | ${fmt(two.bare)} (Map.get) | ${two.ratio.toFixed(2)}x |`,
  `| get() lookups/s, ${fmt(COUNT)} certificates | ${fmt(all.ours)} | ${fmt(all.bare)} (Map.get) | ${all.ratio.toFixed(2)}x |`,
  `| memory per stapled certificate | ${fmt(perCert)} B | ${fmt(perDer)} B (response DER) | ${(perCert / perDer).toFixed(2)}x |`,
].join('\n');
console.log(
  `\nNode ${process.version}; medians of ${ROUNDS} interleaved rounds of ${fmt(LOOKUPS)} lookups; ratio = ours / baseline (lookups: > 1 is faster).\n`,
);
console.log(table);

const reports = join(dirname(fileURLToPath(import.meta.url)), '../../../.reports');
mkdirSync(reports, { recursive: true });
writeFileSync(
  join(reports, 'bench-ocsp-client.json'),
  JSON.stringify({ node: process.version, count: COUNT, two, all, perCert, perDer }, null, 2),
);
