// A throwaway ECDSA P-256 PKI made with pkijs + WebCrypto, so the benchmark also measures a
// response produced by our own `signResponse` (the shape a modern responder emits).
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { computeCertId, encodePem, signResponse } from '../src/index.js';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const DAY_MS = 86_400_000;
const OID_CN = '2.5.4.3';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_KEY_USAGE = '2.5.29.15';
const OID_EXT_KEY_USAGE = '2.5.29.37';
const OID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';

interface Issued {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly keys: CryptoKeyPair;
}

function name(cn: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({
        type: OID_CN,
        value: new asn1js.Utf8String({ value: cn }),
      }),
    ],
  });
}

function keyUsage(firstByte: number, unusedBits: number): pkijs.Extension {
  return new pkijs.Extension({
    extnID: OID_KEY_USAGE,
    critical: true,
    extnValue: new asn1js.BitString({
      valueHex: new Uint8Array([firstByte]).buffer,
      unusedBits,
    }).toBER(false),
  });
}

async function issue(options: {
  subject: string;
  serial: number;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  ocspSigning?: boolean;
  issuer?: { subject: string; privateKey: CryptoKey };
}): Promise<Issued> {
  const keys = (await globalThis.crypto.subtle.generateKey(EC_P256, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair;
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: options.serial });
  cert.subject = name(options.subject);
  cert.issuer = name(options.issuer?.subject ?? options.subject);
  cert.notBefore.value = options.notBefore;
  cert.notAfter.value = options.notAfter;
  const extensions: pkijs.Extension[] = [
    new pkijs.Extension({
      extnID: OID_BASIC_CONSTRAINTS,
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: options.ca }).toSchema().toBER(false),
    }),
    // CA: keyCertSign + cRLSign + digitalSignature; others: digitalSignature only.
    options.ca ? keyUsage(0x86, 1) : keyUsage(0x80, 7),
  ];
  if (options.ocspSigning) {
    extensions.push(
      new pkijs.Extension({
        extnID: OID_EXT_KEY_USAGE,
        critical: false,
        extnValue: new pkijs.ExtKeyUsage({ keyPurposes: [OID_KP_OCSP_SIGNING] })
          .toSchema()
          .toBER(false),
      }),
    );
  }
  cert.extensions = extensions;
  await cert.subjectPublicKeyInfo.importKey(keys.publicKey);
  await cert.sign(options.issuer?.privateKey ?? keys.privateKey, 'SHA-256');
  const der = new Uint8Array(cert.toSchema(true).toBER(false));
  return { der, pem: encodePem(der, 'CERTIFICATE'), keys };
}

export interface EcdsaFixture {
  readonly caPem: string;
  readonly leafPem: string;
  /** Signed by the CA itself, responderID byKey, no certificates embedded (RFC 5019 style). */
  readonly direct: Uint8Array;
  /** Signed by a delegated P-256 responder (id-kp-OCSPSigning) that is embedded in `certs`. */
  readonly delegated: Uint8Array;
  /** A time inside every validity window involved. */
  readonly now: Date;
}

/** Builds CA, leaf and delegated responder (all P-256) and two responses about the leaf. */
export async function makeEcdsaFixture(now: Date): Promise<EcdsaFixture> {
  const notBefore = new Date(now.getTime() - DAY_MS);
  const notAfter = new Date(now.getTime() + 365 * DAY_MS);
  const caSubject = 'Staple Bench P-256 CA';
  const ca = await issue({ subject: caSubject, serial: 1, notBefore, notAfter, ca: true });
  const caRef = { subject: caSubject, privateKey: ca.keys.privateKey };
  const leaf = await issue({
    subject: 'leaf.bench.example',
    serial: 0x1234,
    notBefore,
    notAfter,
    ca: false,
    issuer: caRef,
  });
  const responder = await issue({
    subject: 'Staple Bench OCSP Responder',
    serial: 2,
    notBefore,
    notAfter,
    ca: false,
    ocspSigning: true,
    issuer: caRef,
  });

  const certId = await computeCertId(leaf.der, ca.der, 'SHA-1');
  const single = {
    certId,
    certStatus: 'good' as const,
    thisUpdate: new Date(now.getTime() - 3_600_000),
    nextUpdate: new Date(now.getTime() + 7 * DAY_MS),
  };
  const producedAt = single.thisUpdate;
  const direct = await signResponse({
    issuer: ca.der,
    signer: { certificate: ca.der, privateKey: ca.keys.privateKey },
    responses: [single],
    responderIdType: 'byKey',
    producedAt,
  });
  const delegated = await signResponse({
    issuer: ca.der,
    signer: { certificate: responder.der, privateKey: responder.keys.privateKey },
    responses: [single],
    responderIdType: 'byName',
    producedAt,
  });
  return { caPem: ca.pem, leafPem: leaf.pem, direct, delegated, now };
}
