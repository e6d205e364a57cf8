import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEMO_DIR, ensureBuilt, type RunningDemo, startDemoProcess } from './run-demo.js';

// The demo as a visitor meets it: the built binary started the way the README does, the
// commands it prints pasted into a shell, and its page driven in headless Chromium.

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(DEMO_DIR, '../../.reports/demo-page.png');

interface Shell {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function shell(command: string, timeoutMs = 20_000): Promise<Shell> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      { timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface StatusRow {
  readonly keyType: string;
  readonly serialNumber: string;
  readonly status: string;
}

function getJson<T>(demo: RunningDemo, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    https
      .get(new URL(path, demo.url), { ca: readFileSync(demo.rootPem) }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve(JSON.parse(body) as T));
      })
      .on('error', reject);
  });
}

/** The serial the stapled response in s_client's output is about. */
function stapledSerial(output: string): string | undefined {
  return /OCSP Response Data:[\s\S]*?Serial Number: ([0-9A-F]+)/.exec(output)?.[1];
}

describe('demo', () => {
  let demo: RunningDemo;
  let serials: Record<string, string>;

  beforeAll(async () => {
    ensureBuilt();
    demo = await startDemoProcess(['--port', '0', '--ocsp-port', '0']);
    const status = await getJson<{ certificates: StatusRow[] }>(demo, '/api/status');
    serials = Object.fromEntries(status.certificates.map((c) => [c.keyType, c.serialNumber]));
  }, 120_000);

  afterAll(async () => {
    if (!demo) return;
    demo.child.kill('SIGTERM');
    await demo.exited;
  });

  test('prints the URL, the root to trust and commands to paste', () => {
    expect(demo.url).toMatch(/^https:\/\/localhost:\d+\/$/);
    expect(existsSync(demo.rootPem)).toBe(true);
    expect(demo.output).toContain(`--cacert ${demo.rootPem}`);
    expect(demo.commands.map((c) => c.split(' ')[0])).toEqual(['curl', 'openssl', 'openssl']);
    expect(Object.keys(serials).sort()).toEqual(['ecdsa', 'rsa']);
  });

  test('the printed curl --cert-status command succeeds with a good staple', async () => {
    const curl = demo.commands.find((c) => c.startsWith('curl '));
    expect(curl).toContain('--cert-status');
    const result = await shell(`${curl} -sS`);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const { facts } = JSON.parse(result.stdout);
    expect(facts.staple).toMatchObject({ stapled: true, status: 'good' });
    expect(facts.certificate.serialNumber).toBe(serials[facts.certificate.keyType]);
  });

  test('the printed s_client commands show a good staple for the certificate each client got', async () => {
    const [ecdsaCommand, rsaCommand] = demo.commands.filter((c) => c.startsWith('openssl '));
    for (const [command, keyType] of [
      [ecdsaCommand, 'ecdsa'],
      [rsaCommand, 'rsa'],
    ] as const) {
      const result = await shell(command ?? 'false');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain('OCSP Response Status: successful');
      expect(result.stdout).toContain('Cert Status: good');
      expect(result.stdout).toContain('Verify return code: 0 (ok)');
      expect(stapledSerial(result.stdout)).toBe(serials[keyType]);
      const served = /serial=?\s*:?\s*([0-9A-F]+)/i.exec(
        (await shell(`${command} 2>/dev/null | openssl x509 -noout -serial`)).stdout,
      )?.[1];
      expect(served).toBe(serials[keyType]);
    }
  });

  test('the page in headless Chromium shows the staple, and revoke + refresh turns it revoked', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium`).toBe(true);
    const profile = mkdtempSync(join(tmpdir(), 'staple-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      // The demo root is not in Chromium's store; the staple and certificate are read from the page.
      ignoreHTTPSErrors: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-quic',
        '--disable-sync',
      ],
      timeout: 60_000,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(demo.url);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
      const text = (id: string) => page.getByTestId(id).textContent();

      expect(await text('cert-key-type')).toBe('ECDSA');
      expect(await text('cert-serial')).toBe(serials.ecdsa);
      expect(await text('cert-must-staple')).toContain('yes');
      expect(await text('staple-sent')).toBe('yes');
      expect(await text('staple-status')).toBe('good');
      expect(await text('staple-next-update')).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(await text('staple-responder')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ocsp$/);
      expect(await text('client-versions')).toContain('TLS 1.3');
      expect(await text('client-sni')).toBe('localhost');
      expect(await text('ja4')).toMatch(/^t13d\d{4}/);
      expect(await text('ja3-hash')).toMatch(/^[0-9a-f]{32}$/);
      expect(await page.getByTestId('row-status').allTextContents()).toEqual(['good', 'good']);

      await page.getByTestId('revoke').click();
      await expect.poll(() => text('message'), { timeout: 10_000 }).toContain('Revoked');
      // Revoked at the responder, but the stapler still holds its good response.
      expect(await text('staple-status')).toBe('good');

      await page.getByTestId('refresh').click();
      await expect.poll(() => text('staple-status'), { timeout: 15_000 }).toBe('revoked');
      expect(await text('staple-revocation')).toContain('keyCompromise');
      const rows = await page.locator(
        `tr[data-serial="${serials.ecdsa}"] [data-testid="row-status"]`,
      );
      expect(await rows.textContent()).toBe('revoked');

      mkdirSync(dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });

      // Back to good for the tests that follow.
      await page.getByTestId('unrevoke').click();
      await expect.poll(() => text('message'), { timeout: 10_000 }).toContain('good again');
      await page.getByTestId('refresh').click();
      await expect.poll(() => text('staple-status'), { timeout: 15_000 }).toBe('good');
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }, 120_000);

  test('a port already taken gets a clear message and exit code 1', async () => {
    await expect(
      startDemoProcess(['--port', String(demo.port), '--ocsp-port', '0']),
    ).rejects.toThrow(
      /exited with 1[\s\S]*port \d+ on 127\.0\.0\.1 is already in use[\s\S]*--port/,
    );
  }, 60_000);

  test('flags and environment variables set the ports; --help and bad flags', async () => {
    const help = await shell(`node ${join(DEMO_DIR, 'dist/main.js')} --help`);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('STAPLE_DEMO_PORT');
    const bad = await shell(`node ${join(DEMO_DIR, 'dist/main.js')} --port nope`);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port must be an integer');

    const other = await startDemoProcess([], { STAPLE_DEMO_PORT: '0', STAPLE_DEMO_OCSP_PORT: '0' });
    try {
      expect(other.port).toBeGreaterThan(0);
      expect(other.port).not.toBe(demo.port);
    } finally {
      other.child.kill('SIGTERM');
      const exit = await other.exited;
      expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
      // The PKI folder the demo made for itself is gone.
      expect(existsSync(other.rootPem)).toBe(false);
    }
  }, 60_000);
});
