import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeResponse, isOcspError, type OcspErrorCode } from '@staple/ocsp-codec';
import { type ResponderFault, startTestOcsp, type TestOcsp } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchOcspResponse, isOcspClientError, type OcspClientErrorCode } from '../src/index.js';

// fetchOcspResponse against the testkit's real HTTP responder, and against small local HTTP
// servers for what a responder cannot be told to do (huge bodies, redirect loops).

let ocsp: TestOcsp;
const servers: Server[] = [];

beforeAll(async () => {
  ocsp = await startTestOcsp({ signer: 'delegated' });
}, 60_000);
afterAll(async () => {
  await ocsp?.close();
});
afterEach(async () => {
  ocsp.responder.setFault(null);
  ocsp.responder.setEchoNonce(true);
  ocsp.responder.unrevoke(ocsp.pki.leaf('ecdsa'));
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const leaf = () => ocsp.pki.leaf('ecdsa').certificate;
const issuer = () => ocsp.pki.intermediate.certificate;

async function failure(
  promise: Promise<unknown>,
): Promise<{ code: OcspClientErrorCode; cause?: OcspErrorCode }> {
  try {
    await promise;
  } catch (error) {
    if (!isOcspClientError(error)) throw error;
    return {
      code: error.code,
      ...(isOcspError(error.cause) ? { cause: error.cause.code } : {}),
    };
  }
  throw new Error('expected a failure');
}

async function localServer(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('fetchOcspResponse', () => {
  it('fetches by GET from the AIA URL and returns the verified facts and max-age', async () => {
    const res = await fetchOcspResponse(leaf(), issuer());
    expect(res.certStatus).toBe('good');
    expect(res.method).toBe('GET');
    expect(res.url.startsWith(ocsp.responder.url)).toBe(true);
    expect(res.nextUpdate!.getTime()).toBeGreaterThan(res.thisUpdate.getTime());
    expect(res.maxAgeSeconds).toBeGreaterThan(0);
    expect(res.maxAgeSeconds).toBeLessThanOrEqual(3600);
    expect(res.verified.signer).toBe('delegated');
    const decoded = decodeResponse(res.der);
    expect(decoded.responseStatus).toBe('successful');
    expect(ocsp.responder.requests.at(-1)?.method).toBe('GET');
  });

  it('returns a revoked answer (it verifies) rather than throwing', async () => {
    ocsp.responder.revoke(ocsp.pki.leaf('ecdsa'), { reason: 'keyCompromise' });
    const res = await fetchOcspResponse(leaf(), issuer());
    expect(res.certStatus).toBe('revoked');
    expect(res.revocationReason).toBe('keyCompromise');
  });

  it('uses POST when the GET URL would be over 255 bytes, and honours a URL override', async () => {
    // The responder answers on any path below /ocsp? No: build a long URL that still reaches it
    // through a local proxy-like redirect-free server that forwards the body.
    const long = await localServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const upstream = await fetch(ocsp.responder.url, {
        method: 'POST',
        headers: { 'content-type': 'application/ocsp-request' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? '',
      });
      res.end(Buffer.from(await upstream.arrayBuffer()));
      seen.push(req.method ?? '');
    });
    const seen: string[] = [];
    const url = `${long}/${'x'.repeat(240)}`;
    const res = await fetchOcspResponse(leaf(), issuer(), { url });
    expect(res.method).toBe('POST');
    expect(seen).toEqual(['POST']);
    expect(res.certStatus).toBe('good');
  });

  it('sends a nonce when asked and checks the echo', async () => {
    const res = await fetchOcspResponse(leaf(), issuer(), { nonce: true, requireNonce: true });
    expect(res.verified.nonce).toHaveLength(16);
    expect(ocsp.responder.requests.at(-1)?.nonce).toHaveLength(16);

    ocsp.responder.setEchoNonce(false);
    expect((await fetchOcspResponse(leaf(), issuer(), { nonce: true })).certStatus).toBe('good');
    expect(
      await failure(fetchOcspResponse(leaf(), issuer(), { nonce: true, requireNonce: true })),
    ).toEqual({
      code: 'ERR_OCSP_CLIENT_VERIFY',
      cause: 'ERR_OCSP_NONCE_MISSING',
    });
  });

  const faults: [ResponderFault, { code: OcspClientErrorCode; cause?: OcspErrorCode }][] = [
    [{ kind: 'slow', delayMs: 1_500 }, { code: 'ERR_OCSP_CLIENT_TIMEOUT' }],
    [{ kind: 'hang' }, { code: 'ERR_OCSP_CLIENT_TIMEOUT' }],
    [{ kind: 'http-error', status: 503 }, { code: 'ERR_OCSP_CLIENT_HTTP_STATUS' }],
    [{ kind: 'garbage' }, { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_MALFORMED' }],
    [{ kind: 'truncated' }, { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_MALFORMED' }],
    [
      { kind: 'wrong-signer' },
      { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_UNAUTHORIZED_SIGNER' },
    ],
    [{ kind: 'expired' }, { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_EXPIRED' }],
    [
      { kind: 'not-yet-valid' },
      { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_NOT_YET_VALID' },
    ],
    [
      { kind: 'other-certificate' },
      { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_CERTID_MISMATCH' },
    ],
    [
      { kind: 'status', status: 'tryLater' },
      { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_UNSUCCESSFUL' },
    ],
    [
      { kind: 'status', status: 'unauthorized' },
      { code: 'ERR_OCSP_CLIENT_VERIFY', cause: 'ERR_OCSP_UNSUCCESSFUL' },
    ],
    [{ kind: 'wrong-content-type' }, { code: 'ERR_OCSP_CLIENT_CONTENT_TYPE' }],
  ];
  for (const [fault, expected] of faults) {
    it(`responder fault ${fault.kind}${'status' in fault ? ` ${fault.status}` : ''} -> ${expected.code}`, async () => {
      ocsp.responder.setFault(fault);
      expect(await failure(fetchOcspResponse(leaf(), issuer(), { timeoutMs: 500 }))).toEqual(
        expected,
      );
    });
  }

  it('a nonce that differs -> ERR_OCSP_NONCE_MISMATCH', async () => {
    ocsp.responder.setFault({ kind: 'wrong-nonce' });
    expect(await failure(fetchOcspResponse(leaf(), issuer(), { nonce: true }))).toEqual({
      code: 'ERR_OCSP_CLIENT_VERIFY',
      cause: 'ERR_OCSP_NONCE_MISMATCH',
    });
  });

  it('refused connection -> ERR_OCSP_CLIENT_NETWORK', async () => {
    const url = await localServer(() => {});
    await new Promise((r) => servers.pop()!.close(r));
    expect(await failure(fetchOcspResponse(leaf(), issuer(), { url }))).toEqual({
      code: 'ERR_OCSP_CLIENT_NETWORK',
    });
  });

  it('a body over the cap, declared or streamed -> ERR_OCSP_CLIENT_TOO_LARGE', async () => {
    const declared = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': 70_000 });
      res.end(Buffer.alloc(70_000));
    });
    expect((await failure(fetchOcspResponse(leaf(), issuer(), { url: declared }))).code).toBe(
      'ERR_OCSP_CLIENT_TOO_LARGE',
    );
    const streamed = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/ocsp-response' });
      // Chunked and endless: only the byte count can stop it.
      const timer = setInterval(() => res.write(Buffer.alloc(16_384)), 1);
      res.on('close', () => clearInterval(timer));
    });
    expect(
      (await failure(fetchOcspResponse(leaf(), issuer(), { url: streamed, maxBytes: 1024 }))).code,
    ).toBe('ERR_OCSP_CLIENT_TOO_LARGE');
  });

  it('follows up to 3 redirects, no more', async () => {
    let hops = 0;
    const target = ocsp.responder.url;
    const redirecting = await localServer((req, res) => {
      hops++;
      const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n') ?? '0');
      const base = `http://${req.headers.host}`;
      res.writeHead(302, { location: n >= 2 ? target : `${base}/?n=${n + 1}` });
      res.end();
    });
    // POST so the redirect chain ends at the responder's URL, which takes POST.
    const long = `${redirecting}/${'y'.repeat(250)}`;
    const ok = await fetchOcspResponse(leaf(), issuer(), { url: long });
    expect(ok.certStatus).toBe('good');
    expect(hops).toBe(3);
    expect(ok.url).toBe(target);
    hops = 0;
    const loop = await localServer((req, res) => {
      hops++;
      res.writeHead(307, { location: `http://${req.headers.host}/again` });
      res.end();
    });
    expect((await failure(fetchOcspResponse(leaf(), issuer(), { url: loop }))).code).toBe(
      'ERR_OCSP_CLIENT_TOO_MANY_REDIRECTS',
    );
    expect(hops).toBe(4);
  });

  it('no URL in the certificate and none given -> ERR_OCSP_CLIENT_NO_URL; bad arguments are typed', async () => {
    const bare = await ocsp.pki.issueLeaf({ name: 'bare', keyType: 'ecdsa-p256', ocspUrl: null });
    expect((await failure(fetchOcspResponse(bare.certificate, issuer()))).code).toBe(
      'ERR_OCSP_CLIENT_NO_URL',
    );
    expect((await failure(fetchOcspResponse(leaf(), issuer(), { url: 'ftp://x/' }))).code).toBe(
      'ERR_OCSP_CLIENT_INVALID_ARGUMENT',
    );
    expect((await failure(fetchOcspResponse(leaf(), new Uint8Array([1, 2])))).code).toBe(
      'ERR_OCSP_CLIENT_INVALID_ARGUMENT',
    );
  });

  it('an abort signal cancels', async () => {
    ocsp.responder.setFault({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect(
      (await failure(fetchOcspResponse(leaf(), issuer(), { signal: controller.signal }))).code,
    ).toBe('ERR_OCSP_CLIENT_ABORTED');
  });
});
