/**
 * `staple hello <capture>`: what a client offered in its ClientHello, with IANA names, and its
 * JA3 and JA4 fingerprints: the facts a server's certificate choice and stapling depend on.
 */
import { onePositional, parseCommandArgs } from '../args.js';
import { parseCapture } from '../capture-input.js';
import { EXIT_OK } from '../errors.js';
import { type HelloView, helloRows, helloView } from '../hello-view.js';
import type { Io } from '../io.js';
import { type Json, toJson } from '../json.js';
import { readBytes } from '../read-input.js';
import { render } from '../rows.js';

export const HELLO_HELP = `Usage: staple hello [options] <capture>

Parses a TLS ClientHello capture and prints what the client offers: versions,
cipher suites, groups and key shares, signature schemes, SNI, ALPN, whether it
asks for a stapled OCSP response (status_request), every extension, GREASE
values (RFC 8701), and its JA3 (string and MD5) and JA4 fingerprints.

<capture> holds the first bytes the client sent (TLS records, as a socket
reads them) or a bare handshake message (type 0x01), as raw bytes, hex (spaces
and colons allowed) or base64; "-" reads stdin. The capture must hold the
whole ClientHello and nothing after it.

Options:
  --json      machine-readable output: each code with its name and a grease flag;
              a list is null when its extension was not sent
  -h, --help  show this help

Exit codes: 0 parsed, 3 error (usage, unreadable file, not a ClientHello: the
ERR_CLIENT_HELLO_* code and the byte offset say what is wrong).

Example (capture what a client sends first, stop both, then read it):
  nc -l 9999 > hello.bin &
  openssl s_client -connect 127.0.0.1:9999 -servername example.com -status
  staple hello hello.bin
`;

/** What `--json` prints. */
export type HelloJson = Json<HelloView>;

export async function helloCommand(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('hello', args, {
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(HELLO_HELP);
    return EXIT_OK;
  }
  const file = onePositional('hello', positionals, 'a capture file');
  const view = helloView(parseCapture(await readBytes(file, io.stdin)));
  io.stdout(values.json ? toJson(view) : render(helloRows(view)));
  return EXIT_OK;
}
