/**
 * `staple status <cert.pem>`: asks the certificate's OCSP responder about it, like
 * `openssl ocsp -issuer ... -cert ... -url ...`, and exits with what the verified answer says.
 */

import { onePositional, parseCommandArgs, timeoutOption } from '../args.js';
import { askResponder, exitCodeFor } from '../ask-responder.js';
import { loadTarget } from '../certificates.js';
import { EXIT_OK } from '../errors.js';
import type { Io } from '../io.js';
import { type Json, toJson } from '../json.js';
import { render } from '../rows.js';
import { type StatusView, statusRows, statusView } from '../status-view.js';

export const STATUS_HELP = `Usage: staple status [options] <cert.pem>

Asks the certificate's OCSP responder (the URL in its AIA extension, or --url)
about it, verifies the answer against the issuer (signature, authorised signer,
CertID, thisUpdate/nextUpdate), and prints the status, thisUpdate, nextUpdate,
producedAt and the responder URL, with the revocation time and reason when
revoked. <cert.pem> is PEM or DER; when it is a bundle (the certificate, then
its chain), the issuer is taken from it unless --issuer is given.

Options:
  --issuer <file>   the issuer certificate (PEM or DER; a bundle is searched)
  --url <url>       ask this responder instead of the one in the certificate
  --timeout <ms>    give up on the responder after this long (default 5000)
  --json            machine-readable output: times as ISO 8601
  -h, --help        show this help

Exit codes:
  0  good
  1  revoked
  2  unknown (the responder does not know the certificate)
  3  error: usage, unreadable certificate, no issuer, responder unreachable or
     too slow, HTTP error, a response that fails verification or is not
     "successful" (tryLater, unauthorized, ...)

Example:
  staple status --json /etc/nginx/fullchain.pem
`;

/** What `--json` prints. */
export type StatusJson = Json<StatusView>;

export async function statusCommand(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('status', args, {
    issuer: { type: 'string' },
    url: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(STATUS_HELP);
    return EXIT_OK;
  }
  const file = onePositional('status', positionals, 'a certificate file');
  const timeoutMs = timeoutOption(values.timeout);
  const target = await loadTarget(file, values.issuer);
  const response = await askResponder(target, {
    timeoutMs,
    ...(values.url !== undefined ? { url: values.url } : {}),
  });
  const view = statusView(target, response);
  io.stdout(values.json ? toJson(view) : render(statusRows(view)));
  return exitCodeFor(response.certStatus);
}
