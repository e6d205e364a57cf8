/**
 * `staple fetch <cert.pem> -o response.der`: a verified OCSP response written to a file, for
 * servers that staple from a file (nginx `ssl_stapling_file`, HAProxy `<cert>.ocsp`).
 */

import { onePositional, parseCommandArgs, timeoutOption } from '../args.js';
import { askResponder, exitCodeFor } from '../ask-responder.js';
import { loadTarget } from '../certificates.js';
import { CliError, EXIT_OK } from '../errors.js';
import type { Io } from '../io.js';
import { type Json, toJson } from '../json.js';
import { type Row, render } from '../rows.js';
import { type StatusView, statusRows, statusView } from '../status-view.js';
import { writeFileAtomic } from '../write-atomic.js';

export const FETCH_HELP = `Usage: staple fetch [options] -o <response.der> <cert.pem>

Fetches the certificate's OCSP response, verifies it as "staple status" does,
and writes it as DER to <response.der>, the file nginx's ssl_stapling_file or
HAProxy's <cert>.ocsp expects. The file is replaced atomically (a temporary
file beside it, then a rename), mode 0644. A response that fails verification
is never written.

  good     written, exit 0
  revoked  written, exit 1: it is a valid, signed answer and the truth, so a
           server keeps stapling it until the certificate is replaced
  unknown  NOT written, exit 2: a server must not staple it
  error    nothing written, any existing file left as it was, exit 3

Options:
  -o, --output <file>  where to write the DER response (required)
  --issuer <file>      the issuer certificate (PEM or DER; a bundle is searched)
  --url <url>          ask this responder instead of the one in the certificate
  --timeout <ms>       give up on the responder after this long (default 5000)
  --json               machine-readable output
  -h, --help           show this help

Exit codes: 0 good, 1 revoked, 2 unknown, 3 error (see above).

Example:
  staple fetch /etc/haproxy/site.pem -o /etc/haproxy/site.pem.ocsp
`;

export interface FetchView extends StatusView {
  readonly output: { readonly path: string; readonly written: boolean; readonly bytes: number };
}

/** What `--json` prints. */
export type FetchJson = Json<FetchView>;

export async function fetchCommand(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('fetch', args, {
    output: { type: 'string', short: 'o' },
    issuer: { type: 'string' },
    url: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(FETCH_HELP);
    return EXIT_OK;
  }
  const file = onePositional('fetch', positionals, 'a certificate file');
  const output = values.output;
  if (output === undefined || output === '') {
    throw new CliError('ERR_USAGE', 'fetch needs -o <file>; see staple fetch --help');
  }
  const timeoutMs = timeoutOption(values.timeout);
  const target = await loadTarget(file, values.issuer);
  const response = await askResponder(target, {
    timeoutMs,
    ...(values.url !== undefined ? { url: values.url } : {}),
  });
  // DESIGN.md: never staple `unknown`; a `revoked` answer is stapled (it is the truth).
  const written = response.certStatus !== 'unknown';
  if (written) await writeFileAtomic(output, response.der);
  const view: FetchView = {
    ...statusView(target, response),
    output: { path: output, written, bytes: response.der.length },
  };
  io.stdout(values.json ? toJson(view) : render([...statusRows(view), outputRow(view)]));
  return exitCodeFor(response.certStatus);
}

function outputRow(view: FetchView): Row {
  const { path, written, bytes } = view.output;
  return written
    ? [0, 'Written', `${path} (${bytes} bytes)`]
    : [0, 'Not written', `${path}: status unknown, which a server must not staple`];
}
