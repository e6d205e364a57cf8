/**
 * `staple inspect <host:port>`: connects like `openssl s_client -status`, shows the served
 * certificate and checks the stapled OCSP response against it.
 */
import { encodePem, parseCertificate } from '@staple/ocsp-codec';
import { parseAddress } from '../address.js';
import { onePositional, parseCommandArgs, timeoutOption } from '../args.js';
import { readCertificates } from '../certificates.js';
import { CliError, EXIT_ERROR, EXIT_OK, EXIT_REVOKED, EXIT_UNKNOWN, errorLine } from '../errors.js';
import { type InspectResult, type InspectView, inspectRows, inspectView } from '../inspect-view.js';
import type { Io } from '../io.js';
import { type Json, toJson } from '../json.js';
import { render } from '../rows.js';
import { checkStaple } from '../staple-check.js';
import { checkProbeOptions, probeTls } from '../tls-probe.js';

export const INSPECT_HELP = `Usage: staple inspect [options] <host:port>

Connects to a TLS server asking for a stapled OCSP response (status_request),
like "openssl s_client -status", and shows the certificate it serves (subject,
issuer, serial, key type, SANs, validity, Must-Staple) and the staple, verified
against that certificate and its issuer: the next certificate in the chain the
server sent (or, when the server left it out, the one found in the CA store).

Any certificate is accepted so that a broken one can be looked at; whether the
chain verified (against --ca, or Node's default CA store) and matched the name
is reported, and does not change the exit code.

<host:port> is host:port, [IPv6]:port, or a host alone for port 443.

Options:
  --servername <name>  SNI to send (default: the host, unless it is an address)
  --ca <file>          verify the chain against these CA certificates (PEM/DER)
  --sigalgs <list>     signature algorithms to offer, OpenSSL syntax, to make a
                       server with RSA and ECDSA certificates show one of them,
                       e.g. RSA-PSS+SHA256:RSA+SHA256 or ECDSA+SHA256
  --timeout <ms>       for connecting and the handshake (default 5000)
  --json               machine-readable output: times as ISO 8601
  -h, --help           show this help

Exit codes:
  0  a staple was sent, verified, and says good
  1  a staple was sent, verified, and says revoked
  2  no staple was sent, or a verified staple says unknown
  3  error: usage, cannot connect, timeout, TLS handshake failed, or a staple
     was sent that fails verification (wrong certificate, bad signature,
     expired, ...): the report is printed, then the reason on stderr

Example:
  staple inspect example.com:443
  staple inspect --ca root.pem --servername www.example.com [2001:db8::1]:8443
`;

/** What `--json` prints. */
export type InspectJson = Json<InspectView>;

const EXIT_CODES: Record<InspectResult, number> = {
  good: EXIT_OK,
  revoked: EXIT_REVOKED,
  unknown: EXIT_UNKNOWN,
  'no-staple': EXIT_UNKNOWN,
  'invalid-staple': EXIT_ERROR,
};

export async function inspectCommand(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs('inspect', args, {
    servername: { type: 'string' },
    ca: { type: 'string' },
    sigalgs: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.stdout(INSPECT_HELP);
    return EXIT_OK;
  }
  const address = parseAddress(onePositional('inspect', positionals, 'an address (host:port)'));
  const timeoutMs = timeoutOption(values.timeout);
  checkProbeOptions({ servername: values.servername, sigalgs: values.sigalgs });
  // Read through the codec so that DER works too and a wrong file fails here, clearly, rather
  // than as a TLS error; node:tls takes PEM.
  const ca =
    values.ca !== undefined
      ? (await readCertificates(values.ca)).map((c) => encodePem(c.der)).join('')
      : undefined;
  const options = {
    ...address,
    timeoutMs,
    ...(values.servername !== undefined ? { servername: values.servername } : {}),
    ...(ca !== undefined ? { ca, caFile: values.ca } : {}),
    ...(values.sigalgs !== undefined ? { sigalgs: values.sigalgs } : {}),
  };
  const probe = await probeTls(options);
  if (probe.chain.length === 0) throw new CliError('ERR_TLS', 'the server sent no certificate');
  const certificates = probe.chain.map((der) => parseCertificate(der));
  const check = await checkStaple(probe.staple, certificates[0]!, certificates[1]);
  const view = inspectView(options, probe, certificates, check);
  io.stdout(values.json ? toJson(view) : render(inspectRows(view)));
  if (check.present && 'error' in check) {
    io.stderr(errorLine(check.error, 'the stapled response failed verification'));
  }
  return EXIT_CODES[view.result];
}
