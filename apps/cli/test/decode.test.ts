import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DecodeJson } from '../src/commands/decode.js';
import { run, SHARED } from './helpers.js';

// These tests run the built binary (test/global-setup.ts builds it), the way users do.

const VECTORS = join(SHARED, 'vectors/ocsp');

type ResponseJson = Extract<DecodeJson, { responseStatus: 'successful' }>;
type RequestJson = Extract<DecodeJson, { kind: 'request' }>;

async function decodeJson(args: readonly string[]): Promise<DecodeJson> {
  const result = await run(['decode', '--json', ...args]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout);
}

/** The parts of MANIFEST.json (openssl's reading of each vector) these tests compare. */
interface ExpectedCertId {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: string;
  readonly issuerKeyHash: string;
  readonly serialNumber: string;
}

interface ExpectedExtension {
  readonly name: string;
  readonly nonce_extnValue_hex?: string;
}

interface ExpectedResponse {
  readonly responseStatus: { readonly name: string };
  readonly responderId:
    | { readonly type: 'byName'; readonly name: string }
    | { readonly type: 'byKey'; readonly keyHash: string };
  readonly producedAt: string;
  readonly signatureAlgorithm: string;
  readonly certsCount: number;
  readonly responsesCount: number;
  readonly responses: readonly {
    readonly certId: ExpectedCertId;
    readonly certStatus: string;
    readonly thisUpdate: string;
    readonly nextUpdate?: string;
    readonly revocationTime?: string;
    readonly revocationReason?: { readonly name: string };
  }[];
  readonly responseExtensions?: readonly ExpectedExtension[];
}

interface ExpectedRequest {
  readonly requestCount: number;
  readonly requestList: readonly { readonly certId: ExpectedCertId }[];
  readonly signed: boolean;
  readonly certsCount: number;
  readonly requestExtensions?: readonly ExpectedExtension[];
}

const manifest: { file: string; expected: unknown }[] = JSON.parse(
  readFileSync(join(VECTORS, 'MANIFEST.json'), 'utf8'),
).vectors;

function expectedFor<T extends ExpectedResponse | ExpectedRequest>(file: string): T {
  const entry = manifest.find((v) => v.file === file);
  if (!entry) throw new Error(`${file} is not in MANIFEST.json`);
  return entry.expected as T;
}

/** openssl prints `C = US, O = X`; the codec prints `C=US, O=X`. */
const normalizeName = (name: string) => name.replace(/ = /g, '=');

function expectSameInstant(actual: string | undefined, expected: string): void {
  expect(actual).toBeDefined();
  expect(Date.parse(actual!)).toBe(Date.parse(expected));
}

function expectCertId(actual: RequestJson['requests'][number]['certId'], expected: ExpectedCertId) {
  expect(actual.hashAlgorithm.name).toBe(expected.hashAlgorithm);
  expect(actual.issuerNameHash).toBe(expected.issuerNameHash);
  expect(actual.issuerKeyHash).toBe(expected.issuerKeyHash);
  expect(actual.serialNumber).toBe(expected.serialNumber);
}

function expectNonce(
  extensions: readonly { name?: string; value: string }[],
  expected: readonly ExpectedExtension[] = [],
): void {
  const want = expected.find((e) => e.name === 'OCSP Nonce');
  const got = extensions.find((e) => e.name === 'OCSP Nonce');
  expect(got?.value).toBe(want?.nonce_extnValue_hex);
}

function asResponse(json: DecodeJson): ResponseJson {
  if (json.kind !== 'response' || json.responseStatus !== 'successful') {
    throw new Error(`expected a successful response, got ${JSON.stringify(json)}`);
  }
  return json;
}

function asRequest(json: DecodeJson): RequestJson {
  if (json.kind !== 'request') throw new Error(`expected a request, got ${json.kind}`);
  return json;
}

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'staple-cli-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('staple decode --json: responses match openssl (MANIFEST.json)', () => {
  test.each([
    'pyca-resp-sha256.der',
    'pyca-resp-revoked-reason.der',
    'pyca-resp-responder-key-hash.der',
    'pyca-resp-sct-extension.der',
    'bssl-multiple_response_good_revoked.der',
    'awslc-ocsp_response_revoked_sha256.der',
    'go-ocspResponse-gts.der',
  ])('%s', async (file) => {
    const expected = expectedFor<ExpectedResponse>(file);
    const json = asResponse(await decodeJson([join(VECTORS, file)]));
    expect(json.responseStatus).toBe(expected.responseStatus.name);
    const basic = json.basic;
    const responder = expected.responderId;
    expect(basic.responderId).toMatchObject(
      responder.type === 'byName'
        ? { type: 'byName', name: normalizeName(responder.name) }
        : { type: 'byKey', keyHash: responder.keyHash },
    );
    expectSameInstant(basic.producedAt, expected.producedAt);
    expect(basic.signatureAlgorithm.name).toBe(expected.signatureAlgorithm);
    expect(basic.certificates).toHaveLength(expected.certsCount);
    expect(basic.responses).toHaveLength(expected.responsesCount);
    expected.responses.forEach((want, i) => {
      const got = basic.responses[i]!;
      expectCertId(got.certId, want.certId);
      expect(got.certStatus).toBe(want.certStatus);
      expectSameInstant(got.thisUpdate, want.thisUpdate);
      if (want.nextUpdate) expectSameInstant(got.nextUpdate, want.nextUpdate);
      else expect(got.nextUpdate).toBeUndefined();
      if (want.revocationTime) expectSameInstant(got.revocationTime, want.revocationTime);
      expect(got.revocationReason).toBe(want.revocationReason?.name);
    });
    expectNonce(basic.extensions, expected.responseExtensions);
  });
});

describe('staple decode --json: requests match openssl (MANIFEST.json)', () => {
  test.each([
    'pyca-req-sha1.der',
    'pyca-req-multi-sha1.der',
    'pyca-req-ext-nonce.der',
    'awslc-ocsp_request_signed_sha256.der',
  ])('%s', async (file) => {
    const expected = expectedFor<ExpectedRequest>(file);
    const json = asRequest(await decodeJson([join(VECTORS, file)]));
    expect(json.requests).toHaveLength(expected.requestCount);
    expected.requestList.forEach((want, i) => {
      expectCertId(json.requests[i]!.certId, want.certId);
    });
    expect(json.signed).toBe(expected.signed);
    expect(json.certificates).toHaveLength(expected.certsCount);
    expectNonce(json.extensions, expected.requestExtensions);
  });
});

describe('staple decode: text output', () => {
  test('a response shows its fields, values aligned', async () => {
    const { code, stdout, stderr } = await run([
      'decode',
      join(VECTORS, 'pyca-resp-revoked-reason.der'),
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^OCSP Response:\n {2}Status: +successful \(0\)\n/);
    expect(stdout).toMatch(/Produced at: +2018-09-01T19:48:17Z\n/);
    expect(stdout).toMatch(/Serial number: +081D8B989E92FAE68956DCE62A893209A1BC24D3\n/);
    expect(stdout).toMatch(/Cert status: +revoked\n/);
    expect(stdout).toMatch(/Revocation reason: +superseded \(4\)\n/);
    expect(stdout).toMatch(/OCSP Nonce: +3595379F610383878972578FAE99F722\n/);
    expect(stdout).toMatch(/Signature algorithm: +sha256WithRSAEncryption\n/);
    expect(stdout).toMatch(/Certificates: +1\n/);
    const columns = stdout
      .split('\n')
      .filter((line) => /: +\S/.test(line))
      .map((line) => line.search(/(?<=: +)\S/));
    expect(new Set(columns).size).toBe(1);
  });

  test('a request', async () => {
    const { code, stdout } = await run(['decode', join(VECTORS, 'pyca-req-sha1.der')]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^OCSP Request:\n/);
    expect(stdout).toMatch(/Serial number: +98D9E5C0B4C373552DF77C5D0F1EB5128E4945F9\n/);
    expect(stdout).toMatch(/Signed: +no\n/);
  });

  test('a non-successful status is a result: tryLater, exit 0', async () => {
    const file = join(VECTORS, 'awslc-ocsp_response_trylater.der');
    const text = await run(['decode', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Status: +tryLater \(3\)/);
    expect(await decodeJson([file])).toEqual({ kind: 'response', responseStatus: 'tryLater' });
  });
});

describe('staple decode: input formats', () => {
  const der = () => readFileSync(join(VECTORS, 'pyca-resp-sha256.der'));
  const base64 = () => der().toString('base64');

  test('PEM with an OCSP RESPONSE label decodes like the DER', async () => {
    const pem = `-----BEGIN OCSP RESPONSE-----\n${base64().replace(/.{64}/g, '$&\n')}\n-----END OCSP RESPONSE-----\n`;
    writeFileSync(join(tmp, 'resp.pem'), pem);
    expect(await decodeJson([join(tmp, 'resp.pem')])).toEqual(
      await decodeJson([join(VECTORS, 'pyca-resp-sha256.der')]),
    );
  });

  test('PEM with an OCSP REQUEST label', async () => {
    const b64 = readFileSync(join(VECTORS, 'pyca-req-sha1.der')).toString('base64');
    writeFileSync(
      join(tmp, 'req.pem'),
      `-----BEGIN OCSP REQUEST-----\n${b64}\n-----END OCSP REQUEST-----\n`,
    );
    expect((await decodeJson([join(tmp, 'req.pem')])).kind).toBe('request');
  });

  test('bare base64, with a trailing newline', async () => {
    writeFileSync(join(tmp, 'resp.b64'), `${base64()}\n`);
    const json = asResponse(await decodeJson([join(tmp, 'resp.b64')]));
    expect(json.basic.responses[0]?.certId.serialNumber).toBe(
      '031C787A7DC90295007BC5F2220B3B527AF0',
    );
  });

  test('URL-encoded base64 on stdin (as in a GET request path)', async () => {
    const { code, stdout } = await run(['decode', '--json', '-'], {
      input: encodeURIComponent(base64()),
    });
    expect(code).toBe(0);
    expect(asResponse(JSON.parse(stdout)).basic.producedAt).toBe('2018-08-30T11:15:00.000Z');
  });

  test('--request forces a request: a response then fails to decode', async () => {
    const { code, stderr } = await run([
      'decode',
      '--request',
      join(VECTORS, 'pyca-resp-sha256.der'),
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^staple: .* \(ERR_OCSP_MALFORMED\)\n$/);
  });
});

describe('staple: errors and help', () => {
  test('garbage: exit 3, one line naming ERR_OCSP_MALFORMED', async () => {
    const bytes = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    writeFileSync(join(tmp, 'garbage.bin'), bytes);
    const { code, stdout, stderr } = await run(['decode', join(tmp, 'garbage.bin')]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^staple: .*\(ERR_OCSP_MALFORMED\)\n$/);
  });

  test('missing file: exit 3, ERR_INPUT', async () => {
    const { code, stderr } = await run(['decode', join(tmp, 'no-such-file.der')]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^staple: cannot read .*no-such-file\.der: no such file or directory \(ERR_INPUT\)\n$/,
    );
  });

  test('unknown flag: usage error, exit 3', async () => {
    const { code, stderr } = await run(['decode', '--frobnicate', 'x.der']);
    expect(code).toBe(3);
    expect(stderr).toMatch(/unknown option '--frobnicate'.*\(ERR_USAGE\)\n$/);
  });

  test('unknown command and no command: usage error, exit 3', async () => {
    expect((await run(['frobnicate'])).stderr).toMatch(/\(ERR_USAGE\)\n$/);
    expect((await run([])).code).toBe(3);
  });

  test('--help: exit 0, lists commands and exit codes', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/decode <file>/);
    expect(stdout).toMatch(/Exit codes/);
  });

  test('decode --help', async () => {
    const { code, stdout } = await run(['decode', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: staple decode/);
  });
});
