// The bench harness at toy sizes, so that it cannot rot unnoticed: the same code as
// `pnpm bench`, asserting the outcomes the benches are about (not their timings).
import { describe, expect, it } from 'vitest';
import { runFleet } from '../src/fleet.js';
import { runHerd } from '../src/herd.js';

process.env['BENCH_QUIET'] = '1';

describe('bench harness', () => {
  it('herd: 50 handshakes at once on a cold server, one upstream request per certificate, none waiting for it', async () => {
    const delay = 1_500;
    const result = await runHerd({
      connections: 50,
      rounds: 1,
      responderDelayMs: delay,
      warmupBurst: false,
    });
    const round = result.rounds[0]!;
    expect(round.coldServerUpstream).toEqual({ rsa: 1, ecdsa: 1 });
    expect(result.summary.failedHandshakes).toBe(0);
    expect(round.cold.completed).toBe(50);
    // Both certificates were served (half the clients offer only RSA schemes).
    expect(round.cold.byCertificate['rsa']?.served).toBe(25);
    expect(round.cold.byCertificate['ecdsa']?.served).toBe(25);
    // The responder is slow: the cold burst is served without waiting for it.
    expect(round.cold.stapled).toBeLessThan(50);
    expect(round.cold.latencyMs.max).toBeLessThan(delay);
    expect(round.coldServerAgain.stapled).toBe(50);
    expect(round.warm.stapled).toBe(50);
  }, 60_000);

  it('fleet: 2 nodes x 2 certificates sharing Redis make one request per certificate; Redis killed costs no handshake', async () => {
    const result = await runFleet({
      nodes: 2,
      certificates: 2,
      validitySeconds: 6,
      steadyWindows: 1,
      outageWindows: 1,
      recoveryWindows: 0,
      unsharedWindows: 0.5,
      rate: 20,
    });
    const startup = (run: typeof result.shared) => run.periods.find((p) => p.name === 'startup')!;
    expect(startup(result.shared).requests).toBe(2);
    expect(startup(result.unshared).requests).toBe(4);
    expect(result.summary.sharedMaxRequestsPerRound).toBeLessThanOrEqual(1);
    expect(result.shared.nodeFetches).toBe(result.shared.totalRequests);
    expect(result.summary.failedHandshakes).toBe(0);
    expect(result.summary.missingStaples).toBe(0);
    expect(result.shared.handshakes.badStaple).toBe(0);
    expect(result.shared.handshakes.wrongCertificate).toBe(0);
    expect(result.summary.outage.handshakes).toBeGreaterThan(0);
    expect(result.summary.outage.failedHandshakes).toBe(0);
  }, 90_000);
});
