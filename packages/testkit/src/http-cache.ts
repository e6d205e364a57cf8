import { toHex } from '@staple/ocsp-codec';

/**
 * RFC 5019 §6.2 cache headers for a response valid from `thisUpdate` to `nextUpdate`: caches
 * may keep it until nextUpdate and no longer, and must not transform the signed bytes.
 */
export async function cacheHeaders(
  body: Uint8Array,
  window: { readonly thisUpdate: Date; readonly nextUpdate: Date },
  now: Date,
): Promise<Record<string, string>> {
  const maxAge = Math.max(0, Math.floor((window.nextUpdate.getTime() - now.getTime()) / 1000));
  const hash = await globalThis.crypto.subtle.digest('SHA-256', body.slice());
  return {
    'cache-control': `max-age=${maxAge}, public, no-transform, must-revalidate`,
    expires: window.nextUpdate.toUTCString(),
    'last-modified': window.thisUpdate.toUTCString(),
    etag: `"${toHex(new Uint8Array(hash))}"`,
  };
}
