/**
 * ioredis is loaded by the first Redis store that connects by itself, not by importing the
 * package: a server without Redis (and every `staple` CLI run) does not pay its load time and
 * heap. Checked in a fresh process, where the CommonJS cache shows whether ioredis was loaded
 * (Node loads CommonJS packages through it, whether imported or required).
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const SCRIPT = `
import { createRequire } from 'node:module';
const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/ioredis/'));
const client = await import(${JSON.stringify(join(packageDir, 'src/index.ts'))});
const stapler = client.createStapler();
const afterImport = loaded();
// Port 1 on loopback: nothing listens, and the store never waits for it here.
const store = client.createRedisStore({ url: 'redis://127.0.0.1:1' });
const afterStore = loaded();
await store.close();
await stapler.close();
console.log(JSON.stringify({ afterImport, afterStore }));
`;

function run(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: packageDir, timeout: 30_000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('loading ioredis', () => {
  it('importing the package and making a stapler does not load it; the first Redis store does', async () => {
    const result = JSON.parse((await run()).trim().split('\n').pop()!) as {
      afterImport: boolean;
      afterStore: boolean;
    };
    expect(result).toEqual({ afterImport: false, afterStore: true });
  });
});
