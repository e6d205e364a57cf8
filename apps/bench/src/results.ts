/**
 * The shapes of `.reports/bench-<name>.json`, written by herd.ts, fleet.ts and memory.ts, for
 * whatever renders the report. Times are milliseconds, sizes bytes, unless a name says
 * otherwise. Types only: importing this module runs nothing.
 */

export type BenchName = 'herd' | 'fleet' | 'memory';

/** Where and how a bench ran. */
export interface BenchMeta {
  readonly name: BenchName;
  /** ISO time the bench started. */
  readonly startedAt: string;
  /** Wall time of the whole bench, setup included. */
  readonly durationMs: number;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  /** os.loadavg() when the report was written: other work on the machine shows here. */
  readonly loadAverage: readonly [number, number, number];
  /** Server and load client were pinned to different cores (taskset). */
  readonly pinned: boolean;
  /** How our TypeScript sources were loaded in the processes under test. */
  readonly loader: 'tsx';
}

export interface Distribution {
  readonly count: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

// ---------------------------------------------------------------------------------------------
// herd.ts: 1,000 handshakes at once on a server whose stapler starts cold.

/** One burst of handshakes started at once against one server process. */
export interface HerdBurst {
  readonly connections: number;
  readonly completed: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Handshakes that carried a staple. */
  readonly stapled: number;
  /** Per certificate label (`rsa`, `ecdsa`): handshakes served and stapled. */
  readonly byCertificate: Readonly<Record<string, { served: number; stapled: number }>>;
  /** tls.connect() call → secureConnect, per handshake. */
  readonly latencyMs: Distribution;
  /** Start of the burst → secureConnect (when each handshake finished). */
  readonly sinceStartMs: Distribution;
  /** How long the client took to issue all the tls.connect() calls. */
  readonly issueMs: number;
  /** Start of the burst → last handshake finished. */
  readonly durationMs: number;
  /** Start of the burst → first handshake with a staple finished (null: none had one). */
  readonly firstStapledMs: number | null;
  /** Start of the burst → last handshake without a staple finished (null: all had one). */
  readonly lastUnstapledMs: number | null;
  /** Increase of the kernel's TcpExt ListenOverflows over the burst (system-wide counter). */
  readonly listenOverflows: number;
}

export interface HerdRound {
  readonly round: number;
  /** Which server went first this round (rounds alternate). */
  readonly order: readonly ('cold' | 'warm')[];
  /** A fresh server process, stapler empty: the burst starts as soon as it listens. */
  readonly cold: HerdBurst;
  /** The same server again once its staples are in ("the same 1,000 on the warm server"). */
  readonly coldServerAgain: HerdBurst;
  /** A fresh server process that waited for its staples before listening. */
  readonly warm: HerdBurst;
  /** OCSP requests the responder got from the cold server, start to stop, per certificate. */
  readonly coldServerUpstream: Readonly<Record<string, number>>;
  readonly warmServerUpstream: Readonly<Record<string, number>>;
  /** Cold server: listening (burst can start) → its first upstream request came in. */
  readonly coldFirstRequestAfterListenMs: number;
  /** cold.latencyMs.p99 / warm.latencyMs.p99. */
  readonly p99Ratio: number;
  readonly p50Ratio: number;
}

export interface HerdResult {
  readonly meta: BenchMeta;
  readonly config: {
    readonly connections: number;
    readonly rounds: number;
    /** Labels, key types and serials of the server's certificates. */
    readonly certificates: readonly {
      readonly label: string;
      readonly keyType: string;
      readonly serial: string;
    }[];
    /** The testkit responder answers this late (fault `slow`). */
    readonly responderDelayMs: number;
    /** listen() backlog of the server; all connections are started at once (no batching). */
    readonly backlog: number;
    /** Half the clients offer only RSA signature schemes, so both certificates are served. */
    readonly clientMix: string;
    readonly warmupBurst: boolean;
  };
  readonly rounds: readonly HerdRound[];
  readonly summary: {
    /** Medians over rounds. */
    readonly coldP50Ms: number;
    readonly coldP99Ms: number;
    readonly warmP50Ms: number;
    readonly warmP99Ms: number;
    readonly coldServerAgainP99Ms: number;
    /** Median over rounds of cold p99 / warm p99 (fresh processes both). */
    readonly p99Ratio: number;
    readonly p50Ratio: number;
    /** Median over rounds of cold p99 / the same server's second burst p99. */
    readonly p99RatioSameServer: number;
    /** Most upstream requests any certificate caused on one cold server (goal 1). */
    readonly maxUpstreamPerCertificate: number;
    readonly minUpstreamPerCertificate: number;
    /** Median handshakes stapled in the cold burst (the rest came before the response). */
    readonly coldStapled: number;
    /** Every warm-server handshake carried a staple. */
    readonly warmAllStapled: boolean;
    readonly failedHandshakes: number;
    readonly goals: {
      readonly onePerCertificate: boolean;
      readonly p99Within10Percent: boolean;
      readonly noFailedHandshakes: boolean;
    };
  };
}

// ---------------------------------------------------------------------------------------------
// fleet.ts: server processes sharing one redis-server, against the same without a store.

export interface FleetHandshakes {
  readonly attempted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly errors: Readonly<Record<string, number>>;
  /** Handshakes with a staple that verified (signature, CertID of the served certificate, times). */
  readonly stapled: number;
  /** Handshakes without a staple. */
  readonly missingStaple: number;
  /** A staple that did not verify or was not `good`. */
  readonly badStaple: number;
  /** The certificate served was not the one for the SNI name. */
  readonly wrongCertificate: number;
  /** Handshakes skipped because too many were in flight (load client bound). */
  readonly skipped: number;
}

export type FleetPeriodName = 'startup' | 'steady' | 'outage' | 'recovery';

export interface FleetPeriod {
  readonly name: FleetPeriodName;
  /** From the start of the run (the first node spawned). */
  readonly fromMs: number;
  readonly toMs: number;
  /** Upstream requests the responder got in this period. */
  readonly requests: number;
  /** Refresh rounds that began in this period (see FleetRun.rounds). */
  readonly rounds: number;
  /** requests / rounds (per certificate and round: the fleet's cost of one refresh). */
  readonly requestsPerRound: number;
  /** The largest round (requests for one certificate in one round). */
  readonly maxRequestsPerRound: number;
  /** requests / certificates / (duration / window): per nominal window, no clustering. */
  readonly requestsPerCertificatePerWindow: number;
  readonly handshakes: FleetHandshakes;
}

export interface FleetNodeReport {
  readonly node: number;
  /** Requests this node made to the responder (stapler status, summed over certificates). */
  readonly fetches: number;
  /** Responses this node took from Redis instead. */
  readonly storeHits: number;
  readonly failures: number;
  readonly handshakes: number;
  /** Its log lines by `level: message` (e.g. the store-unavailable warnings of the outage). */
  readonly logs: Readonly<Record<string, number>>;
}

export interface FleetRun {
  readonly store: 'redis' | 'none';
  readonly nodes: number;
  readonly certificates: number;
  readonly periods: readonly FleetPeriod[];
  readonly totalRequests: number;
  /** The nodes' own count of their upstream requests (should equal totalRequests). */
  readonly nodeFetches: number;
  /**
   * A round: for one certificate, the requests within half a window of the round's first one
   * (the nodes refreshing that response). Rounds per certificate over the run.
   */
  readonly rounds: number;
  readonly nodeReports: readonly FleetNodeReport[];
  readonly handshakes: FleetHandshakes;
  /** Per certificate (c0, c1, ...): when the responder got each request, ms from the start. */
  readonly requestTimes: Readonly<Record<string, readonly number[]>>;
}

export interface FleetResult {
  readonly meta: BenchMeta;
  readonly config: {
    readonly nodes: number;
    readonly certificates: number;
    /** Responder validity (nextUpdate − thisUpdate), seconds. */
    readonly validitySeconds: number;
    /** Refresh window: half the validity (the stapler's default refresh point). */
    readonly windowMs: number;
    readonly refresh: { readonly stopBeforeMs: number; readonly minDelayMs: number };
    readonly retry: { readonly initialMs: number; readonly maxMs: number };
    readonly lockPollMs: number;
    /** Handshakes per second the load client offers, spread over every node and certificate. */
    readonly handshakeRate: number;
    readonly steadyMs: number;
    readonly outageMs: number;
    readonly recoveryMs: number;
    readonly unsharedMs: number;
    readonly redisKill: 'SIGKILL';
  };
  readonly shared: FleetRun;
  readonly unshared: FleetRun;
  readonly summary: {
    /** Shared store, steady period: upstream requests per certificate per refresh round. */
    readonly sharedRequestsPerRound: number;
    readonly sharedMaxRequestsPerRound: number;
    /** Startup: requests for the whole fleet's first staples (goal: one per certificate). */
    readonly sharedStartupRequests: number;
    readonly unsharedRequestsPerRound: number;
    readonly unsharedStartupRequests: number;
    /** unshared / shared requests per round. */
    readonly reduction: number;
    readonly outage: {
      readonly failedHandshakes: number;
      readonly missingStaples: number;
      readonly badStaples: number;
      readonly handshakes: number;
      readonly requestsPerRound: number;
    };
    readonly recoveryRequestsPerRound: number;
    readonly failedHandshakes: number;
    readonly missingStaples: number;
    readonly goals: {
      readonly oneRequestPerCertificatePerWindow: boolean;
      readonly noFailedHandshakes: boolean;
      readonly noMissingStaples: boolean;
    };
  };
}

// ---------------------------------------------------------------------------------------------
// memory.ts: resident memory with 1,000 stapled certificates; per-handshake retention.

export interface MemorySample {
  /** Handshakes served so far by this server. */
  readonly handshakes: number;
  /** Since the first sample. */
  readonly atMs: number;
  /** After full GCs (--expose-gc). */
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface MemoryResult {
  readonly meta: BenchMeta;
  readonly config: {
    readonly certificates: number;
    readonly keyType: string;
    readonly handshakes: number;
    readonly sampleEvery: number;
    readonly concurrency: number;
    readonly timeBoundSeconds: number;
  };
  readonly resident: {
    /** Same certificates, same code, listening; separate processes, measured after GC. */
    readonly stapled: MemorySample & { readonly stapling: number };
    readonly plain: MemorySample;
    /** stapled / plain. */
    readonly ratio: { readonly rss: number; readonly heapUsed: number };
    /** (stapled − plain) / certificates. */
    readonly perCertificateBytes: {
      readonly rss: number;
      readonly heapUsed: number;
      readonly external: number;
    };
  };
  readonly perHandshake: {
    readonly target: number;
    readonly done: number;
    readonly hitTimeBound: boolean;
    readonly elapsedMs: number;
    readonly handshakesPerSecond: number;
    readonly failed: number;
    readonly stapled: number;
    readonly wrongCertificate: number;
    /** Before any handshake, then after each `sampleEvery`. */
    readonly samples: readonly MemorySample[];
    /** Least-squares slope over the samples after the first chunk (warm-up excluded). */
    readonly slopeBytesPerHandshake: { readonly heapUsed: number; readonly rss: number };
    /** Last sample − the one after the first chunk. */
    readonly growthBytes: { readonly heapUsed: number; readonly rss: number };
    /** Whether memory grows with handshakes, by the thresholds below. */
    readonly grows: boolean;
    readonly thresholds: {
      readonly heapSlopeBytesPerHandshake: number;
      readonly heapGrowthBytes: number;
      readonly rssGrowthBytes: number;
    };
  };
}
