/**
 * @staple/ocsp-client: fetch OCSP responses from responders, verify them, and keep a fresh,
 * verified one ready per certificate for stapling; memory, file and Redis stores.
 */

export type { OcspClientErrorCode } from './errors.js';
export { isOcspClientError, OcspClientError } from './errors.js';
export type { FetchedResponse, FetchOptions } from './fetch-response.js';
export { fetchOcspResponse } from './fetch-response.js';
export { createFileStore } from './file-store.js';
export type { Logger } from './logger.js';
export { createMemoryStore } from './memory-store.js';
export type { RedisStore, RedisStoreOptions } from './redis-store.js';
export { createRedisStore } from './redis-store.js';
export type { RefreshPolicy, RetryPolicy } from './schedule.js';
export type {
  ChainInput,
  Fetcher,
  StaplerEvents,
  StaplerOptions,
  StapleState,
  StapleStatus,
  Timers,
} from './stapler.js';
export { createStapler, Stapler } from './stapler.js';
export type { StapleStore } from './store.js';
