/** Counters the kernel keeps that say whether the bench itself was the bottleneck. */
import { readFileSync } from 'node:fs';

/**
 * TcpExt ListenOverflows from /proc/net/netstat: SYNs or connections dropped because a listen
 * queue was full (system-wide, this network namespace). NaN when unreadable.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      if (names[0] !== 'TcpExt:') continue;
      const at = names.indexOf('ListenOverflows');
      return at < 0 ? Number.NaN : Number(values[at]);
    }
  } catch {
    // not Linux
  }
  return Number.NaN;
}
