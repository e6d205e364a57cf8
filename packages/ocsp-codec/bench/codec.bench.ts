// Decode and decode+verify throughput of @staple/ocsp-codec against indutny's `ocsp` 1.2.0 and
// bare pkijs, side by side on the same responses, in one process.
//
// Method: ROUNDS rounds; in each round every (response, operation) group runs its contenders
// one after another for TIME_MS each, in an order rotated per round. A contender's score is
// the median over rounds of its ops/s (runs / total time of the round). Every contender is
// checked once before timing; a verifier that cannot handle a response must fail exactly as
// declared in fixtures.ts, so nothing is skipped silently.
//
// Run: pnpm bench (from packages/ocsp-codec). Writes <repo>/.reports/bench-ocsp-codec.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import {
  ocspDecode,
  ocspRequestFor,
  ocspVerify,
  oursDecode,
  oursVerify,
  pkijsCertificate,
  pkijsDecode,
  pkijsVerify,
} from './contenders.js';
import { type BenchCase, type Lib, loadCases, REPO_ROOT } from './fixtures.js';

const ROUNDS = 7;
const TIME_MS = 300;
/** tinybench's minimum iterations per task and round (it stops once both limits are met). */
const MIN_ITERATIONS = 10;
/** Hard stop for the whole timed part; an aborted run fails the benchmark. */
const BUDGET_MS = 150_000;
const LIBS: readonly Lib[] = ['ours', 'ocsp', 'pkijs'];
const BASELINES = ['ocsp', 'pkijs'] as const;

type Mode = 'decode' | 'verify';

const CALLS: Record<Mode, Record<Lib, string>> = {
  decode: {
    ours: 'decodeResponse(der)',
    ocsp: 'ocsp.utils.parseResponse(buffer)',
    pkijs:
      'asn1js.fromBER + new pkijs.OCSPResponse({schema}), then asn1js.fromBER(responseBytes.response) + new pkijs.BasicOCSPResponse({schema})',
  },
  verify: {
    ours: 'await verifyResponse(der, { certificate, issuer, now, requireNextUpdate }) (certificates parsed once, outside the loop)',
    ocsp: 'ocsp.verify({ request, response: buffer }, cb) as a promise; request = ocsp.request.generate(leafPem, issuerPem), CertID hashes redone with SHA-256 where the response uses it (built once, outside the loop)',
    pkijs:
      'the pkijs decode above + await basic.verify({ trustedCerts: [issuer] }) (issuer parsed once, outside the loop)',
  },
};

interface Contender {
  readonly lib: Lib;
  readonly async: boolean;
  readonly fn: () => unknown;
}

interface Group {
  readonly benchCase: BenchCase;
  readonly mode: Mode;
  readonly contenders: Contender[];
  readonly unsupported: Partial<Record<Lib, string>>;
  readonly opsPerRound: Partial<Record<Lib, number[]>>;
}

// Results are folded into this so no engine can drop the work as dead code.
let sink = 0;

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`bench self-check failed: ${message}`);
}

function stripZeros(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function buildGroups(cases: BenchCase[]): Promise<Group[]> {
  const groups: Group[] = [];
  for (const c of cases) {
    const expectedSerial = stripZeros(c.serial);

    // ---- decode: all three must decode and agree on the status and serial.
    const ours = oursDecode(c.der);
    assert(ours.responseStatus === 'successful', `${c.id}: ours status ${ours.responseStatus}`);
    const oursSingle = ours.basic.responses[0];
    assert(oursSingle?.certStatus === 'good', `${c.id}: ours certStatus`);
    assert(stripZeros(oursSingle.certId.serialNumber) === expectedSerial, `${c.id}: ours serial`);

    const theirs = ocspDecode(c.buffer).value.tbsResponseData.responses[0];
    assert(theirs?.certStatus.type === 'good', `${c.id}: ocsp certStatus`);
    assert(
      stripZeros(theirs.certId.serialNumber.toString(16)) === expectedSerial,
      `${c.id}: ocsp serial`,
    );

    const bare = pkijsDecode(c.der).tbsResponseData.responses[0];
    assert(bare !== undefined, `${c.id}: pkijs has no SingleResponse`);
    assert(
      !bare.certStatus.idBlock.isConstructed && bare.certStatus.idBlock.tagNumber === 0,
      `${c.id}: pkijs certStatus is not good`,
    );
    const bareSerial = Buffer.from(bare.certID.serialNumber.valueBlock.valueHexView).toString(
      'hex',
    );
    assert(stripZeros(bareSerial) === expectedSerial, `${c.id}: pkijs serial`);

    groups.push({
      benchCase: c,
      mode: 'decode',
      unsupported: {},
      opsPerRound: {},
      contenders: [
        { lib: 'ours', async: false, fn: () => (sink ^= oursDecode(c.der).der.length) },
        { lib: 'ocsp', async: false, fn: () => (sink ^= ocspDecode(c.buffer).end) },
        {
          lib: 'pkijs',
          async: false,
          fn: () => (sink ^= pkijsDecode(c.der).tbsResponseData.responses.length),
        },
      ],
    });

    // ---- decode+verify: everything the verifiers need is built here, once.
    const verifyOptions = {
      certificate: c.leaf,
      issuer: c.issuer,
      now: c.now,
      requireNextUpdate: c.requireNextUpdate,
    };
    const request = await ocspRequestFor(c.leafPem, c.issuerPem, c.certIdHash);
    const trusted = [pkijsCertificate(c.issuer.der)];
    const candidates: Record<Lib, Contender> = {
      ours: {
        lib: 'ours',
        async: true,
        fn: async () => {
          sink ^= (await oursVerify(c.der, verifyOptions)).thisUpdate.getTime() & 0xff;
        },
      },
      ocsp: { lib: 'ocsp', async: true, fn: () => ocspVerify(request, c.buffer) },
      pkijs: {
        lib: 'pkijs',
        async: true,
        fn: async () => {
          sink ^= (await pkijsVerify(c.der, trusted)).tbsResponseData.responses.length;
        },
      },
    };

    const verified = await oursVerify(c.der, verifyOptions);
    assert(verified.certStatus === 'good', `${c.id}: ours verify status ${verified.certStatus}`);

    const contenders: Contender[] = [candidates.ours];
    const unsupported: Partial<Record<Lib, string>> = {};
    for (const lib of BASELINES) {
      const declared = c.verifyUnsupported[lib];
      let failure: unknown;
      try {
        await candidates[lib].fn();
      } catch (err) {
        failure = err ?? new Error('rejected without a reason');
      }
      if (declared) {
        assert(failure !== undefined, `${c.id}: ${lib} verify was declared unsupported but passed`);
        assert(
          declared.error.test(errorMessage(failure)),
          `${c.id}: ${lib} verify failed differently than declared: ${errorMessage(failure)}`,
        );
        unsupported[lib] = `${declared.why} (error: ${errorMessage(failure).slice(0, 120)})`;
      } else {
        assert(failure === undefined, `${c.id}: ${lib} verify failed: ${errorMessage(failure)}`);
        contenders.push(candidates[lib]);
      }
    }
    groups.push({ benchCase: c, mode: 'verify', contenders, unsupported, opsPerRound: {} });
  }
  return groups;
}

/** Flips the last byte of the signature: every verifier that handles the response must refuse. */
async function tamperProbes(cases: BenchCase[]): Promise<Record<string, Record<string, string>>> {
  const probes: Record<string, Record<string, string>> = {};
  for (const c of cases) {
    const decoded = oursDecode(c.der);
    assert(decoded.responseStatus === 'successful', `${c.id}: status`);
    const sig = decoded.basic.signature;
    const at = Buffer.from(c.der).indexOf(Buffer.from(sig));
    assert(at > 0, `${c.id}: signature bytes not found`);
    const bad = c.der.slice();
    bad[at + sig.length - 1]! ^= 0x01;
    const badBuffer = Buffer.from(bad);
    const outcome = async (run: () => Promise<unknown>): Promise<string> => {
      try {
        await run();
        return 'ACCEPTED';
      } catch (err) {
        return `rejected: ${errorMessage(err).slice(0, 80)}`;
      }
    };
    const result: Record<string, string> = {
      ours: await outcome(() =>
        oursVerify(bad, {
          certificate: c.leaf,
          issuer: c.issuer,
          now: c.now,
          requireNextUpdate: c.requireNextUpdate,
        }),
      ),
    };
    if (!c.verifyUnsupported.ocsp) {
      const request = await ocspRequestFor(c.leafPem, c.issuerPem, c.certIdHash);
      result['ocsp'] = await outcome(() => ocspVerify(request, badBuffer));
    }
    if (!c.verifyUnsupported.pkijs) {
      result['pkijs'] = await outcome(() => pkijsVerify(bad, [pkijsCertificate(c.issuer.der)]));
    }
    probes[c.id] = result;
  }
  return probes;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

async function runRounds(groups: Group[], deadline: number): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now();
    for (const group of groups) {
      const bench = new Bench({
        name: `${group.benchCase.id} ${group.mode} r${round}`,
        time: TIME_MS,
        iterations: MIN_ITERATIONS,
        // The first round warms every contender up; later rounds start warm.
        warmup: round === 0,
        throws: true,
        // A fresh signal per Bench (tinybench never removes its abort listeners).
        signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
      });
      for (const c of rotate(group.contenders, round)) {
        bench.add(c.lib, c.fn, { async: c.async });
      }
      await bench.run();
      for (const task of bench.tasks) {
        const result = task.result;
        if (result.state !== 'completed') {
          throw new Error(`${bench.name} ${task.name}: ${result.state}`);
        }
        const lib = task.name as Lib;
        group.opsPerRound[lib] ??= [];
        group.opsPerRound[lib].push(1000 / result.period);
      }
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(`round ${round + 1}/${ROUNDS} done in ${seconds} s\n`);
  }
}

function fmtOps(ops: number | undefined): string {
  return ops === undefined ? 'n/a' : Math.round(ops).toLocaleString('en-US');
}

function fmtRatio(ratio: number | undefined): string {
  return ratio === undefined ? 'n/a' : `${ratio.toFixed(2)}×`;
}

interface Row {
  readonly id: string;
  readonly bytes: number;
  readonly median: Partial<Record<Lib, number>>;
  /** (max - min) / median across rounds, per contender. */
  readonly spread: Partial<Record<Lib, number>>;
  readonly ratio: Partial<Record<(typeof BASELINES)[number], number>>;
  /** Median of the per-round ratios (ours and the baseline timed in the same round). */
  readonly ratioPairedMedian: Partial<Record<(typeof BASELINES)[number], number>>;
}

function summarise(groups: Group[], mode: Mode): Row[] {
  return groups
    .filter((g) => g.mode === mode)
    .map((g) => {
      const med: Partial<Record<Lib, number>> = {};
      const spread: Partial<Record<Lib, number>> = {};
      for (const lib of LIBS) {
        const values = g.opsPerRound[lib];
        if (!values?.length) continue;
        med[lib] = median(values);
        spread[lib] = (Math.max(...values) - Math.min(...values)) / med[lib];
      }
      const ratio: Row['ratio'] = {};
      const ratioPairedMedian: Row['ratioPairedMedian'] = {};
      for (const base of BASELINES) {
        const b = med[base];
        if (med.ours === undefined || b === undefined) continue;
        ratio[base] = med.ours / b;
        const ours = g.opsPerRound.ours ?? [];
        const theirs = g.opsPerRound[base] ?? [];
        ratioPairedMedian[base] = median(ours.map((o, i) => o / theirs[i]!));
      }
      return {
        id: g.benchCase.id,
        bytes: g.benchCase.der.length,
        median: med,
        spread,
        ratio,
        ratioPairedMedian,
      };
    });
}

function geomean(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  return Math.exp(values.reduce((s, v) => s + Math.log(v), 0) / values.length);
}

function markdownTable(title: string, rows: Row[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| response | bytes | ours ops/s | ocsp ops/s | pkijs ops/s | ours / ocsp | ours / pkijs |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of rows) {
    const cell = (lib: Lib) => {
      const spread = r.spread[lib];
      return spread === undefined
        ? fmtOps(r.median[lib])
        : `${fmtOps(r.median[lib])} ±${Math.round((spread * 100) / 2)}%`;
    };
    lines.push(
      `| ${r.id} | ${r.bytes} | ${cell('ours')} | ${cell('ocsp')} | ${cell('pkijs')} | ${fmtRatio(r.ratio.ocsp)} | ${fmtRatio(r.ratio.pkijs)} |`,
    );
  }
  const gm = (base: (typeof BASELINES)[number]) =>
    geomean(rows.flatMap((r) => (r.ratio[base] === undefined ? [] : [r.ratio[base]])));
  lines.push(`| **geometric mean** | | | | | ${fmtRatio(gm('ocsp'))} | ${fmtRatio(gm('pkijs'))} |`);
  return lines.join('\n');
}

function packageVersion(name: string): string | undefined {
  for (const base of [join(REPO_ROOT, 'packages/ocsp-codec'), REPO_ROOT]) {
    try {
      const pkg = JSON.parse(
        readFileSync(join(base, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { version?: string };
      return pkg.version;
    } catch {
      // try the next node_modules
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const cases = await loadCases();
  const groups = await buildGroups(cases);
  const probes = await tamperProbes(cases);
  for (const [id, result] of Object.entries(probes)) {
    for (const [lib, outcome] of Object.entries(result)) {
      assert(outcome !== 'ACCEPTED', `${id}: ${lib} accepted a response with a broken signature`);
    }
  }

  process.stderr.write(
    `self-checks passed; timing ${groups.reduce((n, g) => n + g.contenders.length, 0)} tasks × ${ROUNDS} rounds × ${TIME_MS} ms\n`,
  );
  await runRounds(groups, Date.now() + BUDGET_MS);

  const decodeRows = summarise(groups, 'decode');
  const verifyRows = summarise(groups, 'verify');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const header = `Node ${process.version}, ${platform()} ${release()}, ${cpu} (×${cpus().length}); median ops/s of ${ROUNDS} interleaved rounds × ${TIME_MS} ms, ± = half the min–max range across rounds; ratio > 1 means ours is faster.`;
  const notes = groups
    .filter((g) => g.mode === 'verify')
    .flatMap((g) =>
      Object.entries(g.unsupported).map(([lib, why]) => `- ${g.benchCase.id}, ${lib}: ${why}`),
    );

  const markdown = [
    '## @staple/ocsp-codec vs ocsp@1.2.0 vs bare pkijs',
    '',
    header,
    '',
    markdownTable('decode', decodeRows),
    '',
    markdownTable('decode + verify', verifyRows),
    '',
    'Responses:',
    ...cases.map((c) => `- ${c.id}: ${c.source}: ${c.description}`),
    '',
    'Verifiers not run (checked to fail as stated):',
    ...notes,
    '',
    'Tampered-signature probe (last signature byte flipped; every verifier that ran must refuse):',
    ...Object.entries(probes).map(
      ([id, r]) =>
        `- ${id}: ${Object.entries(r)
          .map(
            ([lib, outcome]) => `${lib} ${outcome.startsWith('rejected') ? 'rejected' : outcome}`,
          )
          .join(', ')}`,
    ),
  ].join('\n');
  process.stdout.write(`${markdown}\n`);

  const report = {
    benchmark: '@staple/ocsp-codec decode and verify vs ocsp@1.2.0 vs bare pkijs',
    generatedAt: new Date().toISOString(),
    environment: {
      node: process.version,
      platform: platform(),
      release: release(),
      cpu,
      cpuCount: cpus().length,
      versions: {
        ocsp: packageVersion('ocsp'),
        pkijs: packageVersion('pkijs'),
        asn1js: packageVersion('asn1js'),
        tinybench: packageVersion('tinybench'),
      },
    },
    method: {
      rounds: ROUNDS,
      timePerTaskMs: TIME_MS,
      minIterationsPerTask: MIN_ITERATIONS,
      score:
        'median over rounds of ops/s, where ops/s of a round = 1000 / tinybench result.period (runs / total time)',
      interleaving:
        'each round runs every (response, operation) group; contender order rotates per round',
      warmup: 'tinybench warmup in round 1 only',
    },
    calls: CALLS,
    cases: cases.map((c) => ({
      id: c.id,
      source: c.source,
      description: c.description,
      bytes: c.der.length,
      verifyAt: c.now.toISOString(),
      requireNextUpdate: c.requireNextUpdate,
    })),
    results: groups.map((g) => ({
      case: g.benchCase.id,
      mode: g.mode,
      opsPerRound: g.opsPerRound,
      unsupported: g.unsupported,
    })),
    summary: { decode: decodeRows, verify: verifyRows },
    tamperProbes: probes,
    elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
    sink,
  };
  const dir = join(REPO_ROOT, '.reports');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bench-ocsp-codec.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stderr.write(`wrote ${file} (${report.elapsedSeconds} s)\n`);
}

await main();
