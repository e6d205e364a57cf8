/**
 * @staple/testkit: a real test PKI (root, intermediate, RSA and ECDSA leaves, a delegated OCSP
 * signer) and a real HTTP OCSP responder with fault modes, for tests and the demo.
 */
export type { ResponseSigner } from './answer.js';
export type { ResponderFault, ResponderFaultKind } from './faults.js';
export type { KeyType } from './key-pair.js';
export { createOtherIssuer, createTestPki } from './pki.js';
export type { LoggedRequest, OcspResponder, OcspResponderOptions } from './responder.js';
export { startOcspResponder } from './responder.js';
export type { CertificateRef, RevokeOptions, StatusEntry } from './status-list.js';
export type { TestOcsp, TestOcspOptions } from './test-ocsp.js';
export { startTestOcsp } from './test-ocsp.js';
export type {
  DelegatedSignerSpec,
  LeafSpec,
  TestCertificate,
  TestLeaf,
  TestPki,
  TestPkiOptions,
} from './types.js';
export type { TestLeafFiles, TestPkiFiles } from './write-pki.js';
export { writeTestPki } from './write-pki.js';
