/** When to refresh and how long to serve: the stapler's timing rules, as pure functions. */

export interface RefreshPolicy {
  /** Refresh at this fraction of [thisUpdate, nextUpdate] (default 0.5, like certmagic). */
  readonly fraction: number;
  /** Up to this fraction of the wait is taken off at random, so a fleet does not refresh in step (default 0.1). */
  readonly jitter: number;
  /** Stop stapling this long before nextUpdate (default 5 min), so no client gets a response about to expire. */
  readonly stopBeforeMs: number;
  /** The soonest a refresh is scheduled after the last one (default 1 s). */
  readonly minDelayMs: number;
}

export interface RetryPolicy {
  /** First retry after a failure (default 60 s, as HAProxy). */
  readonly initialMs: number;
  /** Retries back off by doubling up to this (default 1 h). */
  readonly maxMs: number;
}

export const DEFAULT_REFRESH: RefreshPolicy = {
  fraction: 0.5,
  jitter: 0.1,
  stopBeforeMs: 5 * 60_000,
  minDelayMs: 1_000,
};

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 60_000, maxMs: 60 * 60_000 };

export interface Window {
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  /** When we got it, and the responder's Cache-Control max-age (RFC 5019 §6.2). */
  readonly fetchedAt: number;
  readonly maxAgeSeconds?: number;
}

/** Until when a response may be stapled. */
export function serveUntil(window: Window, policy: RefreshPolicy): number {
  return window.nextUpdate - policy.stopBeforeMs;
}

/**
 * The next refresh: at `fraction` of the validity window, sooner if the responder's max-age
 * says so, never after we stop serving it; then moved earlier by up to `jitter` of the wait.
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
  at = Math.min(at, serveUntil(window, policy));
  const wait = Math.max(at - now, 0);
  return Math.max(now + wait - random * policy.jitter * wait, now + policy.minDelayMs);
}

/** Exponential backoff after the n-th consecutive failure (n >= 1), with jitter taken off. */
export function retryDelay(
  failures: number,
  policy: RetryPolicy,
  jitter: number,
  random: number,
): number {
  const delay = Math.min(policy.initialMs * 2 ** Math.min(failures - 1, 30), policy.maxMs);
  return delay - random * jitter * delay;
}
