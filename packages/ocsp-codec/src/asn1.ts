import * as asn1js from 'asn1js';
import { OcspError } from './errors.js';

/** Untrusted OCSP messages never need more than this; larger input is refused before parsing. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * Parses one DER element with asn1js' resource limits. Anything left over after it is an error:
 * trailing bytes are how a tampered message smuggles data past a signature check.
 */
export function parseDer(bytes: Uint8Array, what: string): asn1js.AsnType {
  if (!(bytes instanceof Uint8Array)) {
    throw new OcspError('ERR_OCSP_INVALID_ARGUMENT', `${what}: expected a Uint8Array`);
  }
  if (bytes.length === 0) throw new OcspError('ERR_OCSP_MALFORMED', `${what}: empty input`);
  if (bytes.length > MAX_MESSAGE_BYTES) {
    throw new OcspError('ERR_OCSP_MALFORMED', `${what}: ${bytes.length} bytes is over the limit`);
  }
  let parsed: asn1js.FromBerResult;
  try {
    parsed = asn1js.fromBER(bytes, {
      maxDepth: 40,
      maxNodes: 20_000,
      maxContentLength: bytes.length,
      // Embedded-value detection parses every OCTET/BIT STRING speculatively: slow, and more
      // attack surface. pkijs parses the ones it needs itself.
      parseEmbedded: false,
    });
  } catch (cause) {
    throw new OcspError('ERR_OCSP_MALFORMED', `${what}: not valid DER`, { cause });
  }
  if (parsed.offset === -1 || parsed.result.error) {
    throw new OcspError(
      'ERR_OCSP_MALFORMED',
      `${what}: not valid DER (${parsed.result.error || 'parse error'})`,
    );
  }
  if (parsed.offset !== bytes.length) {
    throw new OcspError(
      'ERR_OCSP_MALFORMED',
      `${what}: ${bytes.length - parsed.offset} trailing bytes at offset ${parsed.offset}`,
    );
  }
  return parsed.result;
}

/** Runs a pkijs schema constructor, turning whatever it throws into ERR_OCSP_MALFORMED. */
export function fromSchema<T>(what: string, build: () => T): T {
  try {
    return build();
  } catch (cause) {
    if (cause instanceof OcspError) throw cause;
    throw new OcspError('ERR_OCSP_MALFORMED', `${what}: does not match the ASN.1 schema`, {
      cause,
    });
  }
}

/** Content octets of an INTEGER as parsed by asn1js. */
export function integerBytes(value: asn1js.Integer): Uint8Array {
  return value.valueBlock.valueHexView;
}
