/** When to refresh and how long to serve: the stapler's timing rules, as pure functions. */

export interface RefreshPolicy {
  /** Refresh at this fraction of [thisUpdate, nextUpdate] (default 0.5, like certmagic). */
  readonly fraction: number;
  /** Up to this fraction of the wait is taken off at random, so a fleet does not refresh in step (default 0.1). */
  readonly jitter: number;
  /** Stop stapling this long before nextUpdate (default 5 min), so no client gets a response about to expire. */
  readonly stopBeforeMs: number;
  /**
   * ...but never more than this fraction of the validity window (default 0.1): a response valid
   * for 2 minutes is served until 12 s before its nextUpdate instead of never. Windows of 50
   * minutes or more keep the whole `stopBeforeMs`.
   */
  readonly stopBeforeFraction: number;
  /** The soonest any refresh or retry is scheduled after the last attempt (default 1 s). */
  readonly minDelayMs: number;
}

export interface RetryPolicy {
  /** First retry after a failure (default 60 s, as HAProxy); sooner for short windows (`retryDelay`). */
  readonly initialMs: number;
  /** Retries back off by doubling up to this (default 1 h); less for short windows. */
  readonly maxMs: number;
}

export const DEFAULT_REFRESH: RefreshPolicy = {
  fraction: 0.5,
  jitter: 0.1,
  stopBeforeMs: 5 * 60_000,
  stopBeforeFraction: 0.1,
  minDelayMs: 1_000,
};

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 60_000, maxMs: 60 * 60_000 };

/**
 * With a known validity window, the first retry comes after at most this fraction of it, so
 * that a few retries fit between the refresh (at half the window) and the end of serving (at
 * 90% of a short one): 6 s for a 2-minute window, 1 s for 20 s. Windows of 20 minutes or more
 * keep `initialMs`.
 */
const RETRY_FIRST_FRACTION = 0.05;

export interface Window {
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  /** When we got it, and the responder's Cache-Control max-age (RFC 5019 §6.2). */
  readonly fetchedAt: number;
  readonly maxAgeSeconds?: number;
  /**
   * Just obtained from the responder itself (not read back from a store): if it is already due
   * for refresh, asking again at once would only bring the same old answer.
   */
  readonly fromResponder?: boolean;
}

/** How long before nextUpdate stapling stops: `stopBeforeMs`, or less for a short window. */
export function stopBefore(window: Window, policy: RefreshPolicy): number {
  const span = Math.max(0, window.nextUpdate - window.thisUpdate);
  return Math.min(policy.stopBeforeMs, policy.stopBeforeFraction * span);
}

/** Until when a response may be stapled. */
export function serveUntil(window: Window, policy: RefreshPolicy): number {
  return window.nextUpdate - stopBefore(window, policy);
}

/**
 * Whether a verified response ends too soon to staple: it cannot be served for even
 * `minDelayMs`, the soonest anything could replace it. Such an answer is an error, not a
 * response to refresh in a loop.
 */
export function isStale(window: Window, policy: RefreshPolicy, now: number): boolean {
  return serveUntil(window, policy) - now < policy.minDelayMs;
}

/**
 * The next refresh: at `fraction` of the validity window, sooner if the responder's max-age
 * says so, never after we stop serving it; then moved earlier by up to `jitter` of the wait,
 * and never sooner than `minDelayMs`. A response the responder gave us already past that point
 * (backdated, or an old copy from a cache) is asked for again at `fraction` of the time it can
 * still be served, so a responder that always answers so is asked at a steady pace, not in a
 * loop every `minDelayMs`.
 */
export function refreshAt(
  window: Window,
  policy: RefreshPolicy,
  now: number,
  random: number,
): number {
  let at = window.thisUpdate + policy.fraction * (window.nextUpdate - window.thisUpdate);
  if (window.maxAgeSeconds !== undefined) {
    at = Math.min(at, window.fetchedAt + window.maxAgeSeconds * 1000);
  }
  const until = serveUntil(window, policy);
  at = Math.min(at, until);
  if (at <= now && window.fromResponder) at = now + policy.fraction * (until - now);
  const wait = Math.max(at - now, 0);
  return Math.max(now + wait - random * policy.jitter * wait, now + policy.minDelayMs);
}

/**
 * Exponential backoff after the n-th consecutive failure (n >= 1), with jitter taken off. With
 * the validity window of the last response we had (`windowMs`), the first retry comes after at
 * most 5% of it and the backoff stops at one window: a short-lived response gets retries before
 * it stops being served, and an outage costs the responder fewer requests than the two per
 * window of normal operation.
 */
export function retryDelay(
  failures: number,
  policy: RetryPolicy,
  jitter: number,
  random: number,
  windowMs?: number,
): number {
  let initial = policy.initialMs;
  let max = policy.maxMs;
  if (windowMs !== undefined && windowMs > 0) {
    initial = Math.min(initial, RETRY_FIRST_FRACTION * windowMs);
    max = Math.min(max, windowMs);
  }
  const delay = Math.min(initial * 2 ** Math.min(failures - 1, 30), max);
  return delay - random * jitter * delay;
}
