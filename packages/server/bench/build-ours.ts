/**
 * Builds the `dist` of every package a bench server loads (tsc -p tsconfig.build.json in each,
 * dependencies first), so that the servers run our code as it ships: tsc's output, and no
 * compiler in their processes. Loading the sources through a TypeScript transform instead kept
 * the compiler alive in the server's module-loader thread; its heap then cost each of our
 * server processes about 20 µs of background CPU per handshake that node:tls's did not pay.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const PACKAGES = ['ocsp-codec', 'ocsp-client', 'client-hello', 'server'] as const;

/** `packagesDir`: the repository's packages/. Throws with tsc's output when a build fails. */
export function buildOurs(packagesDir: string): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  for (const name of PACKAGES) {
    const built = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: join(packagesDir, name),
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (built.status !== 0) {
      throw new Error(`building packages/${name}: ${(built.stdout + built.stderr).trim()}`);
    }
  }
}
