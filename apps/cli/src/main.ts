#!/usr/bin/env node
/**
 * The `staple` command: dispatches to one module per command under `commands/`. Every failure
 * prints one line, `staple: <message> (<code>)`, on stderr and exits with 3.
 */
import { readFileSync } from 'node:fs';
import { DECODE_HELP, decodeCommand } from './commands/decode.js';
import { FETCH_HELP, fetchCommand } from './commands/fetch.js';
import { HELLO_HELP, helloCommand } from './commands/hello.js';
import { INSPECT_HELP, inspectCommand } from './commands/inspect.js';
import { STATUS_HELP, statusCommand } from './commands/status.js';
import { CliError, EXIT_ERROR, EXIT_OK, errorLine } from './errors.js';
import type { Io } from './io.js';

const HELP = `Usage: staple <command> [options]

Commands:
  status <cert.pem>       ask the certificate's OCSP responder; verify; print the status
  fetch <cert.pem> -o f   write a verified OCSP response (DER) for a server to staple
  inspect <host:port>     show a TLS server's certificate and verify its stapled response
  hello <capture>         parse a captured ClientHello: offers, JA3, JA4
  decode <file>           print an OCSP response or request (DER, PEM or base64)
  help <command>          show a command's help

Options:
  -h, --help      show this help (staple <command> --help for a command's)
  -v, --version   print the version
  --json          (every command) machine-readable output on stdout

Exit codes:
  0  good (status, fetch, inspect: a verified good response); success (decode, hello)
  1  revoked: a verified response says so
  2  unknown: a verified response says so; inspect: the server sent no staple
  3  error: bad arguments, unreadable input, unreachable responder or server,
     timeout, a response that fails verification, malformed data
     (usage errors exit 3 too, not 64, so a script has one error code to check)
  Errors print one line on stderr: staple: <message> (<code>).

Examples:
  staple status --json fullchain.pem
  staple fetch fullchain.pem -o /etc/nginx/ocsp/site.der
  staple inspect example.com:443
  staple hello clienthello.bin
  staple decode response.der
`;

interface Command {
  readonly run: (args: readonly string[], io: Io) => Promise<number>;
  readonly help: string;
}

const COMMANDS: Record<string, Command> = {
  status: { run: statusCommand, help: STATUS_HELP },
  fetch: { run: fetchCommand, help: FETCH_HELP },
  inspect: { run: inspectCommand, help: INSPECT_HELP },
  hello: { run: helloCommand, help: HELLO_HELP },
  decode: { run: decodeCommand, help: DECODE_HELP },
};

const io: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new CliError('ERR_USAGE', 'no command given; see staple --help');
  if (first === '-h' || first === '--help' || first === 'help') {
    io.stdout(rest[0] === undefined ? HELP : command(rest[0]).help);
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    io.stdout(`${version()}\n`);
    return EXIT_OK;
  }
  return command(first).run(rest, io);
}

function command(name: string): Command {
  const found = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (found) return found;
  const what = name.startsWith('-') ? 'option' : 'command';
  throw new CliError('ERR_USAGE', `unknown ${what} '${name}'; see staple --help`);
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
