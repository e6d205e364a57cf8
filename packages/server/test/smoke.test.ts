import * as tls from 'node:tls';
import { decodeResponse } from '@staple/ocsp-codec';
import { startTestOcsp } from '@staple/testkit';
import { expect, it } from 'vitest';
import { createTlsServer, getStapleInfo } from '../src/index.js';

it('smoke: node tls client gets ECDSA cert and its staple', async () => {
  const { pki, close } = await startTestOcsp();
  const server = createTlsServer({
    certificates: pki.leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem })),
  });
  let readFromHandle: unknown;
  server.on('secureConnection', (s) => {
    expect(getStapleInfo(s)?.keyType).toBe('ecdsa');
    // The hello came straight from the TCP handle (client-hello's forTls), not through the
    // stream: net's onread buffer slot of the raw socket holds the reader's shared buffer.
    const raw = (s as unknown as { _parent: object })._parent as Record<symbol, unknown>;
    const slot = Object.getOwnPropertySymbols(raw).find((k) => k.description === 'kBuffer');
    readFromHandle = slot && raw[slot];
    s.end('ok');
  });
  await server.ready();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const staple = await new Promise<Buffer>((resolve, reject) => {
    const c = tls.connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: pki.rootPem,
      requestOCSP: true,
    });
    let got: Buffer | undefined;
    c.on('OCSPResponse', (r) => {
      got = r;
    });
    c.on('secureConnect', () => {
      c.resume();
      c.end();
    });
    c.on('close', () => (got ? resolve(got) : reject(new Error('no staple'))));
    c.on('error', reject);
  });
  expect(Buffer.isBuffer(readFromHandle)).toBe(true);
  const d = decodeResponse(new Uint8Array(staple));
  if (d.responseStatus !== 'successful') throw new Error('bad');
  expect(d.basic.responses[0]!.certId.serialNumber).toBe(pki.leaf('ecdsa').serialNumber);
  await new Promise((r) => server.close(r));
  await close();
});
