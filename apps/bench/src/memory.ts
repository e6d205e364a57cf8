/**
 * Memory. (1) Resident memory of a server holding N certificates (default 1,000, ECDSA, each
 * its own hostname so SNI picks it) with every one stapled from the testkit responder, against
 * the same server with `stapling: false`: separate processes, the same certificates and code,
 * listening, measured after full GCs (--expose-gc). (2) Retention per handshake: the stapled
 * server takes H full handshakes (default 100,000; no session offered, status_request sent,
 * SNI rotating over all N names) from a load client in another process, a few at a time, and
 * RSS and heapUsed after GC are sampled every 10,000; the slope (bytes per handshake) says
 * whether memory grows. The handshake loop stops at BENCH_MEMORY_SECONDS (default 300) and
 * reports how many were done.
 *
 * Environment: BENCH_MEMORY_CERTS (1000), BENCH_MEMORY_HANDSHAKES (100000),
 * BENCH_MEMORY_SAMPLE_EVERY (10000), BENCH_MEMORY_CONCURRENCY (16), BENCH_MEMORY_SECONDS (300).
 * Writes .reports/bench-memory.json.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestOcsp, type TestLeaf } from '@staple/testkit';
import { Child, canPin } from './child.js';
import {
  benchMeta,
  envInteger,
  envNumber,
  exitOnSignals,
  isMain,
  makeTempDir,
  progress,
  writeReport,
} from './env.js';
import type {
  ClientMessage,
  LoopCommand,
  ServerConfig,
  ServerMessage,
  ServerSample,
} from './protocol.js';
import type { MemoryResult, MemorySample } from './results.js';
import { round, slope } from './stats.js';

export interface MemoryOptions {
  readonly certificates: number;
  readonly handshakes: number;
  readonly sampleEvery: number;
  readonly concurrency: number;
  readonly timeBoundSeconds: number;
}

const SERVER_CORE = 1;
const CLIENT_CORE = 0;
const MiB = 1024 * 1024;
const THRESHOLDS = {
  heapSlopeBytesPerHandshake: 1,
  heapGrowthBytes: 1 * MiB,
  rssGrowthBytes: 32 * MiB,
};

export async function runMemory(options: MemoryOptions): Promise<MemoryResult> {
  const startedAt = Date.now();
  const dir = makeTempDir('staple-bench-memory-');
  const ocsp = await startTestOcsp({ pki: { leaves: [], delegatedSigner: false } });
  const children = new Set<Child<ServerMessage> | Child<ClientMessage>>();
  try {
    progress(`memory: issuing ${options.certificates} ECDSA certificates`);
    const leaves: TestLeaf[] = [];
    for (let i = 0; i < options.certificates; i += 100) {
      const batch = Array.from({ length: Math.min(100, options.certificates - i) }, (_, j) =>
        ocsp.pki.issueLeaf({
          name: `h${i + j}`,
          keyType: 'ecdsa-p256',
          dnsNames: [`h${i + j}.memory.test`],
          ips: [],
        }),
      );
      leaves.push(...(await Promise.all(batch)));
    }
    const certificates = leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem }));
    const configPath = (name: string, config: ServerConfig) => {
      const path = join(dir, `${name}.json`);
      writeFileSync(path, JSON.stringify(config));
      return path;
    };
    const plainConfig = configPath('plain', { certificates, stapling: false, warm: false });
    const stapledConfig = configPath('stapled', {
      certificates,
      stapling: { retry: { initialMs: 1_000, maxMs: 5_000 }, fetchTimeoutMs: 5_000 },
      warm: true,
      readyTimeoutMs: 180_000,
    });

    const startServer = async (name: string, config: string) => {
      const server = new Child<ServerMessage>(name, 'server-process.ts', {
        core: SERVER_CORE,
        nodeArgs: ['--expose-gc'],
        args: [config],
      });
      children.add(server);
      const ready = await server.next(240_000);
      if (ready.type !== 'ready') throw new Error(`${name}: unexpected ${JSON.stringify(ready)}`);
      return { server, ready };
    };
    const sample = async (server: Child<ServerMessage>): Promise<ServerSample> => {
      const s = await server.request('sample', 'sample', 60_000);
      if (!s.gc) throw new Error('the server has no gc(): --expose-gc was not applied');
      return s;
    };

    progress('memory: server without stapling');
    const plain = await startServer('plain-server', plainConfig);
    const plainSample = await sample(plain.server);
    await plain.server.stop();
    children.delete(plain.server);

    progress('memory: server with stapling (waiting for every staple)');
    const requestsBefore = ocsp.responder.requestCount;
    const stapled = await startServer('stapled-server', stapledConfig);
    const first = await sample(stapled.server);
    const t0 = performance.now();
    const toSample = (s: ServerSample): MemorySample => ({
      handshakes: s.handshakes,
      atMs: Math.round(performance.now() - t0),
      rss: s.rss,
      heapUsed: s.heapUsed,
      heapTotal: s.heapTotal,
      external: s.external,
      arrayBuffers: s.arrayBuffers,
    });
    const samples: MemorySample[] = [toSample(first)];
    progress(
      `memory: ${stapled.ready.stapling} stapled (${ocsp.responder.requestCount - requestsBefore} ` +
        `upstream requests); rss ${(first.rss / MiB).toFixed(1)} MiB vs ${(plainSample.rss / MiB).toFixed(1)} MiB without`,
    );

    const client = new Child<ClientMessage>('load-client', 'load-client.ts', { core: CLIENT_CORE });
    children.add(client);
    await client.next(30_000);
    const servernames = leaves.map((l) => l.dnsNames[0]!);
    const deadline = performance.now() + options.timeBoundSeconds * 1000;
    let done = 0;
    let failed = 0;
    let stapledCount = 0;
    let wrongCertificate = 0;
    let hitTimeBound = false;
    const loopStart = performance.now();
    while (done + failed < options.handshakes) {
      const left = deadline - performance.now();
      if (left <= 0) {
        hitTimeBound = true;
        break;
      }
      const count = Math.min(options.sampleEvery, options.handshakes - done - failed);
      const result = await client.request(
        {
          type: 'loop',
          port: stapled.ready.port,
          count,
          concurrency: options.concurrency,
          servernames,
          offset: done + failed,
          deadlineMs: left,
          timeoutMs: 10_000,
        } satisfies LoopCommand,
        'loop',
        left + 30_000,
      );
      done += result.completed;
      failed += result.failed;
      stapledCount += result.stapled;
      wrongCertificate += result.wrongCertificate;
      if (result.hitDeadline) hitTimeBound = true;
      samples.push(toSample(await sample(stapled.server)));
      const last = samples[samples.length - 1]!;
      progress(
        `memory: ${done} handshakes (${failed} failed), heap ${(last.heapUsed / MiB).toFixed(2)} MiB, ` +
          `rss ${(last.rss / MiB).toFixed(1)} MiB`,
      );
      if (result.hitDeadline) break;
    }
    const elapsedMs = performance.now() - loopStart;

    // The first chunk pays for one-time things (JIT, caches): the trend is read after it.
    const trend = samples.slice(1);
    const base = trend[0] ?? samples[0]!;
    const last = samples[samples.length - 1]!;
    const heapSlope = slope(trend.map((s) => [s.handshakes, s.heapUsed] as const));
    const rssSlope = slope(trend.map((s) => [s.handshakes, s.rss] as const));
    const growth = { heapUsed: last.heapUsed - base.heapUsed, rss: last.rss - base.rss };
    const grows =
      (heapSlope > THRESHOLDS.heapSlopeBytesPerHandshake &&
        growth.heapUsed > THRESHOLDS.heapGrowthBytes) ||
      growth.rss > THRESHOLDS.rssGrowthBytes;

    const firstSample = samples[0]!;
    const n = options.certificates;
    return {
      meta: benchMeta('memory', startedAt, canPin),
      config: {
        certificates: n,
        keyType: 'ecdsa-p256',
        handshakes: options.handshakes,
        sampleEvery: options.sampleEvery,
        concurrency: options.concurrency,
        timeBoundSeconds: options.timeBoundSeconds,
      },
      resident: {
        stapled: { ...firstSample, stapling: stapled.ready.stapling },
        plain: { ...toSample(plainSample), atMs: 0 },
        ratio: {
          rss: round(firstSample.rss / plainSample.rss, 3),
          heapUsed: round(firstSample.heapUsed / plainSample.heapUsed, 3),
        },
        perCertificateBytes: {
          rss: Math.round((firstSample.rss - plainSample.rss) / n),
          heapUsed: Math.round((firstSample.heapUsed - plainSample.heapUsed) / n),
          external: Math.round((firstSample.external - plainSample.external) / n),
        },
      },
      perHandshake: {
        target: options.handshakes,
        done,
        hitTimeBound,
        elapsedMs: Math.round(elapsedMs),
        handshakesPerSecond: Math.round((done / elapsedMs) * 1000),
        failed,
        stapled: stapledCount,
        wrongCertificate,
        samples,
        slopeBytesPerHandshake: { heapUsed: round(heapSlope, 3), rss: round(rssSlope, 3) },
        growthBytes: growth,
        grows,
        thresholds: THRESHOLDS,
      },
    };
  } finally {
    await Promise.all([...children].map((c) => c.stop()));
    await ocsp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function summarizeMemory(result: MemoryResult): string {
  const r = result.resident;
  const h = result.perHandshake;
  const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
  return [
    `memory: ${result.config.certificates} certificates`,
    `  stapled (${r.stapled.stapling} staples): rss ${mib(r.stapled.rss)}, heap ${mib(r.stapled.heapUsed)}; ` +
      `without stapling: rss ${mib(r.plain.rss)}, heap ${mib(r.plain.heapUsed)}`,
    `  ratio rss ${r.ratio.rss}, heap ${r.ratio.heapUsed}; per certificate: rss ${r.perCertificateBytes.rss} B, heap ${r.perCertificateBytes.heapUsed} B, external ${r.perCertificateBytes.external} B`,
    `  ${h.done}/${h.target} handshakes${h.hitTimeBound ? ' (time bound hit)' : ''} at ${h.handshakesPerSecond}/s, ${h.failed} failed, ${h.stapled} stapled`,
    `  after GC: heap ${h.slopeBytesPerHandshake.heapUsed} B/handshake (growth ${mib(h.growthBytes.heapUsed)}), rss ${h.slopeBytesPerHandshake.rss} B/handshake (growth ${mib(h.growthBytes.rss)}); grows: ${h.grows}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  exitOnSignals();
  const result = await runMemory({
    certificates: envInteger('BENCH_MEMORY_CERTS', 1000, 1, 20_000),
    handshakes: envInteger('BENCH_MEMORY_HANDSHAKES', 100_000, 0, 10_000_000),
    sampleEvery: envInteger('BENCH_MEMORY_SAMPLE_EVERY', 10_000, 100, 1_000_000),
    concurrency: envInteger('BENCH_MEMORY_CONCURRENCY', 16, 1, 512),
    timeBoundSeconds: envNumber('BENCH_MEMORY_SECONDS', 300, 1, 3_600),
  });
  const path = writeReport('memory', result);
  console.log(summarizeMemory(result));
  console.log(`  → ${path}`);
}
