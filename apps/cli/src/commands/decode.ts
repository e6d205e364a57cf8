/**
 * `staple decode <file>`: prints an OCSP response or request, as text or as JSON. Decoding only:
 * no signature or freshness check (`staple status` and `staple inspect` do that).
 */
import type {
  BasicResponse,
  DecodedRequest,
  DecodedResponse,
  ResponseStatus,
} from '@staple/ocsp-codec';
import { decodeRequest, decodeResponse } from '@staple/ocsp-codec';
import { onePositional, parseCommandArgs } from '../args.js';
import { CliError, EXIT_OK } from '../errors.js';
import { formatRequest, formatResponse } from '../format.js';
import type { Io } from '../io.js';
import type { Json } from '../json.js';
import { toJson } from '../json.js';
import type { MessageKind } from '../read-input.js';
import { readInput } from '../read-input.js';

export const DECODE_HELP = `Usage: staple decode [options] <file>

Prints an OCSP response or request. <file> holds DER, PEM (any label) or base64
(also URL-encoded, as in a GET request); "-" reads stdin. A response is tried
first, then a request (a request first if a PEM label says so), unless
--response or --request says which it is.
A responder's error status (tryLater, unauthorized, ...) is printed, not an error.

Options:
  --json        machine-readable output: bytes as uppercase hex, times as ISO 8601
  --response    the input is an OCSPResponse
  --request     the input is an OCSPRequest
  -h, --help    show this help

Exit codes: 0 decoded, 3 error (usage, unreadable input, malformed OCSP data).
`;

export type Decoded =
  | { readonly kind: 'response'; readonly message: DecodedResponse }
  | { readonly kind: 'request'; readonly message: DecodedRequest };

export async function decodeCommand(args: readonly string[], io: Io): Promise<number> {
  const options = parseDecodeArgs(args);
  if (options.help) {
    io.stdout(DECODE_HELP);
    return EXIT_OK;
  }
  const input = await readInput(options.file, io.stdin);
  const decoded = decodeMessage(input.der, decodeOrder(options.kind, input.kind));
  io.stdout(options.json ? toJson(jsonView(decoded)) : formatDecoded(decoded));
  return EXIT_OK;
}

interface DecodeOptions {
  readonly help: boolean;
  readonly json: boolean;
  readonly kind?: MessageKind;
  readonly file: string;
}

function parseDecodeArgs(args: readonly string[]): DecodeOptions {
  const { values, positionals } = parseCommandArgs('decode', args, {
    json: { type: 'boolean' },
    request: { type: 'boolean' },
    response: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return { help: true, json: false, file: '' };
  if (values.request && values.response) {
    throw new CliError('ERR_USAGE', '--request and --response exclude each other');
  }
  const file = onePositional('decode', positionals, 'a file');
  const kind: MessageKind | undefined = values.request
    ? 'request'
    : values.response
      ? 'response'
      : undefined;
  return { help: false, json: values.json === true, file, ...(kind ? { kind } : {}) };
}

/**
 * Nothing in the bytes says which of the two it is (both are a SEQUENCE), so try each kind in
 * turn. When all fail, the first kind's error is reported: that is the likelier intent.
 */
export function decodeMessage(der: Uint8Array, order: readonly MessageKind[]): Decoded {
  let firstError: unknown;
  for (const kind of order) {
    try {
      return kind === 'response'
        ? { kind, message: decodeResponse(der) }
        : { kind, message: decodeRequest(der) };
    } catch (error) {
      firstError ??= error;
    }
  }
  throw firstError;
}

/** A flag decides; otherwise a PEM label says which to try first; otherwise a response. */
function decodeOrder(forced?: MessageKind, labelled?: MessageKind): readonly MessageKind[] {
  if (forced) return [forced];
  return labelled === 'request' ? ['request', 'response'] : ['response', 'request'];
}

function formatDecoded(decoded: Decoded): string {
  return decoded.kind === 'response'
    ? formatResponse(decoded.message)
    : formatRequest(decoded.message);
}

/** The decoded message with `kind` first, without the input's bytes. */
type DecodeView =
  | ({ kind: 'request' } & Omit<DecodedRequest, 'der'>)
  | { kind: 'response'; responseStatus: Exclude<ResponseStatus, 'successful'> }
  | {
      kind: 'response';
      responseStatus: 'successful';
      responseType: string;
      basic: Omit<BasicResponse, 'tbsResponseData'>;
    };

/** What `--json` prints. */
export type DecodeJson = Json<DecodeView>;

/** `der`, and `tbsResponseData` that is a slice of it, are left out: the caller has them. */
function jsonView(decoded: Decoded): DecodeView {
  if (decoded.kind === 'request') {
    const { der: _der, ...request } = decoded.message;
    return { kind: 'request', ...request };
  }
  const response = decoded.message;
  if (response.responseStatus !== 'successful') {
    return { kind: 'response', responseStatus: response.responseStatus };
  }
  const { tbsResponseData: _tbs, ...basic } = response.basic;
  return {
    kind: 'response',
    responseStatus: response.responseStatus,
    responseType: response.responseType,
    basic,
  };
}
