import type * as pkijs from 'pkijs';
import { toHex } from './bytes.js';
import { NAME_ATTRIBUTES } from './oids.js';

/**
 * A Name in one line, in DER order, `C=US, O=Example, CN=Example CA` (openssl's oneline order,
 * without its spaces around `=`). Values that are not strings are shown as `#hex`.
 */
export function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const key = NAME_ATTRIBUTES[tv.type] ?? tv.type;
      const block = (tv.value as { valueBlock?: { value?: unknown; valueHexView?: Uint8Array } })
        .valueBlock;
      const value =
        typeof block?.value === 'string'
          ? block.value
          : `#${toHex(block?.valueHexView ?? new Uint8Array())}`;
      return `${key}=${value}`;
    })
    .join(', ');
}
