/**
 * ClientHello parsing throughput on one core: a Chrome-like TLS 1.3 hello (GREASE, an
 * X25519MLKEM768 key share, ~1.8 KB) and a TLS 1.2 hello, against a `Buffer.from(bytes)` copy
 * of the same bytes as the baseline (the least any reader of the hello must do); and the cost
 * of choosing between an RSA and an ECDSA certificate. Interleaved rounds, medians.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as api from '../src/index.js';
import { parseClientHello } from '../src/index.js';
import { ext, helloRecords, u16, vec8, vec16 } from '../test/build-hello.js';

const ROUNDS = 7;
const ROUND_MS = 300;

const chrome = helloRecords({
  cipherSuites: [
    0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
    0x009c, 0x009d, 0x002f, 0x0035,
  ],
  extensions: [
    ext.empty(0x8a8a),
    ext.serverName('www.example.com'),
    ext.empty(23),
    [0xff01, Uint8Array.from([0])],
    ext.supportedGroups([0x4a4a, 0x11ec, 0x001d, 0x0017, 0x0018]),
    ext.ecPointFormats([0]),
    ext.empty(35),
    ext.alpn(['h2', 'http/1.1']),
    ext.statusRequest(),
    ext.signatureAlgorithms([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]),
    [18, new Uint8Array()],
    ext.keyShare([
      [0x4a4a, 1],
      [0x11ec, 1216],
      [0x001d, 32],
    ]),
    [45, Uint8Array.from(vec8([1]))],
    ext.supportedVersions([0x7a7a, 0x0304, 0x0303]),
    [27, Uint8Array.from(vec8(u16(2)))],
    [0x44cd, Uint8Array.from(vec16(vec8([...new TextEncoder().encode('h2')])))],
    [0xfe0d, new Uint8Array(250)],
    ext.empty(0x1a1a),
  ],
});
const tls12 = helloRecords({
  cipherSuites: [
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x00ff,
  ],
  extensions: [
    ext.serverName('www.example.com'),
    ext.ecPointFormats([0, 1, 2]),
    ext.supportedGroups([0x001d, 0x0017, 0x0018]),
    ext.empty(35),
    ext.statusRequest(),
    ext.signatureAlgorithms([
      0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601,
    ]),
    ext.empty(23),
  ],
});

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function rate(fn: () => unknown): number {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  let sink = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 200; i++) sink += fn() ? 1 : 0;
    n += 200;
  }
  if (sink < 0) throw new Error('unreachable');
  return n / (ROUND_MS / 1000);
}

function compare(name: string, ours: () => unknown, base: () => unknown) {
  const a: number[] = [];
  const b: number[] = [];
  const r: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const x = rate(ours);
    const y = rate(base);
    a.push(x);
    b.push(y);
    r.push(x / y);
  }
  return { name, ours: median(a), baseline: median(b), ratio: median(r) };
}

// Check once that what is timed works.
const parsed = parseClientHello(chrome);
if (parsed.serverName !== 'www.example.com' || parsed.keyShares?.[1]?.length !== 1216) {
  throw new Error('the bench hello does not parse as intended');
}
console.log(`Chrome-like hello: ${chrome.length} bytes; TLS 1.2 hello: ${tls12.length} bytes`);

const rows = [
  compare(
    'parse TLS 1.3 Chrome-like hello',
    () => parseClientHello(chrome),
    () => Buffer.from(chrome),
  ),
  compare(
    'parse TLS 1.2 hello',
    () => parseClientHello(tls12),
    () => Buffer.from(tls12),
  ),
];

// selectCertificate, when the package has it (issue: capabilities).
const select = (api as Record<string, unknown>).selectCertificate as
  | ((hello: unknown, candidates: unknown[]) => { selected?: unknown })
  | undefined;
if (select) {
  const candidates = [
    { description: { keyType: 'rsa', rsaBits: 2048, dnsNames: ['www.example.com'] } },
    { description: { keyType: 'ecdsa', curve: 'P-256', dnsNames: ['www.example.com'] } },
  ];
  if (select(parsed, candidates).selected !== candidates[1]) throw new Error('ECDSA not chosen');
  rows.push(
    compare(
      'selectCertificate, 2 candidates (vs parse)',
      () => select(parsed, candidates),
      () => parseClientHello(chrome),
    ),
  );
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  `\nNode ${process.version}; medians of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms; ratio = ours / baseline.\n`,
);
console.log('| measure | ours (ops/s) | baseline (ops/s) | ratio |');
console.log('|---|--:|--:|--:|');
for (const row of rows) {
  const base = row.name.includes('select') ? 'parse' : 'Buffer.from copy';
  console.log(
    `| ${row.name} | ${fmt(row.ours)} | ${fmt(row.baseline)} (${base}) | ${row.ratio.toFixed(3)}x |`,
  );
}
const reports = join(dirname(fileURLToPath(import.meta.url)), '../../../.reports');
mkdirSync(reports, { recursive: true });
writeFileSync(
  join(reports, 'bench-client-hello.json'),
  JSON.stringify({ node: process.version, rows }, null, 2),
);
