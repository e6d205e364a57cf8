import { ClientHelloError } from './errors.js';

/**
 * A bounds-checked reader over a byte array: every read checks the remaining length, and every
 * failure is a ClientHelloError with the absolute offset (as Go's cryptobyte does).
 */
export class Cursor {
  readonly bytes: Uint8Array;
  /** Absolute offset of the current position in the original input. */
  offset: number;
  end: number;
  /** Added to offsets in errors: where `bytes` starts in what the caller gave us. */
  readonly base: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length, base = 0) {
    this.bytes = bytes;
    this.offset = start;
    this.end = end;
    this.base = base;
  }

  /** Points this cursor at `start`..`end` of the same bytes: one cursor read after another. */
  reset(start: number, end: number): this {
    this.offset = start;
    this.end = end;
    return this;
  }

  /** The offset to report: absolute in the caller's input. */
  get at(): number {
    return this.base + this.offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(count: number, what: string): void {
    if (this.remaining < count) {
      throw new ClientHelloError(
        'ERR_CLIENT_HELLO_MALFORMED',
        `${what}: needs ${count} bytes, ${this.remaining} left`,
        { offset: this.at },
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.offset++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const value = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return value;
  }

  u24(what: string): number {
    this.need(3, what);
    const b = this.bytes;
    const value = (b[this.offset]! << 16) | (b[this.offset + 1]! << 8) | b[this.offset + 2]!;
    this.offset += 3;
    return value;
  }

  take(count: number, what: string): Uint8Array {
    this.need(count, what);
    const view = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return view;
  }

  /** A copy of the next `count` bytes (one allocation, not a view plus a copy). */
  copy(count: number, what: string): Uint8Array {
    this.need(count, what);
    const out = this.bytes.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** Moves past `count` bytes without making a view of them. */
  skip(count: number, what: string): void {
    this.need(count, what);
    this.offset += count;
  }

  /** A sub-cursor over the next `count` bytes; this cursor moves past them. */
  sub(count: number, what: string): Cursor {
    this.need(count, what);
    const inner = new Cursor(this.bytes, this.offset, this.offset + count, this.base);
    this.offset += count;
    return inner;
  }

  /** A vector with a 1-, 2- or 3-byte length prefix, as a sub-cursor. */
  vector(lengthBytes: 1 | 2 | 3, what: string): Cursor {
    const length =
      lengthBytes === 1 ? this.u8(what) : lengthBytes === 2 ? this.u16(what) : this.u24(what);
    return this.sub(length, what);
  }

  /** Throws unless everything was read: lengths that do not add up are errors, not slack. */
  done(what: string): void {
    if (this.remaining !== 0) {
      throw new ClientHelloError(
        'ERR_CLIENT_HELLO_MALFORMED',
        `${what}: ${this.remaining} bytes left over`,
        { offset: this.at },
      );
    }
  }
}
