import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isClientHelloError, parseClientHello, parseClientHelloMessage } from '../src/index.js';
import { ext, helloRecords, modernHello } from './build-hello.js';

// Untrusted bytes from the network: the parser answers with a ClientHello or a
// ClientHelloError, never anything else, never a loop. 100,000 cases per run.

function onlyClientHelloErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!isClientHelloError(error)) throw error;
  }
}

const seeds = [
  helloRecords(modernHello()),
  helloRecords(
    modernHello([
      ext.keyShare([
        [0x11ec, 1216],
        [0x001d, 32],
      ]),
    ]),
    512,
  ),
  helloRecords({ cipherSuites: [0x002f, 0x0035], extensions: [ext.serverName('a.example')] }),
  helloRecords({ cipherSuites: [0x002f] }),
];

describe('fuzz: parsing untrusted bytes', () => {
  it('random bytes (40,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        onlyClientHelloErrors(() => parseClientHello(bytes));
        onlyClientHelloErrors(() => parseClientHelloMessage(bytes));
      }),
      { numRuns: 40_000 },
    );
  });

  it('random bytes behind a valid record and handshake header (20,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (body) => {
        const length = body.length + 4;
        const bytes = Uint8Array.from([
          22,
          3,
          1,
          length >> 8,
          length & 0xff,
          1,
          0,
          body.length >> 8,
          body.length & 0xff,
          ...body,
        ]);
        onlyClientHelloErrors(() => parseClientHello(bytes));
      }),
      { numRuns: 20_000 },
    );
  });

  it('single-byte mutations and truncations of real-shaped hellos (40,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (seed, position, value, truncate) => {
          const bytes = seed.slice();
          const i = position % bytes.length;
          if (truncate) {
            const cut = bytes.subarray(0, i);
            let code: string | undefined;
            try {
              parseClientHello(cut);
            } catch (error) {
              if (!isClientHelloError(error)) throw error;
              code = error.code;
            }
            expect(code).toBeDefined();
            return;
          }
          bytes[i] = value;
          onlyClientHelloErrors(() => parseClientHello(bytes));
        },
      ),
      { numRuns: 40_000 },
    );
  });
});
