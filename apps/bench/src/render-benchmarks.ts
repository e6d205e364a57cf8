/**
 * BENCHMARKS.md from the JSON files the benchmarks wrote to .reports/: the machine, then one
 * table per question the issues asked, ratios first. A missing file becomes a line saying the
 * benchmark did not run, never a stale figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  BenchServerReport,
  HandshakeCpuCell,
} from '../../../packages/server/bench/results.js';
import type { FleetResult, HerdResult, MemoryResult } from './results.js';

interface CodecSummaryRow {
  readonly id: string;
  readonly ratio: { readonly ocsp?: number; readonly pkijs?: number };
}
interface CodecReport {
  readonly summary: { readonly decode: CodecSummaryRow[]; readonly verify: CodecSummaryRow[] };
  readonly environment?: { readonly versions?: Record<string, string> };
}
interface ClientHelloReport {
  readonly rows: { name: string; ours: number; baseline: number; ratio: number }[];
}
interface OcspClientReport {
  readonly count: number;
  readonly two: { ours: number; bare: number; ratio: number };
  readonly all: { ours: number; bare: number; ratio: number };
  readonly perCert: number;
  readonly perDer: number;
}

export function renderBenchmarks(reports: string, run: { minutes: number }): string {
  const read = <T>(name: string): T | undefined => {
    const file = join(reports, `bench-${name}.json`);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
  };
  const server = read<BenchServerReport>('server');
  const herd = read<HerdResult>('herd');
  const fleet = read<FleetResult>('fleet');
  const memory = read<MemoryResult>('memory');
  const codec = read<CodecReport>('ocsp-codec');
  const hello = read<ClientHelloReport>('client-hello');
  const client = read<OcspClientReport>('ocsp-client');

  const out: string[] = [];
  out.push('# Benchmarks', '');
  out.push(
    'Written by `pnpm bench` (`npx -y pnpm@10.34.9 bench`); regenerate it rather than edit it.',
    'Every ratio compares figures measured side by side in this one run (interleaved rounds,',
    'medians); absolute times on a shared 2-core machine are noise, ratios much less so.',
    '',
  );
  out.push(...machine(server, herd, run.minutes), '');
  out.push(...handshakes(server), '');
  out.push(...profile(server), '');
  out.push(...cluster(server), '');
  out.push(...herdSection(herd), '');
  out.push(...fleetSection(fleet), '');
  out.push(...memorySection(memory), '');
  out.push(...packages(codec, hello, client), '');
  const warnings = server?.warnings ?? [];
  if (warnings.length > 0) {
    out.push('## Warnings from the handshake bench', '');
    for (const w of warnings) out.push(`- ${w}`);
    out.push('');
  }
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function machine(
  server: BenchServerReport | undefined,
  herd: HerdResult | undefined,
  minutes: number,
): string[] {
  const env = server?.environment;
  const meta = herd?.meta;
  const lines = ['## Machine', ''];
  lines.push(`- Date: ${server?.date ?? meta?.startedAt ?? new Date().toISOString()}`);
  if (env) {
    lines.push(`- CPU: ${env.cpu}, ${env.cores} cores; kernel ${env.kernel}`);
    lines.push(`- Node ${env.node} (OpenSSL ${env.openssl}, V8 ${env.v8})`);
    lines.push(
      `- Pinned: ${env.pinned ? 'server and load client on different cores (taskset)' : 'no'}`,
    );
  } else if (meta) {
    lines.push(`- CPU: ${meta.cpuModel}, ${meta.cpus} cores; Node ${meta.node}`);
  }
  if (server?.nginx?.version) {
    lines.push(`- nginx ${server.nginx.version} (${server.nginx.openssl ?? 'OpenSSL ?'})`);
  }
  lines.push(`- Whole run: ${minutes.toFixed(1)} minutes`);
  return lines;
}

const ratio = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `${value.toFixed(2)}x`;
const us = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `${Math.round(value)}`;
const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : value.toFixed(1);
const signedUs = (value: number | null | undefined): string =>
  value === null || value === undefined ? '–' : `${value >= 0 ? '+' : ''}${Math.round(value)}`;

function handshakes(server: BenchServerReport | undefined): string[] {
  const lines = ['## Server CPU per full handshake (issues 5 and 7)', ''];
  if (!server) return [...lines, 'Not run (packages/server bench wrote no report).'];
  lines.push(
    'Open loop at a fixed offered rate, no resumption, status_request sent, servers on one core',
    `and the client on the other. Each round is one ${server.settings.secondsPerRun} s run against all the servers`,
    `together: ${server.settings.slice} handshakes to one, then the next, in a new random order every cycle, so a`,
    `change in the machine's speed falls on all alike. ${server.settings.processesPerNodeServer} processes per Node server, summed; nginx one`,
    `worker. ${server.settings.rounds} rounds, medians of per-round ratios.${server.settings.warmupHandshakes ? ` Each Node server process is` : ''}`,
    ...(server.settings.warmupHandshakes
      ? [
          `warmed up with ${server.settings.warmupHandshakes.toLocaleString('en-US')} handshakes first (C client, closed loop): our JIT settles after about 8,000.`,
        ]
      : []),
    '1 = plain `node:tls` (one certificate, no stapling); 2 = ours (`@staple/server`, RSA+ECDSA,',
    'stapling); 3 = nginx (one worker, `ssl_stapling_file`, the certificate of the key under test).',
    "A/A = a server's odd-numbered processes / its even-numbered ones: what identical servers differ by, the noise",
    'floor of these ratios. CPU in µs per handshake. Goal: ours ≤ 1.05 of 1 with one certificate, 2/1 ≤ 1.10 with two.',
    '"ours 1 cert, no hello read" is ours with one certificate and `clientHello: false`: straight to TLS, no ClientHello read in JS.',
    '"deferAccept" columns: ours with `deferAccept: true` (TCP_DEFER_ACCEPT: the kernel hands a connection over once its hello is there).',
    ...(server.settings.serverNodeFlags?.length
      ? [
          `Every Node server process runs with \`${server.settings.serverNodeFlags.join(' ')}\` (see packages/server/README.md: without it, V8's memory reducer put some processes of each server, at random, into a state 20% slower).`,
        ]
      : []),
    '',
    '| TLS | key | rate/s | 1 node:tls | 2 ours | 3 nginx | 2/1 | 2/3 | 3/1 | ours 1 cert/1 | ours 1 cert, no hello read/1 | ours 1 cert, deferAccept/1 | 2 with deferAccept/1 | OCSPRequest/1 | A/A 1 | A/A 2 | added p50 / p99 µs (2 vs 1) |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
  );
  for (const cell of server.handshakeCpu) {
    const row = (mode: string) => cell.rows.find((r) => r.mode === mode);
    const ours = row('ours-rsa-ecdsa');
    lines.push(
      `| ${cell.version} | ${cell.key} | ${cell.rate} | ${us(row('node-tls')?.cpuUsPerHandshake)} | ${us(ours?.cpuUsPerHandshake)} | ${us(row('nginx')?.cpuUsPerHandshake)} | ${ratio(cell.ratios.oursVsNodeTls)} | ${ratio(cell.ratios.oursVsNginx)} | ${ratio(cell.ratios.nginxVsNodeTls)} | ${ratio(cell.ratios.oursSingleVsNodeTls)} | ${ratio(cell.ratios.oursSingleDirectVsNodeTls)} | ${ratio(cell.ratios.oursSingleDeferVsNodeTls ?? null)} | ${ratio(cell.ratios.oursDeferVsNodeTls ?? null)} | ${ratio(cell.ratios.nodeTlsOcspVsNodeTls)} | ${ratio(cell.ratios.nodeTlsAa)} | ${ratio(cell.ratios.oursAa)} | ${signedUs(ours?.addedP50UsVsNodeTls)} / ${signedUs(ours?.addedP99UsVsNodeTls)} |`,
    );
  }
  lines.push('', ...cleanRounds(server.handshakeCpu));
  const probe = server.nginx?.dualCertificateProbe ?? [];
  if (probe.length > 0) {
    const wrong = probe.filter((p) => !p.stapleMatchesServed);
    lines.push(
      '',
      `nginx with both certificates and one \`ssl_stapling_file\`: ${wrong.length} of ${probe.length} client kinds got a staple for another certificate than the one served (${wrong.map((p) => `${p.clientKey} ${p.version}`).join(', ') || 'none'}); hence one certificate per nginx run above.`,
    );
  }
  return lines;
}

function cleanRounds(cells: readonly HandshakeCpuCell[]): string[] {
  const parts = cells.map(
    (c) => `${c.version} ${c.key}: ${c.rounds.clean} clean of ${c.rounds.run} run`,
  );
  return [`Rounds without foreign load on the cores: ${parts.join('; ')}.`];
}

function profile(server: BenchServerReport | undefined): string[] {
  const profiles = server?.profiles;
  const lines = ['## Where the server time goes', ''];
  if (!profiles || profiles.byOrigin.length === 0) return [...lines, 'No perf profile this run.'];
  const modes = profiles.servers.map((s) => s.mode);
  lines.push(
    `perf samples of each server (${profiles.version}, ${profiles.key}, ${profiles.rate}/s), µs per handshake by where the code lives (profilers running, so above the table).`,
    '',
    `| origin | ${modes.join(' | ')} |`,
    `| --- | ${modes.map(() => '--:').join(' | ')} |`,
  );
  for (const row of profiles.byOrigin) {
    lines.push(`| ${row.origin} | ${modes.map((m) => us(row.usPerHandshake[m])).join(' | ')} |`);
  }
  const ours = profiles.servers.find((s) => s.mode === 'ours-rsa-ecdsa');
  const top = ours?.v8?.topOurs.slice(0, 6) ?? [];
  if (top.length > 0) {
    lines.push('', 'Our own functions with the most self time (V8 profile of ours):', '');
    for (const t of top) {
      lines.push(
        `- \`${t.function}\` (${t.location}): ${t.usPerHandshake.toFixed(1)} µs/handshake`,
      );
    }
  }
  return lines;
}

function cluster(server: BenchServerReport | undefined): string[] {
  const c = server?.cluster;
  const lines = ['## Whole machine: node:cluster against nginx workers', ''];
  if (!c) return [...lines, 'Not run this time (BENCH_CLUSTER=0, or no C compiler / libssl-dev).'];
  lines.push(
    `${c.workers} server processes (one per core), ${c.version} ${c.key}, closed-loop C load client (${c.client.processes} processes, ${c.client.concurrency} connections) on the same machine, ${c.rounds} rounds of ${c.secondsPerRun} s.`,
    '',
    '| server | handshakes/s | server cores | client cores | client share of CPU | server µs/hs | if the client were free |',
    '| --- | --: | --: | --: | --: | --: | --: |',
  );
  for (const r of c.rows) {
    lines.push(
      `| ${r.label} | ${Math.round(r.handshakesPerSecond)} | ${r.serverCores.toFixed(2)} | ${r.clientCores.toFixed(2)} | ${Math.round(r.clientShare * 100)}% | ${us(r.serverCpuUsPerHandshake)} | ≤ ${Math.round(r.serverOnlyEstimate)} |`,
    );
  }
  lines.push(
    '',
    `Ours / node:tls cluster: ${ratio(c.ratios.oursVsNodeTls)}; ours / nginx: ${ratio(c.ratios.oursVsNginx)}. The load client shares the two cores, so these are client-bound figures.`,
  );
  return lines;
}

function herdSection(herd: HerdResult | undefined): string[] {
  const lines = ['## Cold start: a herd on an empty stapler', ''];
  if (!herd) return [...lines, 'Not run (apps/bench herd wrote no report).'];
  const s = herd.summary;
  lines.push(
    `${herd.config.connections} handshakes started at once on a server whose stapler is cold (responder answering after ${herd.config.responderDelayMs} ms), against a fresh server that waited for its staples; ${herd.config.rounds} rounds, medians.`,
    '',
    '| measure | cold | warm | goal |',
    '| --- | --: | --: | --- |',
    `| upstream OCSP requests per certificate | ${s.minUpstreamPerCertificate}–${s.maxUpstreamPerCertificate} | – | 1 ${s.goals.onePerCertificate ? '✓' : '✗'} |`,
    `| handshake p50 ms | ${ms(s.coldP50Ms)} | ${ms(s.warmP50Ms)} | |`,
    `| handshake p99 ms | ${ms(s.coldP99Ms)} | ${ms(s.warmP99Ms)} | cold/warm ${ratio(s.p99Ratio)} ≤ 1.10 ${s.goals.p99Within10Percent ? '✓' : '✗'} |`,
    `| stapled in the burst | ${s.coldStapled} of ${herd.config.connections} | ${s.warmAllStapled ? 'all' : 'not all'} | |`,
    `| failed handshakes | ${s.failedHandshakes} | | 0 ${s.goals.noFailedHandshakes ? '✓' : '✗'} |`,
    '',
    `The same cold server's second burst, p99 ${ms(s.coldServerAgainP99Ms)} ms (cold/again ${ratio(s.p99RatioSameServer)}).`,
  );
  return lines;
}

function fleetSection(fleet: FleetResult | undefined): string[] {
  const lines = ['## The fleet: servers sharing one Redis', ''];
  if (!fleet) return [...lines, 'Not run (apps/bench fleet wrote no report).'];
  const c = fleet.config;
  const s = fleet.summary;
  lines.push(
    `${c.nodes} server processes, ${c.certificates} certificates, responses valid ${c.validitySeconds} s (a refresh window of ${(c.windowMs / 1000).toFixed(0)} s), a load client checking every handshake's staple at ${c.handshakeRate}/s; the same fleet without a store in the same run. Redis killed (${c.redisKill}) for ${(c.outageMs / 1000).toFixed(0)} s.`,
    '',
    '| measure | shared Redis | no store | goal |',
    '| --- | --: | --: | --- |',
    `| startup requests (whole fleet) | ${s.sharedStartupRequests} | ${s.unsharedStartupRequests} | ${c.certificates} |`,
    `| requests per certificate per refresh | ${s.sharedRequestsPerRound.toFixed(2)} (max ${s.sharedMaxRequestsPerRound}) | ${s.unsharedRequestsPerRound.toFixed(2)} | 1 ${s.goals.oneRequestPerCertificatePerWindow ? '✓' : '✗'} |`,
    `| reduction | ${ratio(s.reduction)} | | ${c.nodes}x |`,
    `| during the Redis outage: requests per refresh | ${s.outage.requestsPerRound.toFixed(2)} | | each node for itself |`,
    `| during the outage: failed handshakes / missing staples (of ${s.outage.handshakes}) | ${s.outage.failedHandshakes} / ${s.outage.missingStaples} | | 0 / 0 |`,
    `| after Redis is back: requests per refresh | ${s.recoveryRequestsPerRound.toFixed(2)} | | 1 |`,
    `| whole run: failed handshakes / missing staples | ${s.failedHandshakes} / ${s.missingStaples} | | 0 / 0 ${s.goals.noFailedHandshakes && s.goals.noMissingStaples ? '✓' : '✗'} |`,
  );
  return lines;
}

function memorySection(memory: MemoryResult | undefined): string[] {
  const lines = ['## Memory', ''];
  if (!memory) return [...lines, 'Not run (apps/bench memory wrote no report).'];
  const r = memory.resident;
  const p = memory.perHandshake;
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  lines.push(
    `A server with ${memory.config.certificates} ${memory.config.keyType} certificates (distinct names), after GC, in separate processes:`,
    '',
    '| | stapling | no stapling | ratio | per certificate |',
    '| --- | --: | --: | --: | --: |',
    `| RSS | ${mib(r.stapled.rss)} | ${mib(r.plain.rss)} | ${ratio(r.ratio.rss)} | ${(r.perCertificateBytes.rss / 1024).toFixed(1)} KiB |`,
    `| heap used | ${mib(r.stapled.heapUsed)} | ${mib(r.plain.heapUsed)} | ${ratio(r.ratio.heapUsed)} | ${(r.perCertificateBytes.heapUsed / 1024).toFixed(1)} KiB |`,
    '',
    `Per handshake: ${p.done.toLocaleString('en')} of ${p.target.toLocaleString('en')} handshakes${p.hitTimeBound ? ' (the time bound stopped it)' : ''} at ${Math.round(p.handshakesPerSecond)}/s, ${p.failed} failed; after GC the heap moved ${signedBytes(p.slopeBytesPerHandshake.heapUsed)} and RSS ${signedBytes(p.slopeBytesPerHandshake.rss)} per handshake (growth ${mib(p.growthBytes.heapUsed)} heap, ${mib(p.growthBytes.rss)} RSS): ${p.grows ? '**grows**' : 'no growth'}.`,
  );
  return lines;
}

function signedBytes(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)} B`;
}

function geomean(values: readonly number[]): number | undefined {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0);
  if (ok.length === 0) return undefined;
  return Math.exp(ok.reduce((sum, v) => sum + Math.log(v), 0) / ok.length);
}

function packages(
  codec: CodecReport | undefined,
  hello: ClientHelloReport | undefined,
  client: OcspClientReport | undefined,
): string[] {
  const lines = [
    '## Packages',
    '',
    'Ratios are ours / baseline in operations per second (above 1: we are faster).',
    '',
  ];
  if (codec) {
    const g = (rows: CodecSummaryRow[], k: 'ocsp' | 'pkijs') =>
      ratio(geomean(rows.map((r) => r.ratio[k] ?? Number.NaN)));
    const ocspVersion = codec.environment?.versions?.['ocsp'] ?? '?';
    lines.push(
      `- ocsp-codec, geometric means over ${codec.summary.decode.length} responses: decode vs npm \`ocsp\` ${ocspVersion} ${g(codec.summary.decode, 'ocsp')}, vs bare pkijs ${g(codec.summary.decode, 'pkijs')}; decode+verify vs \`ocsp\` ${g(codec.summary.verify, 'ocsp')}, vs pkijs ${g(codec.summary.verify, 'pkijs')}.`,
    );
  } else lines.push('- ocsp-codec: not run.');
  if (hello) {
    for (const row of hello.rows) {
      // The bench's baselines: a Buffer.from copy of the same bytes (the least any reader does),
      // and for selection the parse itself.
      const base = row.name.includes('select') ? 'a parse' : 'a `Buffer.from` copy of the bytes';
      lines.push(
        `- client-hello: ${row.name}: ${Math.round(row.ours).toLocaleString('en')}/s, ${ratio(row.ratio)} the rate of ${base}`,
      );
    }
  } else lines.push('- client-hello: not run.');
  if (client) {
    lines.push(
      `- ocsp-client: stapler.get() with 2 certificates ${ratio(client.two.ratio)} of a bare Map lookup; with ${client.count.toLocaleString('en')} certificates ${ratio(client.all.ratio)}; ${Math.round(client.perCert)} B of memory per stapled certificate (its response is ${Math.round(client.perDer)} B).`,
    );
  } else lines.push('- ocsp-client: not run.');
  return lines;
}
