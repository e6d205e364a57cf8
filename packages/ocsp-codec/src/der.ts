import * as asn1js from 'asn1js';
import { copyBytes } from './bytes.js';
import { OcspError } from './errors.js';

/**
 * A small typed walk over an asn1js tree. OCSP's structures are few and fixed, so reading them
 * directly (like Go's x/crypto/ocsp) is several times faster than pkijs' generic schema match,
 * and every mismatch becomes an ERR_OCSP_MALFORMED naming the field.
 */

export function malformed(what: string, detail: string): OcspError {
  return new OcspError('ERR_OCSP_MALFORMED', `${what}: ${detail}`);
}

const UNIVERSAL = 1;
const CONTEXT = 3;

function isUniversal(block: asn1js.AsnType, tag: number): boolean {
  return block.idBlock.tagClass === UNIVERSAL && block.idBlock.tagNumber === tag;
}

export function isContext(block: asn1js.AsnType | undefined, tag: number): boolean {
  return (
    block !== undefined && block.idBlock.tagClass === CONTEXT && block.idBlock.tagNumber === tag
  );
}

/** The elements of a SEQUENCE. */
export function sequence(block: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(block instanceof asn1js.Sequence) || !isUniversal(block, 16)) {
    throw malformed(what, 'expected a SEQUENCE');
  }
  return block.valueBlock.value;
}

/** The elements of a SET. */
export function set(block: asn1js.AsnType | undefined, what: string): asn1js.AsnType[] {
  if (!(block instanceof asn1js.Set) || !isUniversal(block, 17)) {
    throw malformed(what, 'expected a SET');
  }
  return block.valueBlock.value;
}

/** The one element inside an EXPLICIT context tag [n]. */
export function explicit(
  block: asn1js.AsnType | undefined,
  tag: number,
  what: string,
): asn1js.AsnType {
  if (!isContext(block, tag) || !(block instanceof asn1js.Constructed)) {
    throw malformed(what, `expected [${tag}] EXPLICIT`);
  }
  const inner = block.valueBlock.value;
  if (inner.length !== 1) throw malformed(what, `[${tag}] must hold exactly one element`);
  return inner[0]!;
}

export function oid(block: asn1js.AsnType | undefined, what: string): string {
  if (!(block instanceof asn1js.ObjectIdentifier))
    throw malformed(what, 'expected an OBJECT IDENTIFIER');
  return block.valueBlock.toString();
}

export function octets(block: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(block instanceof asn1js.OctetString) || block.idBlock.isConstructed) {
    throw malformed(what, 'expected a primitive OCTET STRING');
  }
  return block.valueBlock.valueHexView;
}

export function bitString(block: asn1js.AsnType | undefined, what: string): asn1js.BitString {
  if (!(block instanceof asn1js.BitString) || block.idBlock.isConstructed) {
    throw malformed(what, 'expected a primitive BIT STRING');
  }
  return block;
}

/** INTEGER content octets. */
export function integer(block: asn1js.AsnType | undefined, what: string): Uint8Array {
  if (!(block instanceof asn1js.Integer)) throw malformed(what, 'expected an INTEGER');
  const bytes = block.valueBlock.valueHexView;
  if (bytes.length === 0) throw malformed(what, 'empty INTEGER');
  return bytes;
}

/** A small non-negative INTEGER or ENUMERATED value; -1 when it does not fit. */
export function smallNumber(block: asn1js.AsnType | undefined, what: string): number {
  if (!(block instanceof asn1js.Integer) && !(block instanceof asn1js.Enumerated)) {
    throw malformed(what, 'expected an INTEGER or ENUMERATED');
  }
  const bytes = block.valueBlock.valueHexView;
  if (bytes.length === 0) throw malformed(what, 'empty value');
  if (bytes.length > 4 || (bytes[0]! & 0x80) !== 0) return -1;
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

export function generalizedTime(block: asn1js.AsnType | undefined, what: string): Date {
  if (!(block instanceof asn1js.GeneralizedTime))
    throw malformed(what, 'expected a GeneralizedTime');
  const date = block.toDate();
  if (Number.isNaN(date.getTime())) throw malformed(what, 'invalid time');
  return date;
}

export function boolean(block: asn1js.AsnType | undefined, what: string): boolean {
  if (!(block instanceof asn1js.Boolean)) throw malformed(what, 'expected a BOOLEAN');
  return block.valueBlock.value;
}

/** The exact encoding of an element as it was received (what signatures and hashes cover). */
export function rawBytes(block: asn1js.AsnType): Uint8Array {
  return copyBytes(block.valueBeforeDecodeView);
}

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the content octets. */
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
}

/**
 * Reads one DER tag-length header (single-byte tags, definite lengths) without building a tree,
 * so that large parts we only pass through (embedded certificates) are not parsed on every
 * decode. asn1js still parses everything whose meaning we read.
 */
export function readTlv(bytes: Uint8Array, offset: number, what: string): Tlv {
  const tag = bytes[offset];
  const first = bytes[offset + 1];
  if (tag === undefined || first === undefined)
    throw malformed(what, `truncated at offset ${offset}`);
  if ((tag & 0x1f) === 0x1f) throw malformed(what, `multi-byte tag at offset ${offset}`);
  let length = first;
  let contentStart = offset + 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw malformed(what, `unsupported length at offset ${offset}`);
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[contentStart + i];
      if (b === undefined) throw malformed(what, `truncated length at offset ${offset}`);
      length = length * 256 + b;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > bytes.length) throw malformed(what, `element at offset ${offset} runs past the end`);
  return { tag, start: offset, contentStart, end };
}

/** The elements inside a constructed element's content, as raw TLVs. */
export function children(bytes: Uint8Array, parent: Tlv, what: string): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readTlv(bytes, at, what);
    if (child.end > parent.end)
      throw malformed(what, `element at offset ${at} overruns its parent`);
    out.push(child);
    at = child.end;
  }
  return out;
}
