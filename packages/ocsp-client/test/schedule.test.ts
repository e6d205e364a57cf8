import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REFRESH,
  DEFAULT_RETRY,
  refreshAt,
  retryDelay,
  serveUntil,
} from '../src/schedule.js';

const H = 3_600_000;
const window = { thisUpdate: 0, nextUpdate: 4 * H, fetchedAt: 0 };

describe('schedule', () => {
  it('refreshes at half the window, jittered earlier by at most 10% of the wait', () => {
    expect(refreshAt(window, DEFAULT_REFRESH, 0, 0)).toBe(2 * H);
    expect(refreshAt(window, DEFAULT_REFRESH, 0, 1)).toBe(2 * H - 0.2 * H);
    for (const r of [0.1, 0.5, 0.9]) {
      const at = refreshAt(window, DEFAULT_REFRESH, 0, r);
      expect(at).toBeLessThanOrEqual(2 * H);
      expect(at).toBeGreaterThanOrEqual(1.8 * H);
    }
  });

  it('takes a shorter max-age, and never refreshes after it stops serving', () => {
    expect(refreshAt({ ...window, maxAgeSeconds: 600 }, DEFAULT_REFRESH, 0, 0)).toBe(600_000);
    const short = { thisUpdate: 0, nextUpdate: 6 * 60_000, fetchedAt: 0 };
    expect(serveUntil(short, DEFAULT_REFRESH)).toBe(60_000);
    expect(refreshAt(short, DEFAULT_REFRESH, 0, 0)).toBe(60_000);
    // A response already past its refresh point (read back after a restart): soon, not never.
    expect(refreshAt(window, DEFAULT_REFRESH, 3 * H, 0)).toBe(3 * H + DEFAULT_REFRESH.minDelayMs);
  });

  it('backs off from 60 s, doubling, capped at 1 h', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50, 5000].map((n) =>
      retryDelay(n, DEFAULT_RETRY, 0, 0),
    );
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, H, H, H, H]);
    expect(retryDelay(1, DEFAULT_RETRY, 0.1, 1)).toBe(54_000);
  });
});
