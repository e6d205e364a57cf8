import { createTestPki } from './pki.js';
import {
  attachResponder,
  listen,
  type OcspResponder,
  type OcspResponderOptions,
  responderUrl,
} from './responder.js';
import type { TestPki, TestPkiOptions } from './types.js';

export interface TestOcspOptions {
  /** The PKI to make; its leaves get the responder's URL as their OCSP URL. */
  readonly pki?: Omit<TestPkiOptions, 'ocspUrl'>;
  /** Responder settings; issuer and signer come from the PKI. */
  readonly responder?: Omit<OcspResponderOptions, 'issuer' | 'signer'>;
  /**
   * Who signs: the intermediate itself, or the PKI's delegated OCSP signer. Default 'issuer'.
   */
  readonly signer?: 'issuer' | 'delegated';
}

export interface TestOcsp {
  readonly pki: TestPki;
  readonly responder: OcspResponder;
  /** Closes the responder. */
  close(): Promise<void>;
}

/**
 * A PKI whose leaves point at a responder that is already running. The port is taken before
 * the leaves are issued, so their AIA holds the real URL.
 *
 * @example
 * const { pki, responder, close } = await startTestOcsp({ signer: 'delegated' });
 * pki.leaf('rsa').ocspUrl === responder.url; // true
 * await close();
 */
export async function startTestOcsp(options: TestOcspOptions = {}): Promise<TestOcsp> {
  const path = options.responder?.path ?? '/ocsp';
  const server = await listen(options.responder?.port ?? 0);
  try {
    const pki = await createTestPki({ ...options.pki, ocspUrl: responderUrl(server, path) });
    const delegated = options.signer === 'delegated';
    if (delegated && !pki.ocspSigner) {
      throw new TypeError("signer 'delegated' needs the PKI's delegatedSigner");
    }
    const responder = attachResponder(server, {
      ...options.responder,
      issuer: pki.intermediate,
      ...(delegated && pki.ocspSigner ? { signer: pki.ocspSigner } : {}),
    });
    return { pki, responder, close: () => responder.close() };
  } catch (error) {
    server.close();
    throw error;
  }
}
