import { writeFileSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { fetchOcspResponse } from '@staple/ocsp-client';
import { createTlsServer, type StapleServer } from '@staple/server';
import { startTestOcsp, type TestLeaf, type TestOcsp } from '@staple/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { InspectJson } from '../src/commands/inspect.js';
import { closedPort, run, runJson, tempDir } from './helpers.js';

// `staple inspect` against real TLS servers on 127.0.0.1: @staple/server with RSA and ECDSA
// certificates and a testkit responder, and plain node:tls servers that staple nothing or
// staple the wrong certificate's response (Node's own dual-certificate mistake).

let ocsp: TestOcsp;
let dir: ReturnType<typeof tempDir>;
let rootFile: string;
let staple: StapleServer;
let staplePort: number;
const servers: Server[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  ocsp = await startTestOcsp();
  dir = tempDir('inspect');
  rootFile = join(dir.path, 'root.pem');
  writeFileSync(rootFile, ocsp.pki.rootPem);
  staple = createTlsServer({
    certificates: ocsp.pki.leaves.map((l) => ({ key: l.privateKeyPem, cert: l.chainPem })),
  });
  await staple.ready();
  staplePort = await listen(staple);
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all([staple, ...servers].map(close));
  await ocsp?.close();
  dir?.remove();
});

async function listen(server: Server): Promise<number> {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

function close(server: Server | undefined): Promise<void> {
  if (!server?.listening) return Promise.resolve();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A plain node:tls server for one leaf; `staple` is what its OCSPRequest handler sends. */
async function plainServer(leaf: TestLeaf, stapled?: Uint8Array): Promise<number> {
  const server = tls.createServer({ key: leaf.privateKeyPem, cert: leaf.chainPem }, (socket) =>
    socket.end(),
  );
  if (stapled) {
    server.on('OCSPRequest', (_cert, _issuer, done) => done(null, Buffer.from(stapled)));
  }
  servers.push(server);
  return listen(server);
}

async function responseFor(leaf: TestLeaf): Promise<Uint8Array> {
  return (await fetchOcspResponse(leaf.certificate, ocsp.pki.intermediate.certificate)).der;
}

describe('staple inspect: @staple/server with RSA and ECDSA certificates', () => {
  test('the ECDSA certificate and its staple, verified: exit 0', async () => {
    const leaf = ocsp.pki.leaf('ecdsa');
    const { code, stdout, stderr } = await run([
      'inspect',
      `127.0.0.1:${staplePort}`,
      '--ca',
      rootFile,
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}Chain verified: +yes, against .*root\.pem$/m);
    expect(stdout).toMatch(/^ {2}Key: +ECDSA P-256$/m);
    expect(stdout).toMatch(/^ {2}Must-Staple: +no$/m);
    expect(stdout).toMatch(/^ {2}IP addresses: +127\.0\.0\.1, ::1$/m);
    const [certificate, stapled] = stdout.split('\nStaple:\n');
    expect(certificate).toMatch(new RegExp(`Serial number: +${leaf.serialNumber}\\n`));
    expect(stapled).toMatch(/^ {2}Verified: +yes, signed by the issuer$/m);
    expect(stapled).toMatch(new RegExp(`^ {2}Serial number: +${leaf.serialNumber}$`, 'm'));
    expect(stapled).toMatch(/^ {2}Cert status: +good$/m);
    expect(stdout).toMatch(/^Result: +good: /m);
  });

  test('--sigalgs without ECDSA: the RSA certificate, and its own staple', async () => {
    const leaf = ocsp.pki.leaf('rsa');
    const { code, json } = await runJson<InspectJson>([
      'inspect',
      `127.0.0.1:${staplePort}`,
      '--ca',
      rootFile,
      '--sigalgs',
      'RSA-PSS+SHA256:RSA+SHA256',
    ]);
    expect(code).toBe(0);
    expect(json.certificate.serialNumber).toBe(leaf.serialNumber);
    expect(json.certificate.key).toEqual({ type: 'rsa', bits: 2048 });
    expect(json.staple).toMatchObject({ verified: true, serialNumber: leaf.serialNumber });
  });

  test('--json: the whole shape', async () => {
    const leaf = ocsp.pki.leaf('ecdsa');
    const { code, json } = await runJson<InspectJson>([
      'inspect',
      `localhost:${staplePort}`,
      '--ca',
      rootFile,
    ]);
    expect(code).toBe(0);
    expect(json).toEqual({
      address: `localhost:${staplePort}`,
      servername: 'localhost',
      protocol: 'TLSv1.3',
      cipher: expect.stringMatching(/^TLS_/),
      chainVerified: { verified: true, against: 'ca-file', caFile: rootFile },
      certificate: {
        subject: 'O=Staple Testkit, CN=localhost',
        issuer: expect.stringContaining('Intermediate'),
        serialNumber: leaf.serialNumber,
        key: { type: 'ec', curve: 'P-256', bits: 256 },
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1', '::1'],
        notBefore: expect.stringMatching(/Z$/),
        notAfter: expect.stringMatching(/Z$/),
        mustStaple: false,
        ocspUrls: [ocsp.responder.url],
      },
      chain: [
        expect.objectContaining({ subject: expect.stringContaining('Intermediate') }),
        expect.objectContaining({ subject: expect.stringContaining('Root') }),
      ],
      staple: {
        present: true,
        bytes: expect.any(Number),
        verified: true,
        serialNumber: leaf.serialNumber,
        certStatus: 'good',
        thisUpdate: expect.any(String),
        nextUpdate: expect.any(String),
        producedAt: expect.any(String),
        signer: { kind: 'issuer', subject: expect.stringContaining('Intermediate') },
      },
      result: 'good',
    });
  });

  test('without --ca: the chain is not trusted (reported), the staple still checked', async () => {
    const { code, json } = await runJson<InspectJson>(['inspect', `127.0.0.1:${staplePort}`]);
    expect(code).toBe(0);
    expect(json.servername).toBeNull();
    expect(json.chainVerified).toEqual({
      verified: false,
      against: 'default-store',
      error: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    });
    expect(json.staple).toMatchObject({ verified: true, certStatus: 'good' });
  });

  test('revoked, once the server has refreshed: exit 1', async () => {
    const leaf = ocsp.pki.leaf('ecdsa');
    ocsp.responder.revoke(leaf, { reason: 'keyCompromise' });
    try {
      await staple.stapler!.refresh(leaf.certificate);
      const text = await run(['inspect', `127.0.0.1:${staplePort}`, '--ca', rootFile]);
      expect(text.code).toBe(1);
      expect(text.stdout).toMatch(/^ {2}Cert status: +revoked$/m);
      expect(text.stdout).toMatch(/^ {2}Revocation reason: +keyCompromise \(1\)$/m);
      expect(text.stdout).toMatch(/^Result: +REVOKED/m);
    } finally {
      ocsp.responder.unrevoke(leaf);
      await staple.stapler!.refresh(leaf.certificate);
    }
  });
});

describe('staple inspect: plain node:tls servers', () => {
  test('no stapling: exit 2, "no staple"', async () => {
    const port = await plainServer(ocsp.pki.leaf('rsa'));
    const text = await run(['inspect', `127.0.0.1:${port}`, '--ca', rootFile]);
    expect(text.code).toBe(2);
    expect(text.stderr).toBe('');
    expect(text.stdout).toMatch(/^ {2}Present: +no$/m);
    expect(text.stdout).toMatch(/^Result: +no staple: the server sent no OCSP response$/m);
    const { code, json } = await runJson<InspectJson>(['inspect', `127.0.0.1:${port}`]);
    expect(code).toBe(2);
    expect(json.staple).toEqual({ present: false });
    expect(json.result).toBe('no-staple');
  });

  test("the other certificate's staple: exit 3, the report, and why on stderr", async () => {
    const served = ocsp.pki.leaf('ecdsa');
    const other = ocsp.pki.leaf('rsa');
    const port = await plainServer(served, await responseFor(other));
    const { code, stdout, stderr } = await run(['inspect', `127.0.0.1:${port}`]);
    expect(code).toBe(3);
    expect(stdout).toMatch(
      /^ {2}Verified: +no: no SingleResponse for serial .*\(ERR_OCSP_CERTID_MISMATCH\)$/m,
    );
    expect(stdout).toMatch(
      new RegExp(`^ {2}Serial number: +${other.serialNumber} \\(unverified\\)$`, 'm'),
    );
    expect(stdout).toMatch(/^Result: +invalid staple/m);
    expect(stderr).toMatch(
      /^staple: the stapled response failed verification: .* \(ERR_OCSP_CERTID_MISMATCH\)\n$/,
    );
    const { json } = await runJson<InspectJson>(['inspect', `127.0.0.1:${port}`]);
    expect(json.result).toBe('invalid-staple');
    expect(json.staple).toMatchObject({
      present: true,
      verified: false,
      error: { code: 'ERR_OCSP_CERTID_MISMATCH' },
      claimed: { serialNumber: other.serialNumber, certStatus: 'good' },
    });
  });

  test('a Must-Staple certificate with its own staple: shown, exit 0', async () => {
    const leaf = await ocsp.pki.issueLeaf({
      name: 'muststaple',
      keyType: 'ecdsa-p256',
      mustStaple: true,
    });
    const port = await plainServer(leaf, await responseFor(leaf));
    const { code, json } = await runJson<InspectJson>([
      'inspect',
      `127.0.0.1:${port}`,
      '--ca',
      rootFile,
    ]);
    expect(code).toBe(0);
    expect(json.certificate.mustStaple).toBe(true);
    expect(json.staple).toMatchObject({ verified: true, serialNumber: leaf.serialNumber });
  });
});

describe('staple inspect: failures', () => {
  test('connection refused: exit 3, ERR_CONNECT', async () => {
    const port = await closedPort();
    const { code, stdout, stderr } = await run(['inspect', `127.0.0.1:${port}`]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `staple: cannot connect to 127.0.0.1:${port}: connection refused (ERR_CONNECT)\n`,
    );
  });

  test('a server that never answers: exit 3 after --timeout, ERR_TIMEOUT', async () => {
    const silent = createNetServer(() => {});
    servers.push(silent);
    const port = await listen(silent);
    const { code, stderr, ms } = await run(['inspect', `127.0.0.1:${port}`, '--timeout', '400']);
    expect(code).toBe(3);
    expect(stderr).toBe(
      `staple: no TLS handshake with 127.0.0.1:${port} within 400 ms (ERR_TIMEOUT)\n`,
    );
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(5_000);
  });

  test('not TLS: exit 3, ERR_TLS', async () => {
    const http = createNetServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    servers.push(http);
    const port = await listen(http);
    const { code, stderr } = await run(['inspect', `127.0.0.1:${port}`]);
    expect(code).toBe(3);
    expect(stderr).toMatch(
      /^staple: TLS handshake with 127\.0\.0\.1:\d+ failed: .* \(ERR_TLS\)\n$/,
    );
  });

  test('bad addresses and a missing --ca file: usage and input errors', async () => {
    expect((await run(['inspect', '[not-ipv6]:443'])).stderr).toMatch(
      /bad address '\[not-ipv6\]:443': not-ipv6 is not an IPv6 address \(ERR_USAGE\)\n$/,
    );
    expect((await run(['inspect', '127.0.0.1:99999'])).stderr).toMatch(
      /port must be 1 to 65535, got '99999' \(ERR_USAGE\)\n$/,
    );
    expect((await run(['inspect'])).stderr).toMatch(/inspect needs an address.*\(ERR_USAGE\)\n$/);
    expect((await run(['inspect', '127.0.0.1:1', '--sigalgs', 'nonsense'])).stderr).toMatch(
      /--sigalgs 'nonsense' is not a list OpenSSL takes.*\(ERR_USAGE\)\n$/,
    );
    expect((await run(['inspect', '127.0.0.1:1', '--servername', '127.0.0.1'])).stderr).toBe(
      'staple: --servername must be a host name: SNI cannot carry an IP address (RFC 6066 §3) (ERR_USAGE)\n',
    );
    const missing = await run(['inspect', '127.0.0.1:1', '--ca', join(dir.path, 'nope.pem')]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(
      /cannot read .*nope\.pem: no such file or directory \(ERR_INPUT\)\n$/,
    );
  });
});
