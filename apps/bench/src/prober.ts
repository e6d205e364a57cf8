/**
 * The fleet's load client: handshakes at a fixed low rate, round-robin over every node and
 * certificate, each checked in full: the handshake succeeds against the test root with the
 * certificate's name, the served certificate is the one for that name, and the staple verifies
 * (signature, CertID of the served certificate, thisUpdate/nextUpdate against now) as `good`.
 * Outcomes are counted per period of the run. Bounded: at most MAX_IN_FLIGHT at a time (more
 * are counted as skipped), each handshake within its timeout.
 */
import { verifyResponse } from '@staple/ocsp-codec';
import { handshakeAsync } from './handshake.js';
import type { FleetHandshakes } from './results.js';
import { bump } from './stats.js';

const MAX_IN_FLIGHT = 64;
const HANDSHAKE_TIMEOUT_MS = 5_000;

export interface ProbeCertificate {
  readonly servername: string;
  readonly der: Uint8Array;
}

interface Counts {
  attempted: number;
  succeeded: number;
  failed: number;
  errors: Record<string, number>;
  stapled: number;
  missingStaple: number;
  badStaple: number;
  wrongCertificate: number;
  skipped: number;
}

const emptyCounts = (): Counts => ({
  attempted: 0,
  succeeded: 0,
  failed: 0,
  errors: {},
  stapled: 0,
  missingStaple: 0,
  badStaple: 0,
  wrongCertificate: 0,
  skipped: 0,
});

export class Prober {
  readonly #ports: readonly number[];
  readonly #certificates: readonly ProbeCertificate[];
  readonly #rootPem: string;
  readonly #issuer: Uint8Array;
  readonly #intervalMs: number;
  readonly #periodOf: () => string;
  readonly #counts = new Map<string, Counts>();
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #k = 0;

  constructor(options: {
    ports: readonly number[];
    certificates: readonly ProbeCertificate[];
    rootPem: string;
    issuer: Uint8Array;
    rate: number;
    /** The period a handshake started now is counted in. */
    periodOf: () => string;
  }) {
    this.#ports = options.ports;
    this.#certificates = options.certificates;
    this.#rootPem = options.rootPem;
    this.#issuer = options.issuer;
    this.#intervalMs = 1000 / options.rate;
    this.#periodOf = options.periodOf;
  }

  start(): void {
    const t0 = performance.now();
    const tick = () => {
      const due = Math.floor((performance.now() - t0) / this.#intervalMs) + 1;
      while (this.#k < due) this.#probe(this.#k++);
      this.#timer = setTimeout(
        tick,
        Math.max(1, t0 + this.#k * this.#intervalMs - performance.now()),
      );
    };
    tick();
  }

  /** Stops starting handshakes and waits for those under way. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    await Promise.all(this.#inFlight);
  }

  /** Counts of one period (zeros when nothing was probed in it). */
  counts(period: string): FleetHandshakes {
    return { ...(this.#counts.get(period) ?? emptyCounts()) };
  }

  total(): FleetHandshakes {
    const total = emptyCounts();
    for (const c of this.#counts.values()) {
      for (const key of Object.keys(total) as (keyof Counts)[]) {
        if (key === 'errors') {
          for (const [code, n] of Object.entries(c.errors)) bump(total.errors, code, n);
        } else {
          total[key] += c[key];
        }
      }
    }
    return total;
  }

  #probe(k: number): void {
    const period = this.#periodOf();
    let counts = this.#counts.get(period);
    if (!counts) {
      counts = emptyCounts();
      this.#counts.set(period, counts);
    }
    if (this.#inFlight.size >= MAX_IN_FLIGHT) {
      counts.skipped++;
      return;
    }
    counts.attempted++;
    const port = this.#ports[k % this.#ports.length]!;
    const certificate =
      this.#certificates[Math.floor(k / this.#ports.length) % this.#certificates.length]!;
    const c = counts;
    const run = this.#check(port, certificate, c).finally(() => this.#inFlight.delete(run));
    this.#inFlight.add(run);
  }

  async #check(port: number, expected: ProbeCertificate, counts: Counts): Promise<void> {
    const outcome = await handshakeAsync({
      port,
      servername: expected.servername,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
      ca: this.#rootPem,
      peer: true,
    });
    if (!outcome.ok) {
      counts.failed++;
      bump(counts.errors, outcome.error);
      return;
    }
    counts.succeeded++;
    if (!outcome.peerDer || !Buffer.from(expected.der).equals(outcome.peerDer)) {
      counts.wrongCertificate++;
    }
    if (!outcome.staple) {
      counts.missingStaple++;
      return;
    }
    try {
      const verified = await verifyResponse(new Uint8Array(outcome.staple), {
        certificate: expected.der,
        issuer: this.#issuer,
      });
      if (verified.certStatus === 'good') counts.stapled++;
      else {
        counts.badStaple++;
        bump(counts.errors, `STAPLE_${verified.certStatus.toUpperCase()}`);
      }
    } catch (error) {
      counts.badStaple++;
      bump(counts.errors, (error as { code?: string }).code ?? 'STAPLE_INVALID');
    }
  }
}
