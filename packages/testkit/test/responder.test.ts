import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  computeCertId,
  createRequest,
  decodeResponse,
  isOcspError,
  type OcspErrorCode,
  requestGetUrl,
  toBase64,
  toHex,
  verifyResponse,
} from '@staple/ocsp-codec';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createOtherIssuer,
  type OcspResponder,
  startOcspResponder,
  startTestOcsp,
  type TestPki,
  type TestPkiFiles,
  writeTestPki,
} from '../src/index.js';
import { openssl, tempDir } from './helpers.js';

const OCSP_RESPONSE = 'application/ocsp-response';

let pki: TestPki;
let responder: OcspResponder;
let files: TestPkiFiles;
let caBundle: string;
let removeDir: () => Promise<void>;

beforeAll(async () => {
  const started = await startTestOcsp({
    signer: 'delegated',
    pki: {
      leaves: [
        { name: 'rsa', keyType: 'rsa', mustStaple: true },
        { name: 'ecdsa', keyType: 'ecdsa-p256' },
      ],
    },
  });
  pki = started.pki;
  responder = started.responder;
  const tmp = await tempDir();
  removeDir = tmp.remove;
  files = await writeTestPki(pki, tmp.dir);
  caBundle = join(tmp.dir, 'ca-bundle.pem');
  await writeFile(caBundle, pki.rootPem + pki.intermediate.certificatePem);
});

afterAll(async () => {
  await responder?.close();
  await removeDir?.();
});

afterEach(() => {
  responder.setFault(null);
  responder.setEchoNonce(true);
  for (const leaf of pki.leaves) responder.unrevoke(leaf);
  responder.resetLog();
});

async function request(
  leaf = 'ecdsa',
  options: { nonce?: boolean; hash?: 'SHA-1' | 'SHA-256' } = {},
) {
  return createRequest(
    [{ certificate: pki.leaf(leaf).certificate, issuer: pki.intermediate.certificate }],
    { ...(options.nonce ? { nonce: true } : {}), hashAlgorithm: options.hash ?? 'SHA-1' },
  );
}

async function post(der: Uint8Array, init: RequestInit = {}, url = responder.url) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request' },
    // A copy: fetch's BodyInit wants a view over a plain ArrayBuffer.
    body: der.slice(),
    ...init,
  });
  return { res, body: new Uint8Array(await res.arrayBuffer()) };
}

function verify(body: Uint8Array, leaf = 'ecdsa', extra: { nonce?: Uint8Array } = {}) {
  return verifyResponse(body, {
    certificate: pki.leaf(leaf).certificate,
    issuer: pki.intermediate.certificate,
    ...(extra.nonce ? { nonce: extra.nonce, requireNonce: true } : {}),
  });
}

async function verifyFails(body: Uint8Array, code: OcspErrorCode, leaf = 'ecdsa') {
  const error = await verify(body, leaf).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isOcspError(error) ? error.code : error).toBe(code);
}

function successful(body: Uint8Array) {
  const decoded = decodeResponse(body);
  if (decoded.responseStatus !== 'successful') throw new Error(decoded.responseStatus);
  return decoded.basic;
}

describe('answers over HTTP (fetch)', () => {
  it('POST: good, signed by the delegated signer, with RFC 5019 cache headers', async () => {
    const { der } = await request('ecdsa');
    const { res, body } = await post(der);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCSP_RESPONSE);
    const verified = await verify(body);
    expect(verified.certStatus).toBe('good');
    expect(verified.signer).toBe('delegated');
    expect(verified.responderId.type).toBe('byKey');
    expect(toHex(verified.signerCertificate)).toBe(toHex(pki.ocspSigner!.certificate));
    expect(verified.nextUpdate!.getTime() - verified.thisUpdate.getTime()).toBe(3600_000);

    const cacheControl = res.headers.get('cache-control')!;
    const maxAge = Number(/max-age=(\d+)/.exec(cacheControl)?.[1]);
    expect(maxAge).toBeGreaterThan(3590);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(cacheControl).toMatch(/^max-age=\d+, public, no-transform, must-revalidate$/);
    expect(res.headers.get('expires')).toBe(verified.nextUpdate!.toUTCString());
    expect(res.headers.get('last-modified')).toBe(verified.thisUpdate.toUTCString());
    const sha256 = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
    expect(res.headers.get('etag')).toBe(`"${toHex(sha256)}"`);
    expect(res.headers.get('content-length')).toBe(String(body.length));
  });

  it('GET (RFC 5019): URL-encoded base64 in the path', async () => {
    const { der } = await request('rsa');
    const res = await fetch(requestGetUrl(responder.url, der));
    const body = new Uint8Array(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect((await verify(body, 'rsa')).certStatus).toBe('good');
    expect(responder.requests[0]).toMatchObject({ method: 'GET', malformed: false });
    expect(res.headers.get('cache-control')).toMatch(/^max-age=\d+, public/);
  });

  it('GET: base64 holding "/" and "+", not URL-encoded', async () => {
    // A nonce makes the base64 vary; draw until it holds both characters the path must keep.
    let der: Uint8Array | undefined;
    for (let i = 0; i < 500 && !der; i++) {
      const candidate = (await request('ecdsa', { nonce: true })).der;
      const b64 = toBase64(candidate);
      if (b64.includes('/') && b64.includes('+')) der = candidate;
    }
    expect(der).toBeDefined();
    const res = await fetch(`${responder.url}/${toBase64(der!)}`);
    const body = new Uint8Array(await res.arrayBuffer());
    expect((await verify(body)).certStatus).toBe('good');
    expect(responder.requests.at(-1)!.malformed).toBe(false);
  });

  it('echoes the SHA-256 CertID it was asked with', async () => {
    const { der, certIds } = await request('ecdsa', { hash: 'SHA-256' });
    const { body } = await post(der);
    const basic = successful(body);
    expect(basic.responses[0]!.certId.hashAlgorithm.name).toBe('sha256');
    expect(toHex(basic.responses[0]!.certId.issuerKeyHash)).toBe(toHex(certIds[0]!.issuerKeyHash));
    expect((await verify(body)).certStatus).toBe('good');
  });

  it('answers every certificate in a multi-certificate request', async () => {
    responder.revoke(pki.leaf('rsa'));
    const { der } = await createRequest(
      pki.leaves.map((l) => ({ certificate: l.certificate, issuer: pki.intermediate.certificate })),
    );
    const { body } = await post(der);
    expect(successful(body).responses.map((r) => r.certStatus)).toEqual(['revoked', 'good']);
    expect(responder.requests[0]!.serials).toEqual(pki.leaves.map((l) => l.serialNumber));
  });

  it('revoke, unrevoke and setStatus take effect on the next request', async () => {
    const { der } = await request('rsa');
    const time = new Date('2026-02-03T04:05:06Z');
    responder.revoke(pki.leaf('rsa'), { reason: 'keyCompromise', time });
    let verified = await verify((await post(der)).body, 'rsa');
    expect(verified.certStatus).toBe('revoked');
    expect(verified.revocationReason).toBe('keyCompromise');
    expect(verified.revocationTime).toEqual(time);
    expect(responder.statusOf(pki.leaf('rsa').serialNumber)).toMatchObject({ status: 'revoked' });

    responder.unrevoke(pki.leaf('rsa').certificatePem);
    expect((await verify((await post(der)).body, 'rsa')).certStatus).toBe('good');

    responder.setStatus(pki.leaf('rsa').serialNumber.toLowerCase(), 'unknown');
    expect((await verify((await post(der)).body, 'rsa')).certStatus).toBe('unknown');

    responder.setStatus(`serial=${pki.leaf('rsa').serialNumber}`, 'revoked');
    verified = await verify((await post(der)).body, 'rsa');
    expect(verified.certStatus).toBe('revoked');
    expect(verified.revocationReason).toBeUndefined();
    expect(Math.abs(verified.revocationTime!.getTime() - Date.now())).toBeLessThan(5000);

    responder.setStatus(pki.leaf('rsa').certificate, 'good');
    expect((await verify((await post(der)).body, 'rsa')).certStatus).toBe('good');
  });

  it('says unknown for a certificate of another issuer', async () => {
    const stranger = await createOtherIssuer();
    const certId = await computeCertId(pki.leaf('ecdsa').certificate, stranger.certificate);
    const { der } = await createRequest([
      { certificate: pki.leaf('ecdsa').certificate, issuer: stranger.certificate },
    ]);
    const single = successful((await post(der)).body).responses[0]!;
    expect(single.certStatus).toBe('unknown');
    expect(toHex(single.certId.issuerKeyHash)).toBe(toHex(certId.issuerKeyHash));
  });

  it('echoes the nonce, or not when told', async () => {
    const { der, nonce } = await request('ecdsa', { nonce: true });
    const echoed = await verify((await post(der)).body, 'ecdsa', { nonce: nonce! });
    expect(toHex(echoed.nonce!)).toBe(toHex(nonce!));
    expect(toHex(responder.requests[0]!.nonce!)).toBe(toHex(nonce!));

    responder.setEchoNonce(false);
    const body = (await post(der)).body;
    expect(successful(body).nonce).toBeUndefined();
    const error = await verify(body, 'ecdsa', { nonce: nonce! }).catch((e: unknown) => e);
    expect(isOcspError(error, 'ERR_OCSP_NONCE_MISSING')).toBe(true);
  });

  it('a malformed request gets malformedRequest, logged', async () => {
    const junk = crypto.getRandomValues(new Uint8Array(40));
    junk[0] = 0x04;
    const { res, body } = await post(junk);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCSP_RESPONSE);
    expect(res.headers.get('cache-control')).toBeNull();
    expect(decodeResponse(body).responseStatus).toBe('malformedRequest');

    const get = await fetch(`${responder.url}/%%%not-base64`);
    expect(decodeResponse(new Uint8Array(await get.arrayBuffer())).responseStatus).toBe(
      'malformedRequest',
    );
    const empty = await fetch(responder.url, { method: 'POST', body: new Uint8Array(0) });
    expect(decodeResponse(new Uint8Array(await empty.arrayBuffer())).responseStatus).toBe(
      'malformedRequest',
    );
    expect(responder.requests.map((r) => r.malformed)).toEqual([true, true, true]);
    expect(responder.requests[0]!.serials).toEqual([]);
  });

  it('refuses a body over 64 KiB with 413', async () => {
    const { res } = await post(new Uint8Array(64 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(responder.requestCount).toBe(0);
  });

  it('404 elsewhere, 405 for other methods', async () => {
    const origin = new URL(responder.url).origin;
    expect((await fetch(`${origin}/other`)).status).toBe(404);
    expect((await fetch(`${origin}/ocspx`, { method: 'POST', body: 'x' })).status).toBe(404);
    const put = await fetch(responder.url, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
  });

  it('keeps a request log', async () => {
    const { der } = await request('rsa', { nonce: true });
    responder.setFault({ kind: 'wrong-content-type' });
    await post(der);
    responder.setFault(null);
    await fetch(requestGetUrl(responder.url, der));
    expect(responder.requestCount).toBe(2);
    const [first, second] = responder.requests;
    expect(first).toMatchObject({
      method: 'POST',
      url: '/ocsp',
      serials: [pki.leaf('rsa').serialNumber],
      fault: 'wrong-content-type',
      malformed: false,
    });
    expect(first!.nonce).toBeInstanceOf(Uint8Array);
    expect(first!.at).toBeInstanceOf(Date);
    expect(second!.method).toBe('GET');
    expect(second!.url.startsWith('/ocsp/')).toBe(true);
    expect(second!.fault).toBeUndefined();
    responder.resetLog();
    expect(responder.requests).toEqual([]);
    expect(responder.requestCount).toBe(0);
  });
});

describe('fault modes', () => {
  it('slow: answers correctly after the delay', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'slow', delayMs: 250 });
    const started = performance.now();
    const { res, body } = await post(der);
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(res.status).toBe(200);
    expect((await verify(body)).certStatus).toBe('good');
    expect(responder.requests[0]!.fault).toBe('slow');
  });

  it('hang: accepts and never answers; the client times out', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'hang' });
    const error = await post(der, { signal: AbortSignal.timeout(300) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
    expect(responder.requests[0]!.fault).toBe('hang');
  });

  it('http-error: 500 by default, or the status given', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'http-error', status: 500 });
    const { res } = await post(der);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.headers.get('cache-control')).toBeNull();
    responder.setFault({ kind: 'http-error', status: 503 });
    expect((await post(der)).res.status).toBe(503);
    responder.setFault({ kind: 'http-error' });
    expect((await post(der)).res.status).toBe(500);
  });

  it('garbage: 200, the right content type, bytes no decoder takes', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'garbage' });
    const { res, body } = await post(der);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCSP_RESPONSE);
    expect(res.headers.get('cache-control')).toBeNull();
    expect(body.length).toBeGreaterThan(0);
    expect(() => decodeResponse(body)).toThrow(
      expect.objectContaining({ code: 'ERR_OCSP_MALFORMED' }),
    );
  });

  it('truncated: a valid response cut in half', async () => {
    const { der } = await request();
    const whole = (await post(der)).body;
    responder.setFault({ kind: 'truncated' });
    const { res, body } = await post(der);
    expect(res.status).toBe(200);
    expect(Math.abs(body.length - whole.length / 2)).toBeLessThanOrEqual(2);
    // Still the start of an OCSPResponse: a SEQUENCE announcing more bytes than are there.
    expect(body[0]).toBe(0x30);
    expect(body[1]).toBe(0x82);
    expect(((body[2]! << 8) | body[3]!) + 4).toBeGreaterThan(body.length);
    expect(() => decodeResponse(body)).toThrow(
      expect.objectContaining({ code: 'ERR_OCSP_MALFORMED' }),
    );
  });

  it('wrong-signer: signed by a key the issuer never authorized', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'wrong-signer' });
    const { body } = await post(der);
    const basic = successful(body);
    expect(basic.certificates).toHaveLength(1);
    expect(toHex(basic.certificates[0]!)).not.toBe(toHex(pki.ocspSigner!.certificate));
    await verifyFails(body, 'ERR_OCSP_UNAUTHORIZED_SIGNER');
  });

  it('expired: decodes, but nextUpdate has passed; no cache headers', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'expired' });
    const { res, body } = await post(der);
    const single = successful(body).responses[0]!;
    expect(single.nextUpdate!.getTime()).toBeLessThan(Date.now() - 5 * 60_000);
    expect(single.certStatus).toBe('good');
    expect(res.headers.get('cache-control')).toBeNull();
    expect(res.headers.get('expires')).toBeNull();
    await verifyFails(body, 'ERR_OCSP_EXPIRED');
  });

  it('not-yet-valid: thisUpdate beyond the 5-minute skew', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'not-yet-valid' });
    const { res, body } = await post(der);
    const single = successful(body).responses[0]!;
    expect(single.thisUpdate.getTime()).toBeGreaterThan(Date.now() + 5 * 60_000);
    expect(res.headers.get('cache-control')).toBeNull();
    await verifyFails(body, 'ERR_OCSP_NOT_YET_VALID');
  });

  it('other-certificate: a valid response about another serial', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'other-certificate' });
    const { body } = await post(der);
    const single = successful(body).responses[0]!;
    expect(single.certId.serialNumber).not.toBe(pki.leaf('ecdsa').serialNumber);
    expect(single.certStatus).toBe('good');
    await verifyFails(body, 'ERR_OCSP_CERTID_MISMATCH');
  });

  it.each([
    'tryLater',
    'unauthorized',
    'internalError',
    'sigRequired',
    'malformedRequest',
  ] as const)('status %s: an unsigned error response', async (status) => {
    const { der } = await request();
    responder.setFault({ kind: 'status', status });
    const { res, body } = await post(der);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(OCSP_RESPONSE);
    expect(res.headers.get('cache-control')).toBeNull();
    expect(decodeResponse(body).responseStatus).toBe(status);
  });

  it('wrong-nonce: a nonce other than the one sent', async () => {
    const { der, nonce } = await request('ecdsa', { nonce: true });
    responder.setFault({ kind: 'wrong-nonce' });
    const body = (await post(der)).body;
    const basic = successful(body);
    expect(basic.nonce).toHaveLength(nonce!.length);
    expect(toHex(basic.nonce!)).not.toBe(toHex(nonce!));
    const error = await verify(body, 'ecdsa', { nonce: nonce! }).catch((e: unknown) => e);
    expect(isOcspError(error, 'ERR_OCSP_NONCE_MISMATCH')).toBe(true);

    const { der: noNonce } = await request();
    expect(successful((await post(noNonce)).body).nonce).toHaveLength(16);
  });

  it('wrong-content-type: a valid response under another label', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'wrong-content-type' });
    const { res, body } = await post(der);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await verify(body)).certStatus).toBe('good');
    responder.setFault({ kind: 'wrong-content-type', contentType: 'application/octet-stream' });
    expect((await post(der)).res.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('setFault(null) restores normal answers; bad faults are refused', async () => {
    const { der } = await request();
    responder.setFault({ kind: 'garbage' });
    expect(responder.fault).toEqual({ kind: 'garbage' });
    responder.setFault(null);
    expect(responder.fault).toBeNull();
    expect((await verify((await post(der)).body)).certStatus).toBe('good');
    expect(() => responder.setFault({ kind: 'slow', delayMs: -1 })).toThrow(RangeError);
    expect(() => responder.setFault({ kind: 'http-error', status: 200 })).toThrow(RangeError);
    expect(() =>
      responder.setFault({ kind: 'status', status: 'successful' as 'tryLater' }),
    ).toThrow(TypeError);
    expect(() => responder.setFault({ kind: 'nope' } as unknown as { kind: 'hang' })).toThrow(
      /unknown fault/,
    );
  });
});

describe('openssl ocsp as the client', () => {
  async function ask(leaf: string, extra: string[] = []) {
    return openssl(
      [
        'ocsp',
        '-issuer',
        files.intermediate,
        '-cert',
        files.leaves[leaf]!.certificate,
        '-url',
        responder.url,
        '-timeout',
        '5',
        ...extra,
      ],
      15_000,
    );
  }

  it.each([
    ['-CAfile root', () => ['-CAfile', files.root]],
    ['-CAfile root, no nonce', () => ['-CAfile', files.root, '-no_nonce']],
    ['-CAfile root+intermediate', () => ['-CAfile', caBundle]],
    ['-VAfile signer', () => ['-VAfile', files.ocspSigner!.certificate]],
  ])('good, verified (%s)', async (_, args) => {
    const res = await ask('rsa', args());
    expect(res.stdout).toContain(`${files.leaves['rsa']!.certificate}: good`);
    expect(res.stderr).toContain('Response verify OK');
    expect(res.code).toBe(0);
    expect(responder.requestCount).toBe(1);
    const nonceSent = !args().includes('-no_nonce');
    expect(responder.requests[0]!.nonce !== undefined).toBe(nonceSent);
  });

  it('revoked, with reason and time', async () => {
    responder.revoke(pki.leaf('ecdsa'), {
      reason: 'superseded',
      time: new Date('2026-03-04T05:06:07Z'),
    });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout).toContain(`${files.leaves['ecdsa']!.certificate}: revoked`);
    expect(res.stdout).toContain('Reason: superseded');
    expect(res.stdout).toContain('Revocation Time: Mar  4 05:06:07 2026 GMT');
    expect(res.stderr).toContain('Response verify OK');
  });

  it('unknown after setStatus', async () => {
    responder.setStatus(pki.leaf('ecdsa'), 'unknown');
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout).toContain(`${files.leaves['ecdsa']!.certificate}: unknown`);
  });

  it('refuses the wrong signer', async () => {
    responder.setFault({ kind: 'wrong-signer' });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stderr).toContain('Response Verify Failure');
    expect(res.stderr).not.toContain('Response verify OK');
  });

  it('flags an expired response', async () => {
    responder.setFault({ kind: 'expired' });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout + res.stderr).toMatch(/Status times invalid/);
    expect(res.stdout + res.stderr).toMatch(/status expired/);
  });

  it('flags a not-yet-valid response', async () => {
    responder.setFault({ kind: 'not-yet-valid' });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout + res.stderr).toMatch(/status not yet valid/);
  });

  it('reports tryLater', async () => {
    responder.setFault({ kind: 'status', status: 'tryLater' });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout + res.stderr).toMatch(/Responder Error: trylater \(3\)/);
  });

  it('refuses a wrong nonce', async () => {
    responder.setFault({ kind: 'wrong-nonce' });
    const res = await ask('ecdsa', ['-CAfile', files.root]);
    expect(res.stdout + res.stderr).toMatch(/Nonce Verify error/);
  });

  it('gives up on a hanging responder after -timeout', async () => {
    responder.setFault({ kind: 'hang' });
    const res = await ask('ecdsa', ['-CAfile', files.root, '-timeout', '1']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/timeout|Error querying OCSP responder/i);
  });
});

describe('responder options and lifecycle', () => {
  it('signs with the issuer by default, byName when asked, on the injected clock', async () => {
    const now = new Date('2031-05-06T07:08:09Z');
    const r = await startOcspResponder({
      issuer: pki.intermediate,
      responderIdType: 'byName',
      now: () => now,
      validitySeconds: 600,
      thisUpdateOffsetSeconds: -60,
      path: '/custom/path/',
    });
    try {
      expect(r.url).toBe(`http://127.0.0.1:${r.port}/custom/path`);
      const { der } = await request();
      const { res, body } = await post(der, {}, r.url);
      const verified = await verifyResponse(body, {
        certificate: pki.leaf('ecdsa').certificate,
        issuer: pki.intermediate.certificate,
        now,
      });
      expect(verified.signer).toBe('issuer');
      expect(verified.responderId.type).toBe('byName');
      expect(verified.producedAt).toEqual(now);
      expect(verified.thisUpdate).toEqual(new Date('2031-05-06T07:07:09Z'));
      expect(verified.nextUpdate).toEqual(new Date('2031-05-06T07:17:09Z'));
      expect(successful(body).certificates).toHaveLength(0);
      expect(res.headers.get('cache-control')).toMatch(/^max-age=540,/);
      expect(res.headers.get('date')).toBe(now.toUTCString());
      expect(r.requests[0]!.at).toEqual(now);
    } finally {
      await r.close();
    }
  });

  it('serves at the root path', async () => {
    const r = await startOcspResponder({ issuer: pki.intermediate, path: '/' });
    try {
      expect(r.url).toBe(`http://127.0.0.1:${r.port}/`);
      const { der } = await request();
      const viaGet = await fetch(requestGetUrl(r.url, der));
      expect((await verify(new Uint8Array(await viaGet.arrayBuffer()))).certStatus).toBe('good');
      const viaPost = await post(der, {}, r.url);
      expect((await verify(viaPost.body)).certStatus).toBe('good');
    } finally {
      await r.close();
    }
  });

  it('uses the given wrong signer', async () => {
    const stranger = await createOtherIssuer({ commonName: 'Given Stranger' });
    const r = await startOcspResponder({ issuer: pki.intermediate, wrongSigner: stranger });
    try {
      r.setFault({ kind: 'wrong-signer' });
      const { der } = await request();
      const basic = successful((await post(der, {}, r.url)).body);
      expect(toHex(basic.certificates[0]!)).toBe(toHex(stranger.certificate));
    } finally {
      await r.close();
    }
  });

  it('close() ends hanging and slow requests and resolves; closing twice is fine', async () => {
    const r = await startOcspResponder({ issuer: pki.intermediate, echoNonce: false });
    const { der } = await request();
    r.setFault({ kind: 'hang' });
    const hanging = post(der, {}, r.url).catch((e: unknown) => e);
    r.setFault({ kind: 'slow', delayMs: 60_000 });
    const slow = post(der, {}, r.url).catch((e: unknown) => e);
    await waitFor(() => r.requestCount === 2);
    const started = performance.now();
    await r.close();
    await r.close();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await hanging).toBeInstanceOf(Error);
    expect(await slow).toBeInstanceOf(Error);
    const after = await fetch(r.url, { method: 'POST', body: der.slice() }).catch(
      (e: unknown) => e,
    );
    expect(after).toBeInstanceOf(Error);
  });

  it('refuses bad options', async () => {
    await expect(
      startOcspResponder({
        issuer: { certificate: 'nope', privateKey: pki.intermediate.privateKey },
      }),
    ).rejects.toThrow();
    await expect(
      startOcspResponder({ issuer: pki.intermediate, validitySeconds: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(startOcspResponder({ issuer: pki.intermediate, path: 'ocsp' })).rejects.toThrow(
      /start with/,
    );
    await expect(startOcspResponder({ issuer: pki.intermediate, port: 70000 })).rejects.toThrow(
      RangeError,
    );
    await expect(
      startTestOcsp({ signer: 'delegated', pki: { delegatedSigner: false, leaves: [] } }),
    ).rejects.toThrow(/delegatedSigner/);
  });

  it('startTestOcsp puts the responder URL in every leaf', async () => {
    const t = await startTestOcsp({ pki: { leaves: [{ name: 'a', keyType: 'ecdsa-p256' }] } });
    try {
      expect(t.pki.leaf('a').ocspUrl).toBe(t.responder.url);
      const { der } = await createRequest([
        { certificate: t.pki.leaf('a').certificate, issuer: t.pki.intermediate.certificate },
      ]);
      const { body } = await post(der, {}, t.responder.url);
      const verified = await verifyResponse(body, {
        certificate: t.pki.leaf('a').certificate,
        issuer: t.pki.intermediate.certificate,
      });
      expect(verified.signer).toBe('issuer');
    } finally {
      await t.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
