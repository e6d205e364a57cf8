import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StapleStore } from './store.js';

/**
 * Staples in a directory, so a restarted server staples from its first handshake without
 * asking the responder. One file per key, named by the key's SHA-256 (any key is a safe file
 * name); written to a temporary file and renamed, so a crash never leaves half a response.
 * Expiry is the stapler's business (it re-verifies what it reads), so ttl is not recorded.
 *
 * @example
 * const stapler = createStapler({ store: createFileStore('/var/cache/staple') });
 */
export function createFileStore(directory: string): StapleStore {
  let made: Promise<unknown> | undefined;
  const ensureDir = () => {
    made ??= mkdir(directory, { recursive: true, mode: 0o700 }).catch((error) => {
      made = undefined;
      throw error;
    });
    return made;
  };
  const path = (key: string) =>
    join(directory, `${createHash('sha256').update(key).digest('hex')}.ocsp`);
  return {
    kind: 'file',
    async get(key) {
      try {
        return new Uint8Array(await readFile(path(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async set(key, value) {
      await ensureDir();
      const target = path(key);
      const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temporary, value, { mode: 0o600 });
        await rename(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async delete(key) {
      await rm(path(key), { force: true });
    },
  };
}
