import { describe, expect, test } from 'vitest';
import { run } from './helpers.js';

const COMMANDS = ['status', 'fetch', 'inspect', 'hello', 'decode'] as const;

describe('staple --help', () => {
  test('lists every command and the exit codes', async () => {
    const { code, stdout, stderr } = await run(['--help']);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^ {2}${command} `, 'm'));
    expect(stdout).toMatch(/^ {2}0 {2}good/m);
    expect(stdout).toMatch(/^ {2}1 {2}revoked/m);
    expect(stdout).toMatch(/^ {2}2 {2}unknown.*no staple/m);
    expect(stdout).toMatch(/^ {2}3 {2}error/m);
    expect(stdout).toMatch(/--json/);
    expect((await run(['help'])).stdout).toBe(stdout);
    expect((await run(['-h'])).stdout).toBe(stdout);
  });

  test.each(COMMANDS)(
    '%s: --help, -h and the help command print the same usage',
    async (command) => {
      const long = await run([command, '--help']);
      expect(long.code).toBe(0);
      expect(long.stderr).toBe('');
      expect(long.stdout).toMatch(new RegExp(`^Usage: staple ${command} `));
      expect(long.stdout).toMatch(/--json/);
      expect(long.stdout).toMatch(/Exit codes/);
      expect((await run([command, '-h'])).stdout).toBe(long.stdout);
      expect((await run(['help', command])).stdout).toBe(long.stdout);
    },
  );

  // What each exit code means, as the help text says it (the tests of each command check that
  // the binary does what it says).
  test.each([
    [
      'status',
      [/^ {2}0 {2}good$/m, /^ {2}1 {2}revoked$/m, /^ {2}2 {2}unknown /m, /^ {2}3 {2}error: /m],
    ],
    [
      'fetch',
      [
        /^Exit codes: 0 good, 1 revoked, 2 unknown, 3 error/m,
        /^ {2}unknown {2}NOT written, exit 2/m,
      ],
    ],
    [
      'inspect',
      [
        /^ {2}0 {2}a staple was sent, verified, and says good$/m,
        /^ {2}1 {2}a staple was sent, verified, and says revoked$/m,
        /^ {2}2 {2}no staple was sent, or a verified staple says unknown$/m,
        /^ {2}3 {2}error: /m,
      ],
    ],
  ] as const)('%s --help documents exit codes 0 to 3', async (command, patterns) => {
    const { stdout } = await run([command, '--help']);
    for (const pattern of patterns) expect(stdout).toMatch(pattern);
    expect(stdout).toMatch(/--timeout <ms>/);
  });

  test('help for a command that does not exist: ERR_USAGE', async () => {
    const { code, stderr } = await run(['help', 'frobnicate']);
    expect(code).toBe(3);
    expect(stderr).toBe("staple: unknown command 'frobnicate'; see staple --help (ERR_USAGE)\n");
  });

  test('--version', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
