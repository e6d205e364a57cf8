import type * as asn1js from 'asn1js';
import type * as pkijs from 'pkijs';
import { toHex } from './bytes.js';
import { malformed, oid, sequence, set } from './der.js';
import { NAME_ATTRIBUTES } from './oids.js';

/**
 * A Name in one line, in DER order, `C=US, O=Example, CN=Example CA` (openssl's oneline order,
 * without its spaces around `=`). Values that are not strings are shown as `#hex`.
 */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => attribute(tv.type, tv.value)).join(', ');
}

/** The same, read straight from a parsed Name (RDNSequence) element. */
export function formatNameElement(name: asn1js.AsnType, what: string): string {
  const parts: string[] = [];
  for (const rdn of sequence(name, what)) {
    for (const atv of set(rdn, what)) {
      const [type, value] = sequence(atv, what);
      if (!value) throw malformed(what, 'attribute without a value');
      parts.push(attribute(oid(type, what), value));
    }
  }
  return parts.join(', ');
}

function attribute(type: string, value: unknown): string {
  const key = NAME_ATTRIBUTES[type] ?? type;
  const block = (value as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } })
    .valueBlock;
  const text =
    typeof block?.value === 'string'
      ? block.value
      : `#${toHex(block?.valueHexView ?? new Uint8Array())}`;
  return `${key}=${text}`;
}
