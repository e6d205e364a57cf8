import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyResponse } from '@staple/ocsp-codec';
import { startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileStore, createMemoryStore, createStapler } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract(
  'memory store',
  async () => ({ store: createMemoryStore(), cleanup: async () => {} }),
  { lock: false, sharedAcrossInstances: false, ttlExact: true },
);

describeStoreContract(
  'file store',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'staple-file-store-'));
    return {
      store: createFileStore(dir),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { lock: false, sharedAcrossInstances: false, ttlExact: false },
);

describe('stapler with the file store', () => {
  let ocsp: TestOcsp;
  let dir: string;
  beforeAll(async () => {
    ocsp = await startTestOcsp({ pki: { leaves: [{ name: 'ecdsa', keyType: 'ecdsa-p256' }] } });
    dir = await mkdtemp(join(tmpdir(), 'staple-restart-'));
  }, 60_000);
  afterAll(async () => {
    await ocsp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('after a restart the first get() is stapled with zero requests to the responder', async () => {
    const chain = ocsp.pki.leaf('ecdsa').chainPem;
    const first = createStapler({ store: createFileStore(dir) });
    first.add(chain);
    await first.ready();
    const before = first.get(chain);
    expect(before).toBeDefined();
    await first.close();
    expect(ocsp.responder.requestCount).toBe(1);

    // "Restart": a new stapler, same directory, and a responder that would fail if asked.
    ocsp.responder.setFault({ kind: 'http-error', status: 500 });
    const second = createStapler({ store: createFileStore(dir) });
    second.add(chain);
    await second.ready();
    const after = second.get(chain);
    expect(after).toEqual(before);
    expect(ocsp.responder.requestCount).toBe(1);
    expect(second.status()[0]).toMatchObject({ source: 'store', storeHits: 1, fetches: 0 });
    await second.close();
    ocsp.responder.setFault(null);
  });

  it('a corrupt or tampered file is detected, never served, and replaced', async () => {
    const chain = ocsp.pki.leaf('ecdsa').chainPem;
    const [file] = (await readdir(dir)).filter((f) => f.endsWith('.ocsp'));
    const path = join(dir, file!);
    const good = new Uint8Array(await readFile(path));
    const tampered = good.slice();
    tampered[tampered.length - 5]! ^= 0xff; // inside the signature
    for (const bad of [tampered, new Uint8Array([0x30, 0x03, 1, 2, 3])]) {
      await writeFile(path, bad);
      const warnings: string[] = [];
      const requests = ocsp.responder.requestCount;
      const stapler = createStapler({
        store: createFileStore(dir),
        logger: { warn: (_fields, message) => warnings.push(message) },
      });
      stapler.add(chain);
      await stapler.ready();
      const served = stapler.get(chain)!;
      const verified = await verifyResponse(served, {
        certificate: ocsp.pki.leaf('ecdsa').certificate,
        issuer: ocsp.pki.intermediate.certificate,
      });
      expect(verified.certStatus).toBe('good');
      expect(ocsp.responder.requestCount).toBe(requests + 1);
      expect(warnings.some((w) => /failed verification/.test(w))).toBe(true);
      expect(new Uint8Array(await readFile(path))).toEqual(served);
      await stapler.close();
    }
  });
});
