/**
 * Native-side view of a server's CPU time with Linux `perf` (when installed and permitted):
 * V8's `--cpu-prof` cannot see OpenSSL working in libuv's poll phase (it counts it as idle),
 * perf samples every thread of the process by CPU time, whatever runs. JIT'd JavaScript is
 * named through the `/tmp/perf-<pid>.map` that `--perf-basic-prof-only-functions` writes.
 * Also used on nginx's worker (libssl/libcrypto and nginx's own code).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

export type NativeOrigin =
  | 'ours: server (JS)'
  | 'ours: client-hello (JS)'
  | 'ours: other packages (JS)'
  | 'node internals (JS)'
  | 'other JS'
  | 'V8 builtins'
  | 'V8 runtime, GC, compiler'
  | 'node C++'
  | 'libuv'
  | 'OpenSSL and other C'
  | 'nginx (C)'
  | 'libc, libstdc++'
  | 'kernel (TCP, syscalls)'
  | 'unknown';

export interface NativeSymbol {
  readonly symbol: string;
  readonly dso: string;
  readonly origin: NativeOrigin;
  readonly share: number;
}

export interface NativeSummary {
  readonly origins: readonly { readonly origin: NativeOrigin; readonly share: number }[];
  readonly top: readonly NativeSymbol[];
  /** Every symbol, for comparisons (not written to the report). */
  readonly all: readonly NativeSymbol[];
}

/** True when `perf record` can sample a process of ours here. */
export function perfAvailable(): boolean {
  const probe = spawnSync('perf', ['record', '-q', '-o', '/dev/null', '--', 'true'], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return probe.status === 0;
}

/** Starts sampling `pid` (all its threads) by CPU clock; stop it with SIGINT. */
export function startPerf(pid: number, file: string): ChildProcess {
  return spawn('perf', ['record', '-q', '-F', '1999', '-p', String(pid), '-o', file], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function jsOrigin(symbol: string): NativeOrigin {
  if (symbol.includes('/packages/server/src/') || symbol.includes('/packages/server/dist/')) {
    return 'ours: server (JS)';
  }
  if (symbol.includes('/packages/client-hello/')) return 'ours: client-hello (JS)';
  if (symbol.includes('/packages/')) return 'ours: other packages (JS)';
  if (symbol.includes(' node:')) return 'node internals (JS)';
  return 'other JS';
}

function originOf(dso: string, symbol: string): NativeOrigin {
  if (dso.startsWith('[kernel')) return 'kernel (TCP, syscalls)';
  if (/^(JS|LazyCompile|Function|InterpretedFunction|Script):/.test(symbol)) {
    return jsOrigin(symbol);
  }
  if (/^(Builtin:|Builtins_|BytecodeHandler:|Bytecodes?_)/.test(symbol)) return 'V8 builtins';
  if (/^(RegExp|Stub|Handler):/.test(symbol)) return 'V8 builtins';
  if (/perf-\d+\.map|^\[JIT\]/.test(dso)) return 'other JS';
  if (dso.startsWith('libssl') || dso.startsWith('libcrypto')) return 'OpenSSL and other C';
  if (dso === 'nginx') return 'nginx (C)';
  if (dso.startsWith('libc') || dso.startsWith('libstdc++') || dso.startsWith('libm')) {
    return 'libc, libstdc++';
  }
  if (dso === '[unknown]' || symbol.startsWith('0x')) return 'unknown';
  if (/\bv8::|^v8_|cppgc::|heap::base::/.test(symbol)) return 'V8 runtime, GC, compiler';
  if (/\bnode::/.test(symbol)) return 'node C++';
  if (/^uv_|^uv__/.test(symbol)) return 'libuv';
  // node links OpenSSL statically: what is left in its binary is mostly OpenSSL.
  if (dso === 'node') return 'OpenSSL and other C';
  return 'unknown';
}

/** Self time by symbol and by origin, as shares of all samples. */
export function perfReport(file: string, topN = 20): NativeSummary {
  const report = spawnSync(
    'perf',
    ['report', '-i', file, '--no-children', '--sort', 'dso,sym', '--stdio', '-q'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
  );
  if (report.status !== 0) {
    throw new Error(`perf report failed: ${report.stderr || report.error?.message}`);
  }
  const rows: NativeSymbol[] = [];
  for (const line of report.stdout.split('\n')) {
    // `  12.34%  node  [.] ecp_nistz256_mul_mont`, `0.31%  [JIT] tid 15222  [.] JS:*Socket node:net:359:16`
    const match = /^\s*([\d.]+)%\s+(\[JIT\] tid \d+|\S+)\s+\[(.)\]\s+(.*?)\s*$/.exec(line);
    if (!match) continue;
    const dso = match[2]!;
    const symbol = match[4]!;
    rows.push({ symbol, dso, origin: originOf(dso, symbol), share: Number(match[1]) / 100 });
  }
  if (rows.length === 0) throw new Error('perf report: no samples');
  const byOrigin = new Map<NativeOrigin, number>();
  for (const r of rows) byOrigin.set(r.origin, (byOrigin.get(r.origin) ?? 0) + r.share);
  return {
    origins: [...byOrigin.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([origin, share]) => ({ origin, share })),
    top: rows.sort((a, b) => b.share - a.share).slice(0, topN),
    all: rows,
  };
}
