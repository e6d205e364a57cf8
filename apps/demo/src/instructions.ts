/**
 * What the demo prints once it is up: the URL, how to trust its root, and commands to paste.
 * The commands are also returned one by one so the tests can run exactly what is printed.
 */
import type { Demo } from './demo.js';

export interface DemoCommands {
  /** `curl --cert-status`: exits non-zero unless the staple is present, verified and good. */
  readonly curl: string;
  /** `openssl s_client -status`: prints the stapled response (ECDSA-capable client). */
  readonly sClient: string;
  /** The same from an RSA-only TLS 1.2 client: it gets the RSA certificate and its own staple. */
  readonly sClientRsa: string;
}

export function demoCommands(demo: Demo, host: string): DemoCommands {
  const connect = connectAddress(host, demo.port);
  const root = shellQuote(demo.files.root);
  const sClient = `openssl s_client -connect ${connect} -servername localhost -status -CAfile ${root} </dev/null`;
  return {
    curl: `curl --cacert ${root} --cert-status ${demo.url}api/connection`,
    sClient,
    sClientRsa: sClient.replace(
      ' </dev/null',
      ' -tls1_2 -sigalgs RSA+SHA256 -cipher ECDHE-RSA-AES128-GCM-SHA256 </dev/null',
    ),
  };
}

export function instructions(demo: Demo, host: string): string {
  const commands = demoCommands(demo, host);
  return `Staple demo is running.

  Open:      ${demo.url}
  Trust:     the demo root is ${demo.files.root}
             (curl --cacert ${shellQuote(demo.files.root)}; browsers: accept the warning or import it)
  Responder: ${demo.ocspUrl} (the demo's own OCSP responder)

Try:
  ${commands.curl}
  ${commands.sClient}
  ${commands.sClientRsa}

Press Ctrl-C to stop.
`;
}

/** Where a client on this machine reaches a server listening on `host`. */
function connectAddress(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '' || host === 'localhost') return `127.0.0.1:${port}`;
  if (host === '::') return `[::1]:${port}`;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
