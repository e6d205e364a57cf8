import type { Timers } from '../src/index.js';

/**
 * A clock and timers that move only when told to, so a test can run hours of refreshes in
 * milliseconds. `advance` fires due timers in order and, after each, waits for `settle` (the
 * stapler's real network work) before looking for the next one.
 */
export function createTestClock(start = Date.now()) {
  let now = start;
  const tasks = new Set<{ at: number; callback: () => void }>();
  const timers: Timers = {
    setTimeout(callback, ms) {
      const task = { at: now + Math.max(0, ms), callback };
      tasks.add(task);
      return task;
    },
    clearTimeout(handle) {
      tasks.delete(handle as { at: number; callback: () => void });
    },
  };
  return {
    now: () => now,
    date: () => new Date(now),
    timers,
    get pending() {
      return tasks.size;
    },
    async advance(ms: number, settle: () => Promise<void> = async () => {}) {
      const target = now + ms;
      await settle();
      for (;;) {
        let next: { at: number; callback: () => void } | undefined;
        for (const task of tasks)
          if (task.at <= target && (!next || task.at < next.at)) next = task;
        if (!next) break;
        tasks.delete(next);
        now = Math.max(now, next.at);
        next.callback();
        await settle();
      }
      now = target;
    },
  };
}
