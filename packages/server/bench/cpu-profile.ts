/**
 * Self time by function and by origin from a V8 `.cpuprofile` (what `node --cpu-prof` writes),
 * optionally restricted to a window of CLOCK_MONOTONIC microseconds (the profile's own clock,
 * which process.hrtime also reads).
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export type Origin =
  | 'ours: server'
  | 'ours: client-hello'
  | 'ours: ocsp-client/codec'
  | 'bench harness'
  | 'node (JS)'
  | 'native, called from JS'
  | 'native, no JS on stack (OpenSSL, libuv)'
  | 'garbage collector'
  | 'dependencies'
  | 'idle';

export interface SelfTime {
  readonly function: string;
  readonly location: string;
  readonly origin: Origin;
  readonly ms: number;
  /** Of the busy (non-idle) time in the window. */
  readonly share: number;
}

export interface ProfileSummary {
  /** False when no sample fell in the window and the whole profile was used. */
  readonly windowed: boolean;
  readonly windowMs: number;
  readonly busyMs: number;
  readonly samples: number;
  readonly origins: readonly {
    readonly origin: Origin;
    readonly ms: number;
    readonly share: number;
  }[];
  readonly top: readonly SelfTime[];
  readonly topOurs: readonly SelfTime[];
}

function originOf(node: ProfileNode): Origin {
  const { functionName, url } = node.callFrame;
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)' || functionName === '(root)') {
    return 'native, no JS on stack (OpenSSL, libuv)';
  }
  if (url === '') return 'native, called from JS';
  if (url.startsWith('node:')) return 'node (JS)';
  if (url.includes('/node_modules/')) return 'dependencies';
  if (url.includes('/packages/server/src/') || url.includes('/packages/server/dist/')) {
    return 'ours: server';
  }
  if (url.includes('/packages/client-hello/')) return 'ours: client-hello';
  if (url.includes('/packages/ocsp-client/') || url.includes('/packages/ocsp-codec/')) {
    return 'ours: ocsp-client/codec';
  }
  if (url.includes('/packages/server/bench/')) return 'bench harness';
  return 'dependencies';
}

function locationOf(node: ProfileNode, root: string): string {
  const { url, lineNumber } = node.callFrame;
  if (url === '') return '';
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const short = path.startsWith(root) ? path.slice(root.length) : path;
  return `${short}:${lineNumber + 1}`;
}

/**
 * @param root repository root (with trailing slash), stripped from file locations.
 * @param window [fromUs, toUs] in the profile's clock; samples outside are left out.
 */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
  window?: readonly [number, number],
  topN = 15,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n] as const));
  const times = new Map<number, number>();
  const inWindow = (from: number, to: number) => {
    times.clear();
    let t = profile.startTime;
    let count = 0;
    for (let i = 0; i < profile.samples.length; i++) {
      t += profile.timeDeltas[i] ?? 0;
      if (t < from || t > to) continue;
      // A sample stands for the time until the next one.
      const next = profile.timeDeltas[i + 1] ?? 0;
      const id = profile.samples[i]!;
      times.set(id, (times.get(id) ?? 0) + next);
      count++;
    }
    return count;
  };
  let windowed = false;
  let count = 0;
  if (window) {
    count = inWindow(window[0], window[1]);
    windowed = count > 0;
  }
  if (!windowed) count = inWindow(-Infinity, Infinity);

  const byFunction = new Map<string, { node: ProfileNode; us: number }>();
  const byOrigin = new Map<Origin, number>();
  let busyUs = 0;
  let allUs = 0;
  for (const [id, us] of times) {
    const node = byId.get(id);
    if (!node) continue;
    const origin = originOf(node);
    allUs += us;
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
    if (origin === 'idle') continue;
    busyUs += us;
    const key = `${node.callFrame.functionName}|${node.callFrame.url}|${node.callFrame.lineNumber}`;
    const entry = byFunction.get(key);
    if (entry) entry.us += us;
    else byFunction.set(key, { node, us });
  }
  const rows = [...byFunction.values()]
    .sort((a, b) => b.us - a.us)
    .map(
      ({ node, us }): SelfTime => ({
        function: node.callFrame.functionName || '(anonymous)',
        location: locationOf(node, root),
        origin: originOf(node),
        ms: us / 1000,
        share: busyUs ? us / busyUs : 0,
      }),
    );
  return {
    windowed,
    windowMs: allUs / 1000,
    busyMs: busyUs / 1000,
    samples: count,
    origins: [...byOrigin.entries()]
      .filter(([origin]) => origin !== 'idle')
      .sort((a, b) => b[1] - a[1])
      .map(([origin, us]) => ({ origin, ms: us / 1000, share: busyUs ? us / busyUs : 0 })),
    top: rows.slice(0, topN),
    topOurs: rows.filter((r) => r.origin.startsWith('ours')).slice(0, topN),
  };
}
