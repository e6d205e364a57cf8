import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeResponse } from '@staple/ocsp-codec';
import { startTestOcsp, type TestOcsp, type TestPkiFiles, writeTestPki } from '@staple/testkit';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { FetchJson } from '../src/commands/fetch.js';
import { openssl, run, runJson, tempDir } from './helpers.js';

// `staple fetch` against the testkit's real responder; what it writes is read back by openssl.

let ocsp: TestOcsp;
let files: TestPkiFiles;
let dir: ReturnType<typeof tempDir>;
/** A fresh, empty output directory per test, so leftovers (temp files) can be seen. */
let out: string;
let count = 0;

beforeAll(async () => {
  ocsp = await startTestOcsp();
  dir = tempDir('fetch');
  files = await writeTestPki(ocsp.pki, join(dir.path, 'pki'));
});

afterAll(async () => {
  await ocsp?.close();
  dir?.remove();
});

beforeEach(() => {
  out = join(dir.path, `out-${++count}`);
  mkdirSync(out);
});

afterEach(() => {
  ocsp.responder.setFault(null);
  for (const leaf of ocsp.pki.leaves) ocsp.responder.setStatus(leaf, 'good');
});

/** openssl's own reading of a response file: `openssl ocsp -respin`, verified. */
function readWithOpenssl(file: string, leaf: 'rsa' | 'ecdsa') {
  return openssl([
    'ocsp',
    '-respin',
    file,
    '-issuer',
    files.intermediate,
    '-cert',
    files.leaves[leaf]!.certificate,
    '-VAfile',
    files.intermediate,
    '-resp_text',
  ]);
}

describe('staple fetch: writes what a server staples', () => {
  test('good: exit 0, a DER file openssl verifies and reads as good', async () => {
    const file = join(out, 'rsa.ocsp');
    const { code, stdout, stderr } = await run(['fetch', files.leaves['rsa']!.chain, '-o', file]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Cert status: +good$/m);
    const der = readFileSync(file);
    expect(stdout).toContain(`${file} (${der.length} bytes)\n`);
    expect(der[0]).toBe(0x30);
    const read = await readWithOpenssl(file, 'rsa');
    expect(read.stderr).toContain('Response verify OK');
    expect(read.stdout).toContain(`${files.leaves['rsa']!.certificate}: good`);
    expect(read.stdout).toContain('Cert Status: good');
    expect(read.stdout).toContain(`Serial Number: ${ocsp.pki.leaf('rsa').serialNumber}`);
    expect((statSync(file).mode & 0o777).toString(8)).toBe('644');
    // Only the file itself: the temporary file was renamed, not left behind.
    expect(readdirSync(out)).toEqual(['rsa.ocsp']);
  });

  test('--json: the status and where it was written', async () => {
    const file = join(out, 'ecdsa.der');
    const { code, json } = await runJson<FetchJson>([
      'fetch',
      files.leaves['ecdsa']!.certificate,
      '--issuer',
      files.intermediate,
      '--output',
      file,
    ]);
    expect(code).toBe(0);
    expect(json).toMatchObject({
      certificate: { serialNumber: ocsp.pki.leaf('ecdsa').serialNumber },
      certStatus: 'good',
      output: { path: file, written: true, bytes: statSync(file).size },
    });
    const decoded = decodeResponse(readFileSync(file));
    if (decoded.responseStatus !== 'successful') throw new Error('not successful');
    expect(decoded.basic.responses[0]!.certId.serialNumber).toBe(
      ocsp.pki.leaf('ecdsa').serialNumber,
    );
  });

  test('replaces an existing file by rename (a new inode), never in place', async () => {
    const file = join(out, 'rsa.ocsp');
    writeFileSync(file, 'old staple');
    const before = statSync(file).ino;
    expect((await run(['fetch', files.leaves['rsa']!.chain, '-o', file])).code).toBe(0);
    expect(statSync(file).ino).not.toBe(before);
    expect(readFileSync(file)[0]).toBe(0x30);
    expect(readdirSync(out)).toEqual(['rsa.ocsp']);
  });

  test('revoked: written (a valid staple, and the truth), exit 1', async () => {
    ocsp.responder.revoke(ocsp.pki.leaf('rsa'), { reason: 'superseded' });
    const file = join(out, 'rsa.ocsp');
    const { code, json } = await runJson<FetchJson>([
      'fetch',
      files.leaves['rsa']!.chain,
      '-o',
      file,
    ]);
    expect(code).toBe(1);
    expect(json.certStatus).toBe('revoked');
    expect(json.revocationReason).toBe('superseded');
    expect(json.output.written).toBe(true);
    const read = await readWithOpenssl(file, 'rsa');
    expect(read.stderr).toContain('Response verify OK');
    expect(read.stdout).toContain(`${files.leaves['rsa']!.certificate}: revoked`);
    expect(read.stdout).toContain('Reason: superseded');
  });

  test('unknown: not written (never stapled), an existing file left alone, exit 2', async () => {
    ocsp.responder.setStatus(ocsp.pki.leaf('ecdsa'), 'unknown');
    const file = join(out, 'ecdsa.ocsp');
    writeFileSync(file, 'previous staple');
    const text = await run(['fetch', files.leaves['ecdsa']!.chain, '-o', file]);
    expect(text.code).toBe(2);
    expect(text.stdout).toMatch(
      /^Not written: +.*status unknown, which a server must not staple$/m,
    );
    expect(readFileSync(file, 'utf8')).toBe('previous staple');
    const { json } = await runJson<FetchJson>(['fetch', files.leaves['ecdsa']!.chain, '-o', file]);
    expect(json.output).toEqual({ path: file, written: false, bytes: expect.any(Number) });
  });
});

describe('staple fetch: never writes an unverified response', () => {
  test.each([
    ['wrong-signer', 'ERR_OCSP_UNAUTHORIZED_SIGNER'],
    ['expired', 'ERR_OCSP_EXPIRED'],
    ['other-certificate', 'ERR_OCSP_CERTID_MISMATCH'],
    ['garbage', 'ERR_OCSP_MALFORMED'],
  ] as const)('%s: exit 3 with %s, nothing written', async (kind, errorCode) => {
    ocsp.responder.setFault({ kind });
    const file = join(out, 'rsa.ocsp');
    const { code, stdout, stderr } = await run(['fetch', files.leaves['rsa']!.chain, '-o', file]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^staple: .* \\(${errorCode}\\)\\n$`));
    expect(readdirSync(out)).toEqual([]);
  });

  test('a failed fetch leaves an existing file as it was', async () => {
    ocsp.responder.setFault({ kind: 'hang' });
    const file = join(out, 'rsa.ocsp');
    writeFileSync(file, 'previous staple');
    const { code, stderr } = await run([
      'fetch',
      files.leaves['rsa']!.chain,
      '-o',
      file,
      '--timeout',
      '300',
    ]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/\(ERR_OCSP_CLIENT_TIMEOUT\)\n$/);
    expect(readFileSync(file, 'utf8')).toBe('previous staple');
    expect(readdirSync(out)).toEqual(['rsa.ocsp']);
  });
});

describe('staple fetch: usage and output errors', () => {
  test('-o is required', async () => {
    const { code, stderr } = await run(['fetch', files.leaves['rsa']!.chain]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/fetch needs -o <file>.*\(ERR_USAGE\)\n$/);
  });

  test('an output directory that does not exist: ERR_OUTPUT, nothing left behind', async () => {
    const file = join(out, 'missing', 'rsa.ocsp');
    const { code, stderr } = await run(['fetch', files.leaves['rsa']!.chain, '-o', file]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^staple: cannot write .*missing\/rsa\.ocsp: no such file or directory \(ERR_OUTPUT\)\n$/,
    );
    expect(existsSync(join(out, 'missing'))).toBe(false);
  });
});
