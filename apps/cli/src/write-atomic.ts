/**
 * Replaces a file all at once: a server reading it (nginx's ssl_stapling_file at reload,
 * HAProxy's .ocsp) sees the old bytes or the new ones, never half of them.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CliError } from './errors.js';
import { systemReason } from './read-input.js';

export async function writeFileAtomic(path: string, data: Uint8Array): Promise<void> {
  // Beside the target, so that rename() stays within one file system and is atomic.
  const temp = join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o644);
    await handle.writeFile(data);
    // Flushed before the rename, or a crash could leave the new name on an empty file.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, path);
  } catch (cause) {
    await handle?.close().catch(() => {});
    await rm(temp, { force: true }).catch(() => {});
    throw new CliError('ERR_OUTPUT', `cannot write ${path}: ${systemReason(cause)}`, { cause });
  }
}
