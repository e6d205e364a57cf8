import { describe, expect, it } from 'vitest';
import {
  DEFAULT_REFRESH,
  DEFAULT_RETRY,
  isStale,
  refreshAt,
  retryDelay,
  serveUntil,
  stopBefore,
} from '../src/schedule.js';

const S = 1_000;
const MIN = 60_000;
const H = 3_600_000;
const window = { thisUpdate: 0, nextUpdate: 4 * H, fetchedAt: 0 };
const span = (ms: number) => ({ thisUpdate: 0, nextUpdate: ms, fetchedAt: 0 });

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
    const late = { ...DEFAULT_REFRESH, fraction: 0.95 };
    expect(serveUntil(span(H), late)).toBe(55 * MIN);
    expect(refreshAt(span(H), late, 0, 0)).toBe(55 * MIN);
    // A response already past its refresh point (read back after a restart): soon, not never.
    expect(refreshAt(window, DEFAULT_REFRESH, 3 * H, 0)).toBe(3 * H + DEFAULT_REFRESH.minDelayMs);
  });

  it('stops serving 5 min before nextUpdate, or 10% of a shorter window before it', () => {
    expect(stopBefore(span(4 * H), DEFAULT_REFRESH)).toBe(5 * MIN);
    expect(stopBefore(span(H), DEFAULT_REFRESH)).toBe(5 * MIN);
    expect(stopBefore(span(50 * MIN), DEFAULT_REFRESH)).toBe(5 * MIN);
    expect(stopBefore(span(6 * MIN), DEFAULT_REFRESH)).toBe(36 * S);
    expect(stopBefore(span(120 * S), DEFAULT_REFRESH)).toBe(12 * S);
    expect(stopBefore(span(20 * S), DEFAULT_REFRESH)).toBe(2 * S);
    // A 6-minute window: served until 5:24, refreshed at 3:00.
    expect(serveUntil(span(6 * MIN), DEFAULT_REFRESH)).toBe(324 * S);
    expect(refreshAt(span(6 * MIN), DEFAULT_REFRESH, 0, 0)).toBe(3 * MIN);
    // A 2-minute window: served until 1:48, refreshed at 1:00 (0:54 with the most jitter).
    expect(serveUntil(span(120 * S), DEFAULT_REFRESH)).toBe(108 * S);
    expect(refreshAt(span(120 * S), DEFAULT_REFRESH, 0, 0)).toBe(60 * S);
    expect(refreshAt(span(120 * S), DEFAULT_REFRESH, 0, 1)).toBe(54 * S);
    // A fraction of 1 (or more) keeps the whole stopBeforeMs, as before.
    expect(serveUntil(span(6 * MIN), { ...DEFAULT_REFRESH, stopBeforeFraction: 1 })).toBe(MIN);
  });

  it('is stale when it cannot be served for minDelayMs', () => {
    expect(isStale(span(120 * S), DEFAULT_REFRESH, 0)).toBe(false);
    expect(isStale(span(120 * S), DEFAULT_REFRESH, 107 * S)).toBe(false);
    expect(isStale(span(120 * S), DEFAULT_REFRESH, 107 * S + 1)).toBe(true);
    expect(isStale(span(120 * S), DEFAULT_REFRESH, 115 * S)).toBe(true); // 5 s left, margin 12 s
    expect(isStale(span(H), DEFAULT_REFRESH, 59 * MIN)).toBe(true);
  });

  it("asks again at half of what remains when the responder's own answer is already due", () => {
    // 1 h backdated by 50 min, fetched at 0: served until 5 min, asked again at 2.5 min.
    const backdated = { thisUpdate: -50 * MIN, nextUpdate: 10 * MIN, fetchedAt: 0 };
    expect(refreshAt({ ...backdated, fromResponder: true }, DEFAULT_REFRESH, 0, 0)).toBe(2.5 * MIN);
    // Read back from a store, the same response is due: ask the responder soon.
    expect(refreshAt(backdated, DEFAULT_REFRESH, 0, 0)).toBe(DEFAULT_REFRESH.minDelayMs);
    // Never sooner than minDelayMs, however little remains.
    expect(
      refreshAt({ ...backdated, fromResponder: true }, DEFAULT_REFRESH, 5 * MIN - 1_500, 0),
    ).toBe(5 * MIN - 500);
  });

  it('backs off from 60 s, doubling, capped at 1 h', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 50, 5000].map((n) =>
      retryDelay(n, DEFAULT_RETRY, 0, 0),
    );
    expect(delays).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, H, H, H, H]);
    expect(retryDelay(1, DEFAULT_RETRY, 0.1, 1)).toBe(54_000);
    // A 1-hour (or longer) window changes nothing.
    expect([1, 2, 7].map((n) => retryDelay(n, DEFAULT_RETRY, 0, 0, H))).toEqual([
      60_000,
      120_000,
      H,
    ]);
  });

  it('paces retries to a short window: from 5% of it, capped at one window', () => {
    const delays = (windowMs: number) =>
      [1, 2, 3, 4, 5, 6, 50].map((n) => retryDelay(n, DEFAULT_RETRY, 0, 0, windowMs));
    expect(delays(120 * S)).toEqual([6, 12, 24, 48, 96, 120, 120].map((s) => s * S));
    expect(delays(20 * S)).toEqual([1, 2, 4, 8, 16, 20, 20].map((s) => s * S));
  });
});
