/**
 * The fleet: N server processes (default 8), each a @staple/server with its own stapler and the
 * same C certificates (default 20, ECDSA, one testkit PKI), sharing one redis-server of our
 * own; then the same N without a store, in the same run. The responder's validity is short
 * (default 20 s), so the stapler's refresh at half of it gives a refresh window of ~10 s in
 * real time. Upstream requests are counted at the testkit responder per certificate per
 * refresh round; the goal is one per certificate per window for the whole fleet with Redis,
 * against N without.
 *
 * While the shared fleet runs, Redis is killed (SIGKILL) for 1.5 windows and started again
 * (empty): every node must keep serving, every handshake must succeed and carry a valid staple
 * (the memory copy is valid all along: each node fetches for itself while Redis is away).
 * A load client here checks that throughout: BENCH_FLEET_RATE handshakes per second over every
 * node and certificate, each verified (chain, name, served certificate, staple signature and
 * CertID and times).
 *
 * Periods of the shared run: startup (nodes starting, first staples), steady (3 windows),
 * outage (1.5), recovery (2); the unshared run: startup, steady (3). About 2 minutes at the
 * defaults.
 *
 * Environment: BENCH_FLEET_NODES (8), BENCH_FLEET_CERTS (20), BENCH_FLEET_VALIDITY_SECONDS (20),
 * BENCH_FLEET_WINDOWS (steady windows, 3), BENCH_FLEET_RATE (20 handshakes/s).
 * Writes .reports/bench-fleet.json.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestOcsp, type TestLeaf } from '@staple/testkit';
import { Child } from './child.js';
import {
  benchMeta,
  envInteger,
  envNumber,
  exitOnSignals,
  isMain,
  makeTempDir,
  progress,
  sleep,
  writeReport,
} from './env.js';
import { Prober } from './prober.js';
import type { ServerConfig, ServerMessage } from './protocol.js';
import { type BenchRedis, startRedis } from './redis.js';
import type {
  FleetNodeReport,
  FleetPeriod,
  FleetPeriodName,
  FleetResult,
  FleetRun,
} from './results.js';
import { round } from './stats.js';

export interface FleetOptions {
  readonly nodes: number;
  readonly certificates: number;
  readonly validitySeconds: number;
  /** Lengths of the periods, in refresh windows (half the validity). */
  readonly steadyWindows: number;
  readonly outageWindows: number;
  readonly recoveryWindows: number;
  readonly unsharedWindows: number;
  /** Handshakes per second, over all nodes and certificates. */
  readonly rate: number;
}

interface Period {
  readonly name: FleetPeriodName;
  readonly from: number;
  to: number;
}

export async function runFleet(options: FleetOptions): Promise<FleetResult> {
  const startedAt = Date.now();
  const windowMs = (options.validitySeconds * 1000) / 2;
  const refresh = {
    // 10% of the validity: served until 2 s before nextUpdate at the defaults (the stapler's
    // own default, 5 minutes, is longer than these responses live).
    stopBeforeMs: Math.round(options.validitySeconds * 100),
    minDelayMs: 200,
  };
  const retry = { initialMs: 1_000, maxMs: windowMs };
  const lockPollMs = 50;
  const dir = makeTempDir('staple-bench-fleet-');
  const ocsp = await startTestOcsp({
    pki: { leaves: [], delegatedSigner: false },
    responder: { validitySeconds: options.validitySeconds },
  });
  let redis: BenchRedis | undefined;
  const nodes = new Set<Child<ServerMessage>>();
  try {
    const leaves: TestLeaf[] = await Promise.all(
      Array.from({ length: options.certificates }, (_, i) =>
        ocsp.pki.issueLeaf({
          name: `c${i}`,
          keyType: 'ecdsa-p256',
          dnsNames: [`c${i}.fleet.test`],
          ips: [],
        }),
      ),
    );
    const serials = new Set(leaves.map((l) => l.serialNumber));
    redis = await startRedis();
    const liveRedis = redis;

    const runFleetOnce = async (
      store: 'redis' | 'none',
      plan: readonly { name: FleetPeriodName; windows: number; before?: () => Promise<void> }[],
    ): Promise<FleetRun> => {
      const config: ServerConfig = {
        certificates: leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem })),
        stapling: {
          ...(store === 'redis'
            ? {
                redis: { path: liveRedis.path, prefix: `bench:${randomBytes(4).toString('hex')}:` },
              }
            : {}),
          refresh,
          retry,
          lockPollMs,
          fetchTimeoutMs: 2_000,
        },
        warm: true,
        readyTimeoutMs: 60_000,
      };
      const configPath = join(dir, `${store}.json`);
      writeFileSync(configPath, JSON.stringify(config));

      const t0 = Date.now();
      const periods: Period[] = [{ name: 'startup', from: t0, to: Number.NaN }];
      const children = Array.from({ length: options.nodes }, (_, i) => {
        const child = new Child<ServerMessage>(`${store}-node-${i}`, 'server-process.ts', {
          args: [configPath],
        });
        nodes.add(child);
        return child;
      });
      const readies = await Promise.all(children.map((c) => c.next(90_000)));
      const ports = readies.map((r) => {
        if (r.type !== 'ready') throw new Error(`node: unexpected ${JSON.stringify(r)}`);
        return r.port;
      });
      progress(`fleet (${store}): ${options.nodes} nodes stapling ${leaves.length} certificates`);

      let current = periods[0]!;
      const prober = new Prober({
        ports,
        certificates: leaves.map((l) => ({
          servername: l.dnsNames[0]!,
          der: l.certificate,
        })),
        rootPem: ocsp.pki.rootPem,
        issuer: ocsp.pki.intermediate.certificate,
        rate: options.rate,
        periodOf: () => current.name,
      });
      prober.start();
      for (const step of plan) {
        await step.before?.();
        const now = Date.now();
        current.to = now;
        current = { name: step.name, from: now, to: Number.NaN };
        periods.push(current);
        progress(`fleet (${store}): ${step.name} for ${step.windows} windows`);
        await sleep(step.windows * windowMs);
      }
      await prober.stop();
      current.to = Date.now();

      const nodeReports: FleetNodeReport[] = [];
      for (const [i, child] of children.entries()) {
        const status = await child.request('status', 'status', 10_000);
        nodeReports.push({
          node: i,
          fetches: status.certificates.reduce((sum, c) => sum + c.fetches, 0),
          storeHits: status.certificates.reduce((sum, c) => sum + c.storeHits, 0),
          failures: status.certificates.reduce((sum, c) => sum + c.failures, 0),
          handshakes: status.handshakes,
          logs: status.logs,
        });
      }
      await Promise.all(
        children.map(async (c) => {
          await c.stop();
          nodes.delete(c);
        }),
      );

      // The responder's log, this run only: requests for our certificates since t0.
      const requests = ocsp.responder.requests
        .filter((r) => r.at.getTime() >= t0 && r.at.getTime() <= current.to + 1_000)
        .flatMap((r) =>
          r.serials.filter((s) => serials.has(s)).map((s) => ({ serial: s, at: r.at.getTime() })),
        );
      // Rounds: per certificate, requests within half a window of the round's first.
      const rounds: { at: number; size: number }[] = [];
      for (const serial of serials) {
        const times = requests
          .filter((r) => r.serial === serial)
          .map((r) => r.at)
          .sort((a, b) => a - b);
        let open: { at: number; size: number } | undefined;
        for (const at of times) {
          if (!open || at - open.at > windowMs / 2) {
            open = { at, size: 0 };
            rounds.push(open);
          }
          open.size++;
        }
      }
      const inPeriod = (p: Period, at: number) =>
        at >= p.from && (at < p.to || (p === periods[periods.length - 1] && at <= p.to + 1_000));
      const periodReports: FleetPeriod[] = periods.map((p) => {
        const mine = rounds.filter((r) => inPeriod(p, r.at));
        const roundRequests = mine.reduce((sum, r) => sum + r.size, 0);
        const count = requests.filter((r) => inPeriod(p, r.at)).length;
        const windows = (p.to - p.from) / windowMs;
        return {
          name: p.name,
          fromMs: p.from - t0,
          toMs: p.to - t0,
          requests: count,
          rounds: mine.length,
          requestsPerRound: mine.length ? round(roundRequests / mine.length, 3) : 0,
          maxRequestsPerRound: Math.max(0, ...mine.map((r) => r.size)),
          requestsPerCertificatePerWindow:
            p.name === 'startup'
              ? round(count / leaves.length, 3)
              : round(count / leaves.length / windows, 3),
          handshakes: prober.counts(p.name),
        };
      });
      return {
        store,
        nodes: options.nodes,
        certificates: leaves.length,
        periods: periodReports,
        totalRequests: requests.length,
        nodeFetches: nodeReports.reduce((sum, n) => sum + n.fetches, 0),
        rounds: rounds.length,
        nodeReports,
        handshakes: prober.total(),
        requestTimes: Object.fromEntries(
          leaves.map((l) => [
            l.name,
            requests
              .filter((r) => r.serial === l.serialNumber)
              .map((r) => r.at - t0)
              .sort((a, b) => a - b),
          ]),
        ),
      };
    };

    const shared = await runFleetOnce(
      'redis',
      [
        { name: 'steady' as const, windows: options.steadyWindows },
        { name: 'outage' as const, windows: options.outageWindows, before: () => liveRedis.kill() },
        {
          name: 'recovery' as const,
          windows: options.recoveryWindows,
          before: () => liveRedis.start(),
        },
      ].filter((step) => step.windows > 0),
    );
    const unshared = await runFleetOnce('none', [
      { name: 'steady', windows: options.unsharedWindows },
    ]);

    const period = (run: FleetRun, name: FleetPeriodName) =>
      run.periods.find((p) => p.name === name);
    const sharedSteady = period(shared, 'steady')!;
    const unsharedSteady = period(unshared, 'steady')!;
    const outage = period(shared, 'outage');
    const recovery = period(shared, 'recovery');
    const failed = shared.handshakes.failed + unshared.handshakes.failed;
    const missing = shared.handshakes.missingStaple + unshared.handshakes.missingStaple;
    return {
      meta: benchMeta('fleet', startedAt, false),
      config: {
        nodes: options.nodes,
        certificates: options.certificates,
        validitySeconds: options.validitySeconds,
        windowMs,
        refresh,
        retry,
        lockPollMs,
        handshakeRate: options.rate,
        steadyMs: options.steadyWindows * windowMs,
        outageMs: options.outageWindows * windowMs,
        recoveryMs: options.recoveryWindows * windowMs,
        unsharedMs: options.unsharedWindows * windowMs,
        redisKill: 'SIGKILL',
      },
      shared,
      unshared,
      summary: {
        sharedRequestsPerRound: sharedSteady.requestsPerRound,
        sharedMaxRequestsPerRound: sharedSteady.maxRequestsPerRound,
        sharedStartupRequests: period(shared, 'startup')!.requests,
        unsharedRequestsPerRound: unsharedSteady.requestsPerRound,
        unsharedStartupRequests: period(unshared, 'startup')!.requests,
        reduction: round(unsharedSteady.requestsPerRound / sharedSteady.requestsPerRound, 2),
        outage: {
          failedHandshakes: outage?.handshakes.failed ?? 0,
          missingStaples: outage?.handshakes.missingStaple ?? 0,
          badStaples: outage?.handshakes.badStaple ?? 0,
          handshakes: outage?.handshakes.attempted ?? 0,
          requestsPerRound: outage?.requestsPerRound ?? 0,
        },
        recoveryRequestsPerRound: recovery?.requestsPerRound ?? 0,
        failedHandshakes: failed,
        missingStaples: missing,
        goals: {
          oneRequestPerCertificatePerWindow:
            sharedSteady.maxRequestsPerRound === 1 &&
            period(shared, 'startup')!.requests === options.certificates,
          noFailedHandshakes: failed === 0,
          noMissingStaples:
            missing === 0 && shared.handshakes.badStaple + unshared.handshakes.badStaple === 0,
        },
      },
    };
  } finally {
    await Promise.all([...nodes].map((n) => n.stop()));
    await redis?.close();
    await ocsp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function summarizeFleet(result: FleetResult): string {
  const s = result.summary;
  const c = result.config;
  return [
    `fleet: ${c.nodes} nodes x ${c.certificates} certificates, window ${c.windowMs / 1000} s, ${c.handshakeRate} handshakes/s checked`,
    `  first staples: ${s.sharedStartupRequests} upstream requests with Redis, ${s.unsharedStartupRequests} without`,
    `  per certificate per refresh round: ${s.sharedRequestsPerRound} with Redis (max ${s.sharedMaxRequestsPerRound}), ${s.unsharedRequestsPerRound} without (x${s.reduction})`,
    `  Redis killed for ${c.outageMs / 1000} s: ${s.outage.handshakes} handshakes, ${s.outage.failedHandshakes} failed, ${s.outage.missingStaples} without staple, ${s.outage.requestsPerRound} requests per round; after restart ${s.recoveryRequestsPerRound}`,
    `  whole run: ${s.failedHandshakes} failed handshakes, ${s.missingStaples} missing staples`,
  ].join('\n');
}

if (isMain(import.meta.url)) {
  exitOnSignals();
  const result = await runFleet({
    nodes: envInteger('BENCH_FLEET_NODES', 8, 1, 64),
    certificates: envInteger('BENCH_FLEET_CERTS', 20, 1, 1_000),
    validitySeconds: envInteger('BENCH_FLEET_VALIDITY_SECONDS', 20, 2, 3_600),
    steadyWindows: envNumber('BENCH_FLEET_WINDOWS', 3, 1, 100),
    outageWindows: 1.5,
    recoveryWindows: 2,
    unsharedWindows: envNumber('BENCH_FLEET_WINDOWS', 3, 1, 100),
    rate: envNumber('BENCH_FLEET_RATE', 20, 1, 1_000),
  });
  const path = writeReport('fleet', result);
  console.log(summarizeFleet(result));
  console.log(`  → ${path}`);
}
