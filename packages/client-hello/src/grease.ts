/**
 * GREASE (RFC 8701): reserved values 0x0A0A, 0x1A1A, ... 0xFAFA that clients send to keep
 * servers tolerant. Both bytes equal, low nibble 0xA. (Single-byte GREASE, as in
 * psk_key_exchange_modes, is 0x0B, 0x2A, ... and checked with `isGreaseByte`.)
 */
export function isGrease(value: number): boolean {
  return (value & 0x0f0f) === 0x0a0a && value >> 8 === (value & 0xff);
}

/** RFC 8701 §2: one-byte GREASE values are 0x0B + n * 0x1F. */
export function isGreaseByte(value: number): boolean {
  return value <= 0xff && (value - 0x0b) % 0x1f === 0 && value >= 0x0b;
}
