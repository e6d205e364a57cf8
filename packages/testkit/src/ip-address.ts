/**
 * The iPAddress GeneralName bytes (RFC 5280 §4.2.1.6): 4 octets for IPv4, 16 for IPv6.
 * Written here rather than taken from node:net, which validates addresses but never yields bytes.
 */
export function ipAddressBytes(ip: string): Uint8Array {
  const v4 = parseIpv4(ip);
  if (v4) return v4;
  const v6 = parseIpv6(ip);
  if (v6) return v6;
  throw new TypeError(`not an IP address: ${ip}`);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    // Leading zeros are refused: some parsers read them as octal, so they are ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = groups(halves[0]!, !compressed);
  const tail = compressed ? groups(halves[1]!, true) : [];
  if (!head || !tail) return undefined;
  const words = [...head, ...tail];
  const words16 = words.reduce((n, w) => n + (w.length === 4 ? 2 : 1), 0);
  if (compressed ? words16 > 7 : words16 !== 8) return undefined;

  const out = new Uint8Array(16);
  const write = (list: readonly Uint8Array[], start: number): number => {
    let at = start;
    for (const w of list) {
      out.set(w, at);
      at += w.length;
    }
    return at;
  };
  write(head, 0);
  const tailBytes = tail.reduce((n, w) => n + w.length, 0);
  write(tail, 16 - tailBytes);
  return out;
}

/** Colon-separated groups as byte arrays; a dotted IPv4 tail (`::ffff:1.2.3.4`) gives 4 bytes. */
function groups(text: string, ipv4Tail: boolean): Uint8Array[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const out: Uint8Array[] = [];
  for (const [i, part] of parts.entries()) {
    if (ipv4Tail && i === parts.length - 1 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      out.push(v4);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      const value = Number.parseInt(part, 16);
      out.push(new Uint8Array([value >> 8, value & 0xff]));
    } else {
      return undefined;
    }
  }
  return out;
}
