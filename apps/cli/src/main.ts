#!/usr/bin/env node
/**
 * The `staple` command: dispatches to one module per command under `commands/`. Every failure
 * prints one line, `staple: <message> (<code>)`, on stderr and exits with 3.
 */
import { readFileSync } from 'node:fs';
import { DECODE_HELP, decodeCommand } from './commands/decode.js';
import { CliError, EXIT_ERROR, EXIT_OK, errorLine } from './errors.js';

const HELP = `Usage: staple <command> [options]

Commands:
  decode <file>   print an OCSP response or request (DER, PEM or base64)

Options:
  -h, --help      show this help (staple <command> --help for a command's)
  -v, --version   print the version

Exit codes:
  0  success
  3  error: bad arguments, unreadable input, malformed OCSP data
     (usage errors exit 3 too, not 64, so a script has one code to check)
  1 and 2 are reserved for the status-checking commands: 1 revoked, 2 unknown.

Example:
  staple decode response.der
  staple decode --json response.pem
`;

const COMMANDS: Record<string, (args: readonly string[]) => Promise<number>> = {
  decode: (args) => decodeCommand(args, { stdout: write }),
};

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new CliError('ERR_USAGE', 'no command given; see staple --help');
  if (first === '-h' || first === '--help' || first === 'help') {
    write(rest[0] === 'decode' ? DECODE_HELP : HELP);
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    write(`${version()}\n`);
    return EXIT_OK;
  }
  const command = Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (!command) {
    const what = first.startsWith('-') ? 'option' : 'command';
    throw new CliError('ERR_USAGE', `unknown ${what} '${first}'; see staple --help`);
  }
  return command(rest);
}

function write(text: string): void {
  process.stdout.write(text);
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

// Set exitCode instead of calling process.exit(), so output piped to another process is
// flushed before node exits.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(errorLine(error));
    process.exitCode = EXIT_ERROR;
  },
);
