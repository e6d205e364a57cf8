/**
 * Cold start and herd: N handshakes (default 1,000) started at once on a server whose stapler
 * starts cold, while the OCSP responder takes 1 s to answer (long enough that a good part of
 * the burst is served before the first response lands; 200 ms is over before the load client
 * has even issued its 1,000 connects). Counts the upstream OCSP
 * requests (goal: one per certificate, however many handshakes ask) and compares the p99
 * handshake latency with a server whose staples were ready before it listened (goal: within
 * 10%, because a handshake never waits for the responder: it staples what is there, or nothing).
 *
 * Each round: a fresh cold server process takes a burst as soon as it listens, then a second
 * burst once its staples are in (the same server, warm); a fresh server process that waited
 * for its staples takes a burst (the like-for-like comparison: both processes equally new to
 * the JIT). Rounds alternate which server goes first; medians over rounds. Server and load
 * client are pinned to different cores when taskset allows; the responder runs here.
 *
 * All connections of a burst are started in one synchronous loop, no batching; the server
 * listens with a backlog above the burst size so the kernel drops no SYNs (ListenOverflows is
 * reported per burst to show it).
 *
 * Environment: BENCH_HERD_CONNECTIONS (1000), BENCH_HERD_ROUNDS (5), BENCH_HERD_DELAY_MS (1000).
 * Writes .reports/bench-herd.json.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestOcsp } from '@staple/testkit';
import { Child, canPin } from './child.js';
import {
  benchMeta,
  envInteger,
  exitOnSignals,
  isMain,
  makeTempDir,
  progress,
  sleep,
  writeReport,
} from './env.js';
import { listenOverflows } from './kernel.js';
import type {
  BurstCommand,
  ClientMessage,
  ServerConfig,
  ServerMessage,
  Target,
} from './protocol.js';
import type { HerdBurst, HerdResult, HerdRound } from './results.js';
import { median, round } from './stats.js';

export interface HerdOptions {
  readonly connections: number;
  readonly rounds: number;
  readonly responderDelayMs: number;
  /** One discarded burst first, so the load client's JIT is warm for the measured ones. */
  readonly warmupBurst: boolean;
}

const SERVER_CORE = 1;
const CLIENT_CORE = 0;
const HANDSHAKE_TIMEOUT_MS = 15_000;
const RSA_ONLY = 'rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:rsa_pss_rsae_sha512:rsa_pkcs1_sha256';

export async function runHerd(options: HerdOptions): Promise<HerdResult> {
  const startedAt = Date.now();
  const dir = makeTempDir('staple-bench-herd-');
  const ocsp = await startTestOcsp({
    pki: {
      leaves: [
        { name: 'rsa', keyType: 'rsa' },
        { name: 'ecdsa', keyType: 'ecdsa-p256' },
      ],
      delegatedSigner: false,
    },
  });
  const servers = new Set<Child<ServerMessage>>();
  let client: Child<ClientMessage> | undefined;
  try {
    const leaves = ocsp.pki.leaves;
    // Serials as hex, compared without case or leading zeros (Node and the codec differ there).
    const serialKey = (hex: string) => hex.toUpperCase().replace(/^0+/, '');
    const labels = new Map(leaves.map((l) => [serialKey(l.serialNumber), l.name]));
    const labelOf = (serial: string) => labels.get(serialKey(serial)) ?? serial;
    const backlog = Math.max(511, options.connections + 64);
    const configFile = (warm: boolean) => {
      const config: ServerConfig = {
        certificates: leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem })),
        stapling: {},
        warm,
        backlog,
      };
      const path = join(dir, warm ? 'warm.json' : 'cold.json');
      writeFileSync(path, JSON.stringify(config));
      return path;
    };
    const coldConfig = configFile(false);
    const warmConfig = configFile(true);
    ocsp.responder.setFault({ kind: 'slow', delayMs: options.responderDelayMs });

    client = new Child<ClientMessage>('load-client', 'load-client.ts', { core: CLIENT_CORE });
    await client.next(30_000);
    const targets: Target[] = [
      { servername: 'localhost' },
      { servername: 'localhost', sigalgs: RSA_ONLY },
    ];
    const loadClient = client;

    const startServer = async (warm: boolean) => {
      const server = new Child<ServerMessage>(
        warm ? 'warm-server' : 'cold-server',
        'server-process.ts',
        {
          core: SERVER_CORE,
          args: [warm ? warmConfig : coldConfig],
        },
      );
      servers.add(server);
      const ready = await server.next(60_000);
      if (ready.type !== 'ready') throw new Error(`server: unexpected ${JSON.stringify(ready)}`);
      return { server, ready, listeningAt: Date.now() };
    };
    const stopServer = async (server: Child<ServerMessage>) => {
      await server.stop();
      servers.delete(server);
    };

    const burst = async (port: number, count = options.connections): Promise<HerdBurst> => {
      const before = listenOverflows();
      const result = await loadClient.request(
        {
          type: 'burst',
          port,
          count,
          targets,
          timeoutMs: HANDSHAKE_TIMEOUT_MS,
        } satisfies BurstCommand,
        'burst',
        HANDSHAKE_TIMEOUT_MS + 30_000,
      );
      const byCertificate: Record<string, { served: number; stapled: number }> = {};
      for (const [serial, counts] of Object.entries(result.bySerial)) {
        byCertificate[labelOf(serial)] = counts;
      }
      return {
        connections: result.count,
        completed: result.completed,
        failed: result.failed,
        errors: result.errors,
        stapled: result.stapled,
        byCertificate,
        latencyMs: result.latencyMs,
        sinceStartMs: result.sinceStartMs,
        issueMs: result.issueMs,
        durationMs: result.durationMs,
        firstStapledMs: Number.isNaN(result.firstStapledMs) ? null : result.firstStapledMs,
        lastUnstapledMs: Number.isNaN(result.lastUnstapledMs) ? null : result.lastUnstapledMs,
        listenOverflows: listenOverflows() - before,
      };
    };

    /** Upstream requests logged from index `from` on, by certificate label. */
    const upstreamSince = (from: number) => {
      const counts: Record<string, number> = Object.fromEntries(leaves.map((l) => [l.name, 0]));
      for (const request of ocsp.responder.requests.slice(from)) {
        for (const serial of request.serials) {
          const label = labelOf(serial);
          counts[label] = (counts[label] ?? 0) + 1;
        }
      }
      return counts;
    };

    const waitStapled = async (server: Child<ServerMessage>) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const status = await server.request('status', 'status', 10_000);
        if (status.certificates.every((c) => c.stapling)) return;
        if (Date.now() > deadline) {
          throw new Error(`cold server still not stapling: ${JSON.stringify(status)}`);
        }
        await sleep(50);
      }
    };

    const coldRun = async () => {
      const from = ocsp.responder.requestCount;
      const { server, ready, listeningAt } = await startServer(false);
      const cold = await burst(ready.port);
      await waitStapled(server);
      const again = await burst(ready.port);
      await stopServer(server);
      const first = ocsp.responder.requests[from];
      return {
        cold,
        again,
        upstream: upstreamSince(from),
        firstRequestAfterListenMs: first ? first.at.getTime() - listeningAt : Number.NaN,
      };
    };
    const warmRun = async (count = options.connections) => {
      const from = ocsp.responder.requestCount;
      const { server, ready } = await startServer(true);
      const warm = await burst(ready.port, count);
      await stopServer(server);
      return { warm, upstream: upstreamSince(from) };
    };

    if (options.warmupBurst) {
      // At least 1,000 handshakes: with small bursts the client's JIT would still be warming
      // over the first rounds, favouring whichever server goes last.
      progress('herd: warm-up burst (discarded)');
      await warmRun(Math.max(options.connections, 1_000));
    }
    const rounds: HerdRound[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const order: ('cold' | 'warm')[] = r % 2 === 0 ? ['cold', 'warm'] : ['warm', 'cold'];
      let c: Awaited<ReturnType<typeof coldRun>> | undefined;
      let w: Awaited<ReturnType<typeof warmRun>> | undefined;
      for (const kind of order) {
        if (kind === 'cold') c = await coldRun();
        else w = await warmRun();
      }
      const round_: HerdRound = {
        round: r + 1,
        order,
        cold: c!.cold,
        coldServerAgain: c!.again,
        warm: w!.warm,
        coldServerUpstream: c!.upstream,
        warmServerUpstream: w!.upstream,
        coldFirstRequestAfterListenMs: c!.firstRequestAfterListenMs,
        p99Ratio: round(c!.cold.latencyMs.p99 / w!.warm.latencyMs.p99, 3),
        p50Ratio: round(c!.cold.latencyMs.p50 / w!.warm.latencyMs.p50, 3),
      };
      rounds.push(round_);
      progress(
        `herd round ${r + 1}/${options.rounds}: cold p99 ${round_.cold.latencyMs.p99} ms ` +
          `(${round_.cold.stapled} stapled), warm p99 ${round_.warm.latencyMs.p99} ms, ` +
          `upstream ${JSON.stringify(round_.coldServerUpstream)}`,
      );
    }

    const upstreamCounts = rounds.flatMap((r) => Object.values(r.coldServerUpstream));
    const failed = rounds.reduce(
      (sum, r) => sum + r.cold.failed + r.warm.failed + r.coldServerAgain.failed,
      0,
    );
    const p99Ratio = round(median(rounds.map((r) => r.p99Ratio)), 3);
    const summary: HerdResult['summary'] = {
      coldP50Ms: round(median(rounds.map((r) => r.cold.latencyMs.p50))),
      coldP99Ms: round(median(rounds.map((r) => r.cold.latencyMs.p99))),
      warmP50Ms: round(median(rounds.map((r) => r.warm.latencyMs.p50))),
      warmP99Ms: round(median(rounds.map((r) => r.warm.latencyMs.p99))),
      coldServerAgainP99Ms: round(median(rounds.map((r) => r.coldServerAgain.latencyMs.p99))),
      p99Ratio,
      p50Ratio: round(median(rounds.map((r) => r.p50Ratio)), 3),
      p99RatioSameServer: round(
        median(rounds.map((r) => r.cold.latencyMs.p99 / r.coldServerAgain.latencyMs.p99)),
        3,
      ),
      maxUpstreamPerCertificate: Math.max(...upstreamCounts),
      minUpstreamPerCertificate: Math.min(...upstreamCounts),
      coldStapled: median(rounds.map((r) => r.cold.stapled)),
      warmAllStapled: rounds.every((r) => r.warm.stapled === r.warm.connections),
      failedHandshakes: failed,
      goals: {
        onePerCertificate: upstreamCounts.every((n) => n === 1),
        p99Within10Percent: p99Ratio <= 1.1,
        noFailedHandshakes: failed === 0,
      },
    };
    return {
      meta: benchMeta('herd', startedAt, canPin),
      config: {
        connections: options.connections,
        rounds: options.rounds,
        certificates: leaves.map((l) => ({
          label: l.name,
          keyType: l.keyType,
          serial: l.serialNumber,
        })),
        responderDelayMs: options.responderDelayMs,
        backlog,
        clientMix: 'alternate: default signature algorithms (ECDSA served) / RSA-only (RSA served)',
        warmupBurst: options.warmupBurst,
      },
      rounds,
      summary,
    };
  } finally {
    await Promise.all([...servers].map((s) => s.stop()));
    await client?.stop();
    await ocsp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function summarizeHerd(result: HerdResult): string {
  const s = result.summary;
  const c = result.config;
  const firstStapled = median(
    result.rounds.flatMap((r) => (r.cold.firstStapledMs === null ? [] : [r.cold.firstStapledMs])),
  );
  return [
    `herd: ${c.connections} handshakes at once, ${c.rounds} rounds, responder delay ${c.responderDelayMs} ms`,
    `  upstream OCSP requests per certificate per cold server: ${s.minUpstreamPerCertificate}..${s.maxUpstreamPerCertificate} (goal 1)`,
    `  p50 cold ${s.coldP50Ms} ms / warm ${s.warmP50Ms} ms; p99 cold ${s.coldP99Ms} ms / warm ${s.warmP99Ms} ms`,
    `  p99 cold/warm ${s.p99Ratio} (goal <= 1.10), cold/same-server-again ${s.p99RatioSameServer}`,
    `  stapled in the cold burst: ${s.coldStapled}/${c.connections} (median; ${Number.isNaN(firstStapled) ? 'none before the burst ended' : `staples from ${round(firstStapled)} ms into the burst`}); warm all stapled: ${s.warmAllStapled}`,
    `  failed handshakes: ${s.failedHandshakes}`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  exitOnSignals();
  const result = await runHerd({
    connections: envInteger('BENCH_HERD_CONNECTIONS', 1000, 1, 20_000),
    rounds: envInteger('BENCH_HERD_ROUNDS', 5, 1, 50),
    responderDelayMs: envInteger('BENCH_HERD_DELAY_MS', 1000, 0, 10_000),
    warmupBurst: true,
  });
  const path = writeReport('herd', result);
  console.log(summarizeHerd(result));
  console.log(`  → ${path}`);
}
