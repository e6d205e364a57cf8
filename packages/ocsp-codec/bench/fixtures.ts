// The responses measured: real ones from the shared vectors plus two made by our signResponse.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CertificateInfo,
  decodeResponse,
  type HashAlgorithmName,
  parseCertificate,
} from '../src/index.js';
import { makeEcdsaFixture } from './pki.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** /work/shared/vectors/ocsp: `shared/` sits beside the repository. */
export const VECTORS_DIR = join(HERE, '../../../../shared/vectors/ocsp');
/** The repository root (reports go to <root>/.reports). */
export const REPO_ROOT = join(HERE, '../../..');

export type Lib = 'ours' | 'ocsp' | 'pkijs';

export interface BenchCase {
  readonly id: string;
  /** The vector file, or how the response was made. */
  readonly source: string;
  readonly description: string;
  readonly der: Uint8Array;
  /** The same bytes as a Buffer (the `ocsp` package needs one). */
  readonly buffer: Buffer;
  readonly leafPem: string;
  readonly issuerPem: string;
  readonly leaf: CertificateInfo;
  readonly issuer: CertificateInfo;
  /** Verification time passed to verifiers that take one. */
  readonly now: Date;
  readonly requireNextUpdate: boolean;
  /** Uppercase hex serial of the leaf, as our decoder reports it. */
  readonly serial: string;
  /** Hash algorithm of the response's CertID (the `ocsp` request must use the same). */
  readonly certIdHash: HashAlgorithmName;
  /**
   * Verifiers known not to handle this response, with a fragment of the error they must raise:
   * the benchmark checks that they really fail this way, so nothing is skipped silently.
   */
  readonly verifyUnsupported: Partial<Record<Exclude<Lib, 'ours'>, { why: string; error: RegExp }>>;
}

function vector(file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(VECTORS_DIR, file)));
}

function text(file: string): string {
  return readFileSync(join(VECTORS_DIR, file), 'utf8');
}

function makeCase(
  fields: Omit<BenchCase, 'buffer' | 'leaf' | 'issuer' | 'serial' | 'certIdHash'>,
): BenchCase {
  const decoded = decodeResponse(fields.der);
  if (decoded.responseStatus !== 'successful') {
    throw new Error(`${fields.id}: not a successful response`);
  }
  const hashOid = decoded.basic.responses[0]?.certId.hashAlgorithm.oid;
  const certIdHash: HashAlgorithmName | undefined =
    hashOid === '1.3.14.3.2.26'
      ? 'SHA-1'
      : hashOid === '2.16.840.1.101.3.4.2.1'
        ? 'SHA-256'
        : undefined;
  if (!certIdHash) throw new Error(`${fields.id}: unexpected CertID hash ${hashOid}`);
  const leaf = parseCertificate(fields.leafPem);
  return {
    ...fields,
    buffer: Buffer.from(fields.der),
    leaf,
    issuer: parseCertificate(fields.issuerPem),
    serial: leaf.serialNumber,
    certIdHash,
  };
}

const NO_EMBEDDED_CERTS = {
  why: 'pkijs BasicOCSPResponse.verify needs the signer among the embedded certs; this response embeds none (signed by the issuer)',
  error: /No certificates attached/,
};

export async function loadCases(): Promise<BenchCase[]> {
  const ecdsa = await makeEcdsaFixture(new Date());
  return [
    makeCase({
      id: 'awslc-delegated-rsa',
      source: 'awslc-ocsp_response_sha256.der',
      description:
        's2n test PKI: RSA SHA-256, delegated responder embedded, nonce, SHA-256 CertID (2261 B)',
      der: vector('awslc-ocsp_response_sha256.der'),
      leafPem: text('certs/awslc-rsa_cert.pem'),
      issuerPem: text('certs/awslc-ca_cert.pem'),
      now: new Date('2024-01-01T00:00:00Z'),
      requireNextUpdate: true,
      verifyUnsupported: {},
    }),
    makeCase({
      id: 'bssl-direct-rsa',
      source: 'bssl-good_response_sha256.der',
      description: 'Chromium test PKI: RSA SHA-256 signed by the CA, byName, no nextUpdate (444 B)',
      der: vector('bssl-good_response_sha256.der'),
      leafPem: text('certs/bssl-good_response_sha256.leaf.pem'),
      issuerPem: text('certs/bssl-good_response_sha256.ca.pem'),
      now: new Date('2017-03-05T00:00:00Z'),
      requireNextUpdate: false,
      verifyUnsupported: { pkijs: NO_EMBEDDED_CERTS },
    }),
    makeCase({
      id: 'bssl-delegated-rsa-sha1',
      source: 'bssl-ocsp_sign_indirect.der',
      description:
        'Chromium test PKI: RSA SHA-1 signed by a delegated responder embedded in certs (1168 B)',
      der: vector('bssl-ocsp_sign_indirect.der'),
      leafPem: text('certs/bssl-ocsp_sign_indirect.leaf.pem'),
      issuerPem: text('certs/bssl-ocsp_sign_indirect.ca.pem'),
      now: new Date('2017-03-05T00:00:00Z'),
      requireNextUpdate: false,
      verifyUnsupported: {
        pkijs: {
          why: 'pkijs validates the responder chain at the wall clock (verify takes no time); the responder and CA certificates expired in 2018',
          error: /expired|Validation of signer's certificate chain failed/i,
        },
      },
    }),
    makeCase({
      id: 'ours-direct-p256',
      source: 'signResponse (generated at startup)',
      description: `our signResponse: ECDSA P-256 signed by the CA, byKey, no certs (${ecdsa.direct.length} B)`,
      der: ecdsa.direct,
      leafPem: ecdsa.leafPem,
      issuerPem: ecdsa.caPem,
      now: ecdsa.now,
      requireNextUpdate: true,
      verifyUnsupported: {
        ocsp: {
          why: 'the ocsp package only knows RSA signature algorithms (utils.sign)',
          error: /Unknown signature algorithm/,
        },
        pkijs: NO_EMBEDDED_CERTS,
      },
    }),
    makeCase({
      id: 'ours-delegated-p256',
      source: 'signResponse (generated at startup)',
      description: `our signResponse: ECDSA P-256 delegated responder embedded, byName (${ecdsa.delegated.length} B)`,
      der: ecdsa.delegated,
      leafPem: ecdsa.leafPem,
      issuerPem: ecdsa.caPem,
      now: ecdsa.now,
      requireNextUpdate: true,
      verifyUnsupported: {
        ocsp: {
          why: 'the ocsp package only knows RSA signature algorithms (utils.sign)',
          error: /Unknown signature algorithm/,
        },
      },
    }),
  ];
}
