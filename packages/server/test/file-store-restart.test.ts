/**
 * Restart with the file store: the staples the first server fetched are on disk; a second
 * server with the same directory staples from its very first handshake without asking the
 * responder (which is failing by then).
 */
import { join } from 'node:path';
import { createFileStore } from '@staple/ocsp-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTlsServer, type StapleServer } from '../src/index.js';
import {
  certificatesOf,
  closeServer,
  endWith,
  listen,
  nodeHandshake,
  parseSClient,
  sClient,
  stapleSerial,
  startEnv,
  type TestEnv,
} from './helpers.js';

const RSA = { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' } as const;

describe('restart with the file store', () => {
  let env: TestEnv;
  let server: StapleServer | undefined;

  beforeAll(async () => {
    env = await startEnv();
  });

  afterAll(async () => {
    if (server) await closeServer(server);
    await env?.close();
  });

  it('the first handshake after a restart is stapled, with no request to the responder', async () => {
    const dir = join(env.dir, 'staples');
    const make = () =>
      createTlsServer(
        { certificates: certificatesOf(env.pki), stapling: { store: createFileStore(dir) } },
        endWith('ok'),
      );

    // First life: fetches from the responder and writes to the store.
    server = make();
    await server.ready();
    let port = await listen(server);
    const first = await nodeHandshake(port, env.pki.rootPem);
    expect(stapleSerial(first.ocsp!)).toBe(env.pki.leaf('ecdsa').serialNumber);
    const stapled = {
      ecdsa: Buffer.from(server.stapler!.get(env.pki.leaf('ecdsa').certificate)!),
      rsa: Buffer.from(server.stapler!.get(env.pki.leaf('rsa').certificate)!),
    };
    expect(env.responder.requestCount).toBe(2);
    await closeServer(server);
    server = undefined;

    // The responder is failing now: any request to it would leave the server without a staple.
    env.responder.setFault({ kind: 'http-error', status: 500 });
    const before = env.responder.requestCount;

    // Second life, same directory.
    server = make();
    await server.ready();
    port = await listen(server);
    const again = await nodeHandshake(port, env.pki.rootPem);
    expect(again.ocsp).toBeInstanceOf(Buffer);
    expect(Buffer.compare(again.ocsp!, stapled.ecdsa)).toBe(0);
    const rsa = await nodeHandshake(port, env.pki.rootPem, RSA);
    expect(Buffer.compare(rsa.ocsp!, stapled.rsa)).toBe(0);
    const s = parseSClient((await sClient(port, env.files.root)).stdout);
    expect(s.certStatus).toBe('good');
    expect(s.ocspSerial).toBe(env.pki.leaf('ecdsa').serialNumber);

    expect(env.responder.requestCount).toBe(before);
    for (const status of server.stapler!.status()) {
      expect(status.state).toBe('good');
      expect(status.source).toBe('store');
      expect(status.fetches).toBe(0);
      expect(status.storeHits).toBe(1);
    }
  });
});
