/** Builds ClientHello bytes from field values, for tests: record framing, message, extensions. */

export interface HelloSpec {
  legacyVersion?: number;
  random?: Uint8Array;
  sessionId?: Uint8Array;
  cipherSuites?: number[];
  compressionMethods?: number[];
  /** Extensions in wire order, as [type, data]. Omit for a hello without an extensions block. */
  extensions?: [number, Uint8Array][];
}

export const u16 = (n: number) => [n >> 8, n & 0xff];
export const vec8 = (bytes: number[] | Uint8Array) => [bytes.length, ...bytes];
export const vec16 = (bytes: number[] | Uint8Array) => [...u16(bytes.length), ...bytes];
export const list16 = (values: number[]) => vec16(values.flatMap(u16));

export const ext = {
  serverName: (host: string): [number, Uint8Array] => [
    0,
    Uint8Array.from(vec16([0, ...vec16([...new TextEncoder().encode(host)])])),
  ],
  supportedVersions: (versions: number[]): [number, Uint8Array] => [
    43,
    Uint8Array.from(vec8(versions.flatMap(u16))),
  ],
  signatureAlgorithms: (schemes: number[]): [number, Uint8Array] => [
    13,
    Uint8Array.from(list16(schemes)),
  ],
  supportedGroups: (groups: number[]): [number, Uint8Array] => [
    10,
    Uint8Array.from(list16(groups)),
  ],
  ecPointFormats: (formats: number[]): [number, Uint8Array] => [11, Uint8Array.from(vec8(formats))],
  alpn: (protocols: string[]): [number, Uint8Array] => [
    16,
    Uint8Array.from(vec16(protocols.flatMap((p) => vec8([...new TextEncoder().encode(p)])))),
  ],
  statusRequest: (): [number, Uint8Array] => [5, Uint8Array.from([1, 0, 0, 0, 0])],
  keyShare: (shares: [number, number][]): [number, Uint8Array] => [
    51,
    Uint8Array.from(
      vec16(shares.flatMap(([group, length]) => [...u16(group), ...vec16(new Uint8Array(length))])),
    ),
  ],
  empty: (type: number): [number, Uint8Array] => [type, new Uint8Array()],
};

/** The handshake message (type 1, 24-bit length, body). */
export function helloMessage(spec: HelloSpec = {}): Uint8Array {
  const body = [
    ...u16(spec.legacyVersion ?? 0x0303),
    ...(spec.random ?? new Uint8Array(32).fill(7)),
    ...vec8(spec.sessionId ?? new Uint8Array(32).fill(9)),
    ...list16(spec.cipherSuites ?? [0x1301, 0xc02b, 0xc02f]),
    ...vec8(spec.compressionMethods ?? [0]),
  ];
  if (spec.extensions) {
    body.push(...vec16(spec.extensions.flatMap(([type, data]) => [...u16(type), ...vec16(data)])));
  }
  return Uint8Array.from([
    1,
    body.length >> 16,
    (body.length >> 8) & 0xff,
    body.length & 0xff,
    ...body,
  ]);
}

/** The message in TLS handshake records, split into records of at most `recordSize` bytes. */
export function helloRecords(spec: HelloSpec = {}, recordSize = 16_384): Uint8Array {
  const message = helloMessage(spec);
  const out: number[] = [];
  for (let i = 0; i < message.length; i += recordSize) {
    const part = message.subarray(i, i + recordSize);
    out.push(22, 3, 1, ...u16(part.length), ...part);
  }
  return Uint8Array.from(out);
}

/** A typical modern TLS 1.3 hello. */
export function modernHello(extra: [number, Uint8Array][] = []): HelloSpec {
  return {
    cipherSuites: [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030],
    extensions: [
      ext.serverName('example.test'),
      ext.supportedGroups([0x001d, 0x0017, 0x0018]),
      ext.ecPointFormats([0]),
      ext.signatureAlgorithms([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501]),
      ext.alpn(['h2', 'http/1.1']),
      ext.statusRequest(),
      ext.supportedVersions([0x0304, 0x0303]),
      ext.keyShare([[0x001d, 32]]),
      ...extra,
    ],
  };
}
