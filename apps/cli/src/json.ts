/** Machine output: byte fields as uppercase hex (as openssl prints hashes), dates as ISO 8601. */
import { toHex } from '@staple/ocsp-codec';

/** The type of `JSON.parse(toJson(value))` for a `value: T`. */
export type Json<T> = T extends Uint8Array
  ? string
  : T extends Date
    ? string
    : T extends readonly (infer U)[]
      ? Json<U>[]
      : T extends object
        ? { -readonly [K in keyof T]: Json<T[K]> }
        : T;

export function toJson(value: unknown): string {
  // Dates are already strings here (JSON.stringify calls toJSON before the replacer).
  return `${JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v), 2)}\n`;
}
