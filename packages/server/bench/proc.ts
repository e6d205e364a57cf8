/**
 * What the handshake bench reads from Linux's /proc: CPU time of processes (with the
 * scheduler's nanosecond counters where the kernel keeps them), per-core busy time, pinning,
 * the CPU model, and process trees. Every reader returns NaN or an empty answer rather than
 * throwing when a process is gone or a file is missing.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';

/** USER_HZ, the unit of utime/stime in /proc/<pid>/stat. */
export const clockTicks = (() => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** taskset (util-linux) works here. */
export const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

export const cores = os.availableParallelism();

/** All cores, as a taskset list: undoes an inherited pinning. */
export const allCpus = `0-${cores - 1}`;

function statFields(path: string): string[] {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may hold spaces: fields after it, from `state` on.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** utime + stime of a process (all threads) from /proc/<pid>/stat, µs, clock-tick resolution. */
export function tickCpuUs(pid: number): number {
  try {
    const fields = statFields(`/proc/${pid}/stat`);
    return ((Number(fields[11]) + Number(fields[12])) / clockTicks) * 1e6;
  } catch {
    return Number.NaN;
  }
}

/**
 * On-CPU time of a process, all its live threads, µs: the scheduler's sum_exec_runtime from
 * /proc/<pid>/task/<tid>/schedstat (ns resolution; the clock getrusage() reads too), or the
 * clock-tick utime+stime where this kernel keeps no schedstat. NaN when the process is gone.
 */
export function processCpuUs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    return ns > 0 ? ns / 1000 : tickCpuUs(pid);
  } catch {
    return Number.NaN;
  }
}

/** Voluntary context switches of a process's main thread (≈ times its event loop slept). */
export function voluntarySwitches(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/voluntary_ctxt_switches:\s*(\d+)/.exec(status)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

export function parentOf(pid: number): number {
  try {
    return Number(statFields(`/proc/${pid}/stat`)[1]);
  } catch {
    return -1;
  }
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
  } catch {
    return '';
  }
}

/** Processes whose parent is `pid`. */
export function childPids(pid: number): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (/^\d+$/.test(name) && parentOf(Number(name)) === pid) found.push(Number(name));
  }
  return found;
}

/** Busy and steal time of each core from /proc/stat, µs (clock-tick resolution). */
export function coreTimes(): { busy: number; steal: number }[] {
  try {
    const times: { busy: number; steal: number }[] = [];
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const match = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!match) continue;
      // user nice system idle iowait irq softirq steal …
      const [user, nice, system, , , irq, softirq, steal] = match[2]!.split(/\s+/).map(Number);
      const tick = 1e6 / clockTicks;
      times[Number(match[1])] = {
        busy: (user! + nice! + system! + irq! + softirq!) * tick,
        steal: steal! * tick,
      };
    }
    return times;
  } catch {
    return [];
  }
}

export function cpusAllowed(pid: number): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1] ?? '?';
  } catch {
    return '?';
  }
}

/** The CPU model, with family/model/stepping when /proc/cpuinfo has them (VMs often trim it). */
export function cpuName(): string {
  const model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1];
    const family = field('cpu family');
    return family
      ? `${model} (family ${family} model ${field('model')} stepping ${field('stepping')})`
      : model;
  } catch {
    return model;
  }
}
