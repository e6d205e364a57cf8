/**
 * The demo's settings, from flags first, then environment variables, then defaults. Defaults
 * avoid the ports dev servers usually take (3000, 5173, 8080, 8443, 4433).
 */
import { parseArgs } from 'node:util';

export interface DemoOptions {
  /** HTTPS port; 0 picks a free one. */
  readonly port: number;
  /** Address the HTTPS server listens on (loopback unless asked otherwise). */
  readonly host: string;
  /** Port of the demo OCSP responder on 127.0.0.1; 0 picks a free one. */
  readonly ocspPort: number;
  /** Where the demo PKI is written (root.pem for --cacert); default: a new temporary folder. */
  readonly dir: string | undefined;
  /** OCSP response validity in seconds (the stapler refreshes at about half of it). */
  readonly validitySeconds: number;
}

export const DEFAULT_PORT = 7443;
export const DEFAULT_OCSP_PORT = 7080;

export const HELP = `Usage: staple-demo [options]

Starts a test PKI, an OCSP responder and an Express app served with OCSP stapling and
RSA/ECDSA certificate selection, all on loopback. Stop it with Ctrl-C.

Options:
  --port <n>        HTTPS port (env STAPLE_DEMO_PORT, default ${DEFAULT_PORT}; 0 = any free port)
  --host <addr>     listen address (env STAPLE_DEMO_HOST, default 127.0.0.1)
  --ocsp-port <n>   OCSP responder port on 127.0.0.1 (env STAPLE_DEMO_OCSP_PORT, default ${DEFAULT_OCSP_PORT})
  --dir <path>      write the demo PKI here (env STAPLE_DEMO_DIR, default a new temporary folder)
  --validity <s>    OCSP response validity in seconds (env STAPLE_DEMO_VALIDITY, default 3600)
  -h, --help        show this help
`;

export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
  readonly code = 'ERR_DEMO_USAGE';
}

export function parseDemoOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): DemoOptions | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new DemoUsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  return {
    port: port('--port', values.port ?? env.STAPLE_DEMO_PORT, DEFAULT_PORT),
    host: values.host ?? env.STAPLE_DEMO_HOST ?? '127.0.0.1',
    ocspPort: port(
      '--ocsp-port',
      values['ocsp-port'] ?? env.STAPLE_DEMO_OCSP_PORT,
      DEFAULT_OCSP_PORT,
    ),
    dir: values.dir ?? (env.STAPLE_DEMO_DIR || undefined),
    validitySeconds: integer(
      '--validity',
      values.validity ?? env.STAPLE_DEMO_VALIDITY,
      3600,
      60,
      7 * 24 * 3600,
    ),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'ocsp-port': { type: 'string' },
      dir: { type: 'string' },
      validity: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function port(name: string, raw: string | undefined, fallback: number): number {
  return integer(name, raw, fallback, 0, 65535);
}

function integer(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DemoUsageError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}
