import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  bytesEqual,
  type CertificateInfo,
  type CertificateInput,
  isOcspError,
  parseCertificate,
  parseCertificates,
  type RevocationReason,
  verifyResponse,
} from '@staple/ocsp-codec';
import { isOcspClientError, OcspClientError } from './errors.js';
import { type FetchedResponse, type FetchOptions, fetchOcspResponse } from './fetch-response.js';
import { type Logger, silentLogger } from './logger.js';
import {
  DEFAULT_REFRESH,
  DEFAULT_RETRY,
  isStale,
  type RefreshPolicy,
  type RetryPolicy,
  refreshAt,
  retryDelay,
  serveUntil,
  type Window,
} from './schedule.js';
import type { StapleStore } from './store.js';

/** What the stapler calls to ask a responder; `fetchOcspResponse` unless replaced. */
export type Fetcher = (
  certificate: CertificateInfo,
  issuer: CertificateInfo,
  options: FetchOptions,
) => Promise<FetchedResponse>;

/** Timers, injectable so tests can run time forward. Handles must support `unref` or not. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface StaplerOptions {
  /**
   * Where responses are kept across restarts (file) or shared by a fleet (Redis). Default: none
   * beyond the stapler's own in-memory copy.
   */
  readonly store?: StapleStore;
  readonly logger?: Logger;
  /** The clock, in epoch milliseconds (default Date.now). */
  readonly now?: () => number;
  readonly timers?: Timers;
  readonly fetch?: Fetcher;
  /** Passed to every fetch (timeouts, body cap, nonce, ...). */
  readonly fetchOptions?: Omit<FetchOptions, 'url' | 'now' | 'signal'>;
  readonly refresh?: Partial<RefreshPolicy>;
  readonly retry?: Partial<RetryPolicy>;
  /** With a store that locks: how long one node's lease to fetch lasts (default 15 s). */
  readonly lockTtlMs?: number;
  /** How often a node waiting on another's fetch looks in the store (default 250 ms). */
  readonly lockPollMs?: number;
  /** Source of randomness for jitter (default Math.random). */
  readonly random?: () => number;
}

/** What one certificate is added with: the chain (leaf first, then its issuer) and options. */
export type ChainInput =
  | string
  | readonly CertificateInput[]
  | {
      readonly certificate: CertificateInput;
      readonly issuer: CertificateInput;
      /** Responder URL instead of the AIA one. */
      readonly url?: string;
    };

export type StapleState = 'pending' | 'good' | 'revoked' | 'failed' | 'expired' | 'no-ocsp-url';

/** A snapshot of one certificate's stapling. */
export interface StapleStatus {
  readonly certificate: CertificateInfo;
  readonly serialNumber: string;
  readonly subject: string;
  readonly url?: string;
  readonly state: StapleState;
  /** True when `get()` returns a response now. */
  readonly stapling: boolean;
  readonly certStatus?: 'good' | 'revoked';
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  readonly producedAt?: Date;
  /** Where the current response came from. */
  readonly source?: 'responder' | 'store';
  readonly servedUntil?: Date;
  readonly nextRefresh?: Date;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: Date };
  /** Requests this node made to the responder. */
  readonly fetches: number;
  readonly failures: number;
  /** Responses taken from the store instead of the responder. */
  readonly storeHits: number;
}

export interface StaplerEvents {
  updated: [StapleStatus];
  revoked: [StapleStatus];
  expired: [StapleStatus];
  error: [Error, StapleStatus];
}

/** The response being stapled: what was verified, where it came from, when to refresh. */
type Current = Omit<FetchedLike, 'maxAgeSeconds' | 'fetchedAt'> & {
  readonly source: 'responder' | 'store';
  readonly refreshAt: number;
};

interface Entry {
  readonly certificate: CertificateInfo;
  readonly issuer: CertificateInfo;
  readonly url: string | undefined;
  readonly key: string;
  readonly keys: unknown[];
  /** The bytes `get()` returns, while `now < stapleUntil`. */
  staple: Uint8Array | undefined;
  stapleUntil: number;
  current: Current | undefined;
  state: StapleState;
  timer: unknown;
  expiryTimer: unknown;
  nextRefresh: number | undefined;
  inFlight: Promise<void> | undefined;
  firstAttempt: Promise<void>;
  markAttempted: () => void;
  failures: number;
  fetches: number;
  storeHits: number;
  lastError: StapleStatus['lastError'];
  removed: boolean;
}

const DEFAULT_TIMERS: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    // A stapler must never be what keeps a process alive.
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

const SETTLED = Promise.resolve();
const NOOP = () => {};

// setTimeout takes at most 2^31-1 ms; longer waits are chained.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps a verified OCSP response ready for each certificate it is given: fetched eagerly,
 * refreshed at half its validity (with jitter), retried with backoff on failure while the last
 * good response is kept, never served past nextUpdate minus a margin, never served when it is
 * `unknown` or failed verification. `get()` is a synchronous map lookup for the handshake path.
 */
export class Stapler extends EventEmitter<StaplerEvents> {
  readonly #entries = new Map<unknown, Entry>();
  /** Other objects with the same DER as an added certificate, learnt on a lookup miss. */
  readonly #aliases = new WeakMap<object, Entry>();
  readonly #all = new Set<Entry>();
  /** Undefined by default: the entries themselves are the in-memory copy. */
  readonly #store: StapleStore | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #timers: Timers;
  readonly #fetch: Fetcher;
  readonly #fetchOptions: StaplerOptions['fetchOptions'];
  readonly #refresh: RefreshPolicy;
  readonly #retry: RetryPolicy;
  readonly #lockTtlMs: number;
  readonly #lockPollMs: number;
  readonly #random: () => number;
  readonly #sleeping = new Set<{ handle: unknown; wake: () => void }>();
  #closed = false;

  constructor(options: StaplerOptions = {}) {
    super();
    this.#store = options.store;
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#timers = options.timers ?? DEFAULT_TIMERS;
    this.#fetch = options.fetch ?? fetchOcspResponse;
    this.#fetchOptions = options.fetchOptions;
    this.#refresh = { ...DEFAULT_REFRESH, ...options.refresh };
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#lockTtlMs = options.lockTtlMs ?? 15_000;
    this.#lockPollMs = options.lockPollMs ?? 250;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Starts stapling a certificate: a PEM chain (leaf first, then its issuer), an array of
   * certificates, or `{ certificate, issuer, url }`. The first fetch starts at once; `ready()`
   * waits for it. Returns the parsed leaf, which `get()` also accepts.
   */
  add(chain: ChainInput): CertificateInfo {
    if (this.#closed) throw new OcspClientError('ERR_OCSP_CLIENT_CLOSED', 'the stapler is closed');
    const { certificate, issuer, url, keys } = readChain(chain);
    const existing = this.#entries.get(certificate.der) ?? this.#entries.get(keys[0]);
    if (existing) {
      for (const key of [...keys, certificate]) {
        // Remembered on the entry too, so that remove() forgets every name it was added under.
        if (!existing.keys.includes(key)) existing.keys.push(key);
        this.#entries.set(key, existing);
      }
      return existing.certificate;
    }
    let resolveAttempt = () => {};
    const firstAttempt = new Promise<void>((resolve) => {
      resolveAttempt = resolve;
    });
    // Once attempted, drop the promise and its resolver: with thousands of certificates the
    // per-entry bytes count.
    const markAttempted = () => {
      resolveAttempt();
      entry.firstAttempt = SETTLED;
      entry.markAttempted = NOOP;
    };
    const responder = url ?? certificate.ocspUrls[0];
    const entry: Entry = {
      certificate,
      issuer,
      url: responder,
      key: storeKey(certificate, issuer),
      keys: [...new Set([...keys, certificate, certificate.der])],
      staple: undefined,
      stapleUntil: 0,
      current: undefined,
      state: responder ? 'pending' : 'no-ocsp-url',
      timer: undefined,
      expiryTimer: undefined,
      nextRefresh: undefined,
      inFlight: undefined,
      firstAttempt,
      markAttempted,
      failures: 0,
      fetches: 0,
      storeHits: 0,
      lastError: undefined,
      removed: false,
    };
    for (const key of entry.keys) this.#entries.set(key, entry);
    this.#all.add(entry);
    if (!responder) {
      // Normal now that much of the WebPKI has dropped OCSP: nothing to do, nothing to warn about.
      this.#logger.debug?.(
        { serialNumber: certificate.serialNumber, subject: certificate.subject },
        'certificate has no OCSP responder URL; not stapling it',
      );
      markAttempted();
    } else {
      void this.#refreshEntry(entry);
    }
    return certificate;
  }

  /** Stops stapling a certificate (given as to `add` or as returned by it). */
  remove(certificate: unknown): boolean {
    const entry = this.#entries.get(certificate) ?? this.#lookupSlow(certificate);
    if (!entry) return false;
    entry.removed = true;
    this.#timers.clearTimeout(entry.timer);
    this.#timers.clearTimeout(entry.expiryTimer);
    for (const key of entry.keys) this.#entries.delete(key);
    this.#all.delete(entry);
    entry.markAttempted();
    return true;
  }

  /**
   * The response to staple for this certificate, or undefined when there is none fit to send.
   * Synchronous and allocation-free: the handshake path. Accepts what `add` was given for the
   * leaf (DER bytes or PEM string) or the CertificateInfo it returned.
   */
  get(certificate: unknown): Uint8Array | undefined {
    // No clock read here: the expiry timer clears `staple` a margin before nextUpdate (5 minutes,
    // or 10% of a window shorter than 50 minutes), a margin timers are not late by, and timers
    // run before I/O in each loop turn.
    const entry = this.#entries.get(certificate) ?? this.#lookupSlow(certificate);
    return entry === undefined ? undefined : entry.staple;
  }

  /**
   * Another Uint8Array with the DER of an added certificate (read from elsewhere): found by
   * comparing bytes once, then remembered by identity so the next lookup is a map hit again.
   */
  #lookupSlow(certificate: unknown): Entry | undefined {
    if (!(certificate instanceof Uint8Array)) return undefined;
    const known = this.#aliases.get(certificate);
    if (known) return known.removed ? undefined : known;
    for (const entry of this.#all) {
      if (bytesEqual(entry.certificate.der, certificate)) {
        this.#aliases.set(certificate, entry);
        return entry;
      }
    }
    return undefined;
  }

  /**
   * Asks the responder now, even when the current response is fresh (an operator's "refresh"
   * button); joins a refresh already under way. Resolves when it is done, failed or not
   * (failures are reported through `status()`, the logger and the `error` event).
   */
  refresh(certificate: unknown): Promise<void> {
    const entry = this.#entries.get(certificate) ?? this.#lookupSlow(certificate);
    if (!entry) {
      return Promise.reject(
        new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', 'this certificate was not added'),
      );
    }
    return this.#refreshEntry(entry, true);
  }

  /** Resolves when every certificate added so far has had its first fetch (good or failed). */
  async ready(): Promise<void> {
    await Promise.all([...this.#all].map((e) => e.firstAttempt));
  }

  /** Resolves when no fetch is under way (what tests wait on after running time forward). */
  async whenIdle(): Promise<void> {
    for (;;) {
      const pending = [...this.#all].map((e) => e.inFlight).filter((p) => p !== undefined);
      if (pending.length === 0) return;
      await Promise.allSettled(pending);
    }
  }

  status(): StapleStatus[] {
    return [...this.#all].map((e) => this.#snapshot(e));
  }

  /**
   * One certificate's entry of `status()`, found as `get` finds it (no walk over the others);
   * undefined when it was not added.
   */
  statusOf(certificate: unknown): StapleStatus | undefined {
    const entry = this.#entries.get(certificate) ?? this.#lookupSlow(certificate);
    return entry === undefined ? undefined : this.#snapshot(entry);
  }

  /** Stops every timer and waits for fetches under way. The store is not closed (its owner does that). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const entry of this.#all) {
      this.#timers.clearTimeout(entry.timer);
      this.#timers.clearTimeout(entry.expiryTimer);
    }
    for (const sleeper of this.#sleeping) {
      this.#timers.clearTimeout(sleeper.handle);
      sleeper.wake();
    }
    await this.whenIdle();
    for (const entry of this.#all) entry.markAttempted();
  }

  #refreshEntry(entry: Entry, force = false): Promise<void> {
    if (entry.inFlight) return entry.inFlight;
    if (this.#closed || entry.removed || !entry.url) return Promise.resolve();
    this.#timers.clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.nextRefresh = undefined;
    const run = this.#obtain(entry, force)
      .then(
        (fresh) => {
          if (fresh) this.#accept(entry, fresh.response, fresh.source);
          if (entry.current) this.#schedule(entry, entry.current.refreshAt);
        },
        (error: unknown) => this.#fail(entry, error),
      )
      .finally(() => {
        entry.inFlight = undefined;
        entry.markAttempted();
      });
    entry.inFlight = run;
    return run;
  }

  /**
   * A verified response newer than the current one: from the store when another node (or our
   * previous life) put a fresh one there, else from the responder, under the store's lock when
   * it has one so that a fleet makes one request per refresh. Undefined when nothing newer.
   */
  async #obtain(
    entry: Entry,
    force: boolean,
  ): Promise<{ response: FetchedLike; source: 'responder' | 'store' } | undefined> {
    const stored = await this.#readStore(entry);
    if (stored && this.#isNewer(entry, stored)) this.#accept(entry, stored, 'store');
    if (!force && entry.current && entry.current.refreshAt > this.#now()) return undefined;

    let release: (() => Promise<void>) | undefined;
    if (this.#store?.lock) {
      release = await this.#tryLock(entry);
      if (release === undefined) {
        // Somebody else is fetching: wait for their result to land in the store.
        const deadline = this.#now() + this.#lockTtlMs;
        while (this.#now() < deadline && !this.#closed && !entry.removed) {
          await this.#sleep(this.#lockPollMs);
          const theirs = await this.#readStore(entry);
          if (theirs && this.#isNewer(entry, theirs)) return { response: theirs, source: 'store' };
        }
        if (this.#closed || entry.removed) return undefined;
        release = await this.#tryLock(entry);
        if (release === undefined) {
          throw new OcspClientError(
            'ERR_OCSP_CLIENT_TIMEOUT',
            'another node holds the fetch lock and stored nothing in time',
          );
        }
      }
    }
    try {
      if (this.#store?.lock) {
        // Double-checked: the node that held the lease may have stored its result between our
        // first look and our taking the lease.
        const landed = await this.#readStore(entry);
        if (landed && this.#isNewer(entry, landed)) return { response: landed, source: 'store' };
      }
      entry.fetches++;
      const fetched = await this.#fetch(entry.certificate, entry.issuer, {
        ...this.#fetchOptions,
        ...(entry.url ? { url: entry.url } : {}),
        now: () => new Date(this.#now()),
      });
      if (fetched.certStatus === 'unknown') {
        throw new OcspClientError(
          'ERR_OCSP_CLIENT_UNKNOWN_STATUS',
          `the responder does not know certificate ${entry.certificate.serialNumber}`,
        );
      }
      const response = toFetchedLike(fetched, this.#now());
      this.#checkUseful(entry, response, force);
      const ttl = response.nextUpdate - this.#now();
      const store = this.#store;
      if (store && ttl > 0) {
        await store
          .set(entry.key, response.der, ttl)
          .catch((error: unknown) =>
            this.#logger.warn?.(
              { store: store.kind, err: error, serialNumber: entry.certificate.serialNumber },
              'could not save the response to the store; carrying on from memory',
            ),
          );
      }
      return { response, source: 'responder' };
    } finally {
      await release?.().catch(() => {});
    }
  }

  /**
   * Refuses, as a failure (reported, retried with backoff), an answer that verifies but is of no
   * use: one that ends too soon to staple, or, when a refresh was due, one older than the
   * response being served. Taking either and asking again at once is how a stapler ends up
   * asking the responder every second.
   */
  #checkUseful(entry: Entry, response: FetchedLike, force: boolean): void {
    const now = this.#now();
    if (isStale(windowOf(response), this.#refresh, now)) {
      const until = serveUntil(windowOf(response), this.#refresh);
      throw new OcspClientError(
        'ERR_OCSP_CLIENT_STALE',
        `the responder's ${response.certStatus} answer for ${entry.certificate.serialNumber} ends too soon to staple: nextUpdate ${iso(response.nextUpdate)}, fit to serve until ${iso(until)}`,
      );
    }
    const current = entry.current;
    if (
      !force &&
      current &&
      current.refreshAt <= now &&
      !this.#isNewer(entry, response, 'responder')
    ) {
      throw new OcspClientError(
        'ERR_OCSP_CLIENT_STALE',
        `the responder's answer for ${entry.certificate.serialNumber} (thisUpdate ${iso(response.thisUpdate)}) is older than the one being served (thisUpdate ${iso(current.thisUpdate)})`,
      );
    }
  }

  async #tryLock(entry: Entry): Promise<(() => Promise<void>) | undefined> {
    try {
      return await this.#store!.lock!(entry.key, this.#lockTtlMs);
    } catch (error) {
      this.#logger.warn?.(
        { store: this.#store?.kind, err: error },
        'store lock unavailable; fetching without it',
      );
      return async () => {};
    }
  }

  /** The stored response when there is one that verifies now; a bad one is deleted, never served. */
  async #readStore(entry: Entry): Promise<FetchedLike | undefined> {
    if (!this.#store) return undefined;
    let der: Uint8Array | undefined;
    try {
      der = await this.#store.get(entry.key);
    } catch (error) {
      this.#logger.warn?.(
        { store: this.#store.kind, err: error },
        'store unavailable; carrying on from memory',
      );
      return undefined;
    }
    if (!der) return undefined;
    try {
      const verified = await verifyResponse(der, {
        certificate: entry.certificate,
        issuer: entry.issuer,
        now: new Date(this.#now()),
      });
      if (verified.certStatus === 'unknown') return undefined;
      const response = toFetchedLike(verified, this.#now());
      // Verified but too close to its end to serve: as good as absent (the responder is asked).
      return isStale(windowOf(response), this.#refresh, this.#now()) ? undefined : response;
    } catch (error) {
      this.#logger.warn?.(
        {
          store: this.#store.kind,
          serialNumber: entry.certificate.serialNumber,
          code: isOcspError(error) ? error.code : undefined,
        },
        'stored response failed verification; discarding it',
      );
      await this.#store?.delete(entry.key).catch(() => {});
      return undefined;
    }
  }

  #isNewer(entry: Entry, response: FetchedLike, source: 'responder' | 'store' = 'store'): boolean {
    const current = entry.current;
    if (!current) return true;
    // A revoked answer is the truth and replaces a good one whatever its age.
    if (response.certStatus === 'revoked' && current.certStatus === 'good') return true;
    if (response.thisUpdate !== current.thisUpdate) return response.thisUpdate > current.thisUpdate;
    // Same times (they have one-second resolution): an answer we just had from the responder is
    // its word now, e.g. `good` again a moment after a mistaken revocation was undone; a stored
    // copy with the same times adds nothing.
    return source === 'responder' || response.producedAt > current.producedAt;
  }

  #accept(entry: Entry, response: FetchedLike, source: 'responder' | 'store'): void {
    if (entry.removed || !this.#isNewer(entry, response, source)) return;
    const now = this.#now();
    const window = windowOf(response, source === 'responder');
    const wasRevoked = entry.current?.certStatus === 'revoked';
    entry.current = {
      der: response.der,
      certStatus: response.certStatus,
      thisUpdate: response.thisUpdate,
      nextUpdate: response.nextUpdate,
      producedAt: response.producedAt,
      ...(response.revocationTime ? { revocationTime: response.revocationTime } : {}),
      ...(response.revocationReason ? { revocationReason: response.revocationReason } : {}),
      source,
      refreshAt: refreshAt(window, this.#refresh, now, this.#random()),
    };
    entry.failures = 0;
    if (source === 'store') entry.storeHits++;
    const until = serveUntil(window, this.#refresh);
    if (until > now) {
      entry.staple = response.der;
      entry.stapleUntil = until;
      entry.state = response.certStatus;
      this.#timers.clearTimeout(entry.expiryTimer);
      entry.expiryTimer = this.#setTimer(() => this.#expire(entry), until - now);
    }
    const snapshot = this.#snapshot(entry);
    if (response.certStatus === 'revoked') {
      if (!wasRevoked) {
        this.#logger.error?.(
          {
            serialNumber: entry.certificate.serialNumber,
            subject: entry.certificate.subject,
            revocationTime: response.revocationTime,
            revocationReason: response.revocationReason,
          },
          'CERTIFICATE REVOKED: the responder says this certificate is revoked; replace it',
        );
        this.emit('revoked', snapshot);
      }
    } else {
      this.#logger.info?.(
        {
          serialNumber: entry.certificate.serialNumber,
          source,
          nextUpdate: new Date(response.nextUpdate),
        },
        'OCSP response updated',
      );
    }
    this.emit('updated', snapshot);
  }

  #expire(entry: Entry): void {
    if (entry.removed || this.#now() < entry.stapleUntil) return;
    entry.staple = undefined;
    entry.state = 'expired';
    this.#logger.warn?.(
      { serialNumber: entry.certificate.serialNumber },
      'OCSP response expired without a fresh one; stapling nothing for this certificate',
    );
    this.emit('expired', this.#snapshot(entry));
  }

  #fail(entry: Entry, error: unknown): void {
    if (entry.removed || this.#closed) return;
    entry.failures++;
    const code = isOcspClientError(error) ? error.code : 'ERR_OCSP_CLIENT_UNEXPECTED';
    const message = error instanceof Error ? error.message : String(error);
    entry.lastError = { code, message, at: new Date(this.#now()) };
    if (!entry.staple || this.#now() >= entry.stapleUntil) {
      if (entry.state === 'pending' || entry.state === 'good') entry.state = 'failed';
    }
    // Retries are paced to the window of the last response stapled, if there was one: a
    // 2-minute response is retried within seconds, not after 60 s. A refused answer sets no pace.
    const c = entry.current;
    const windowMs = c ? c.nextUpdate - c.thisUpdate : undefined;
    const delay = retryDelay(
      entry.failures,
      this.#retry,
      this.#refresh.jitter,
      this.#random(),
      windowMs,
    );
    this.#schedule(entry, this.#now() + delay);
    this.#logger.warn?.(
      {
        serialNumber: entry.certificate.serialNumber,
        url: entry.url,
        code,
        err: error,
        failures: entry.failures,
        retryInMs: Math.round(delay),
        keptResponse: entry.staple !== undefined,
      },
      entry.staple !== undefined
        ? 'OCSP refresh failed; keeping the last good response and retrying'
        : 'OCSP fetch failed; nothing to staple yet, retrying',
    );
    if (this.listenerCount('error') > 0) {
      this.emit(
        'error',
        error instanceof Error ? error : new Error(message),
        this.#snapshot(entry),
      );
    }
  }

  #schedule(entry: Entry, when: number): void {
    if (this.#closed || entry.removed) return;
    this.#timers.clearTimeout(entry.timer);
    // Whatever the schedule computed (a current response already due, a not-newer answer), no
    // timer asks the responder sooner than minDelayMs after the last attempt.
    const at = Math.max(when, this.#now() + this.#refresh.minDelayMs);
    entry.nextRefresh = at;
    entry.timer = this.#setTimer(() => {
      entry.timer = undefined;
      void this.#refreshEntry(entry);
    }, at - this.#now());
  }

  #setTimer(callback: () => void, ms: number): unknown {
    const wait = Math.max(0, ms);
    if (wait <= MAX_TIMER_MS) return this.#timers.setTimeout(callback, wait);
    return this.#timers.setTimeout(
      () => this.#setTimer(callback, wait - MAX_TIMER_MS),
      MAX_TIMER_MS,
    );
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const sleeper = {
        handle: undefined as unknown,
        wake: () => {
          this.#sleeping.delete(sleeper);
          resolve();
        },
      };
      this.#sleeping.add(sleeper);
      sleeper.handle = this.#timers.setTimeout(sleeper.wake, ms);
    });
  }

  #snapshot(entry: Entry): StapleStatus {
    const c = entry.current;
    const stapling = entry.staple !== undefined && this.#now() < entry.stapleUntil;
    return Object.freeze({
      certificate: entry.certificate,
      serialNumber: entry.certificate.serialNumber,
      subject: entry.certificate.subject,
      ...(entry.url ? { url: entry.url } : {}),
      state: entry.state,
      stapling,
      ...(c
        ? {
            certStatus: c.certStatus,
            ...(c.revocationTime ? { revocationTime: c.revocationTime } : {}),
            ...(c.revocationReason ? { revocationReason: c.revocationReason } : {}),
            thisUpdate: new Date(c.thisUpdate),
            nextUpdate: new Date(c.nextUpdate),
            producedAt: new Date(c.producedAt),
            source: c.source,
          }
        : {}),
      ...(stapling ? { servedUntil: new Date(entry.stapleUntil) } : {}),
      ...(entry.nextRefresh !== undefined ? { nextRefresh: new Date(entry.nextRefresh) } : {}),
      ...(entry.lastError ? { lastError: entry.lastError } : {}),
      fetches: entry.fetches,
      failures: entry.failures,
      storeHits: entry.storeHits,
    });
  }
}

/** The facts the stapler keeps of a verified response, in epoch milliseconds. */
interface FetchedLike {
  readonly der: Uint8Array;
  readonly certStatus: 'good' | 'revoked';
  readonly thisUpdate: number;
  readonly nextUpdate: number;
  readonly producedAt: number;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly maxAgeSeconds?: number;
  readonly fetchedAt: number;
}

function windowOf(response: FetchedLike, fromResponder = false): Window {
  return {
    thisUpdate: response.thisUpdate,
    nextUpdate: response.nextUpdate,
    fetchedAt: response.fetchedAt,
    ...(response.maxAgeSeconds !== undefined ? { maxAgeSeconds: response.maxAgeSeconds } : {}),
    ...(fromResponder ? { fromResponder } : {}),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function toFetchedLike(
  response: Pick<
    FetchedResponse,
    | 'der'
    | 'certStatus'
    | 'thisUpdate'
    | 'nextUpdate'
    | 'producedAt'
    | 'revocationTime'
    | 'revocationReason'
  > & { maxAgeSeconds?: number },
  fetchedAt: number,
): FetchedLike {
  if (response.certStatus === 'unknown' || !response.nextUpdate) {
    throw new OcspClientError('ERR_OCSP_CLIENT_VERIFY', 'response is not fit to staple');
  }
  return {
    der: response.der,
    certStatus: response.certStatus,
    thisUpdate: response.thisUpdate.getTime(),
    nextUpdate: response.nextUpdate.getTime(),
    producedAt: response.producedAt.getTime(),
    ...(response.revocationTime ? { revocationTime: response.revocationTime } : {}),
    ...(response.revocationReason ? { revocationReason: response.revocationReason } : {}),
    ...(response.maxAgeSeconds !== undefined ? { maxAgeSeconds: response.maxAgeSeconds } : {}),
    fetchedAt,
  };
}

function readChain(chain: ChainInput): {
  certificate: CertificateInfo;
  issuer: CertificateInfo;
  url: string | undefined;
  keys: unknown[];
} {
  let leafInput: CertificateInput | undefined;
  let issuerInput: CertificateInput | undefined;
  let url: string | undefined;
  let certs: CertificateInfo[];
  try {
    if (typeof chain === 'string') {
      certs = parseCertificates(chain);
    } else if (Array.isArray(chain)) {
      leafInput = chain[0];
      issuerInput = chain[1];
      certs = chain.map((c: CertificateInput) => parseCertificate(c));
    } else {
      const given = chain as Exclude<ChainInput, string | readonly CertificateInput[]>;
      leafInput = given.certificate;
      issuerInput = given.issuer;
      url = given.url;
      certs = [parseCertificate(given.certificate), parseCertificate(given.issuer)];
    }
  } catch (cause) {
    throw new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', 'the chain does not parse', {
      cause,
    });
  }
  const [certificate, issuer] = certs;
  if (!certificate) {
    throw new OcspClientError('ERR_OCSP_CLIENT_INVALID_ARGUMENT', 'the chain has no certificate');
  }
  if (!issuer) {
    throw new OcspClientError(
      'ERR_OCSP_CLIENT_NO_ISSUER',
      `no issuer for ${certificate.subject}: add the chain (leaf, then its issuer)`,
    );
  }
  const keys: unknown[] = [];
  if (leafInput !== undefined) keys.push(leafInput);
  if (typeof chain === 'string') keys.push(chain);
  void issuerInput;
  return { certificate, issuer, url, keys };
}

// One key per (issuer key, serial): the pair a CertID names. Made here, in one place.
function storeKey(certificate: CertificateInfo, issuer: CertificateInfo): string {
  const issuerKey = createHash('sha1').update(issuer.publicKeyBits).digest('hex');
  return `${issuerKey}:${certificate.serialNumber}`;
}

/**
 * Creates a stapler.
 *
 * @example
 * const stapler = createStapler({ store: createFileStore('/var/cache/staple') });
 * const leaf = stapler.add(readFileSync('chain.pem', 'utf8'));
 * await stapler.ready();
 * server.on('OCSPRequest', (_cert, _issuer, cb) => cb(null, stapler.get(leaf) ?? null));
 */
export function createStapler(options: StaplerOptions = {}): Stapler {
  return new Stapler(options);
}
