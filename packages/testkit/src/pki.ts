import { encodePem, toHex } from '@staple/ocsp-codec';
import type * as pkijs from 'pkijs';
import {
  basicConstraints,
  extKeyUsage,
  keyUsage,
  mustStaple,
  OID,
  ocspAccess,
  ocspNoCheck,
  subjectAltName,
} from './extensions.js';
import { ipAddressBytes } from './ip-address.js';
import { distinguishedName, type IssuerKey, issueCertificate } from './issue-certificate.js';
import {
  type GeneratedKey,
  generateKey,
  isKeyType,
  type KeyType,
  signatureHash,
} from './key-pair.js';
import type {
  DelegatedSignerSpec,
  LeafSpec,
  TestCertificate,
  TestLeaf,
  TestPki,
  TestPkiOptions,
} from './types.js';

const DAY_MS = 86_400_000;
const DEFAULT_LEAVES: readonly LeafSpec[] = [
  { name: 'rsa', keyType: 'rsa' },
  { name: 'ecdsa', keyType: 'ecdsa-p256' },
];
// Leaf names become file names next to these, so they may not take them.
const RESERVED_NAMES = new Set(['root', 'intermediate', 'ocsp-signer']);

interface Settings {
  readonly names: readonly string[];
  readonly ips: readonly string[];
  readonly ocspUrl?: string;
  readonly notBefore: Date;
  readonly leafDays: number;
  readonly organization: string;
}

/**
 * Creates a test PKI: a self-signed root, an intermediate it issued, TLS leaves issued by the
 * intermediate (with the OCSP URL and, if asked, Must-Staple) and a delegated OCSP signer.
 * All keys are made fresh with WebCrypto; nothing touches the disk (see `writeTestPki`).
 *
 * @example
 * const pki = await createTestPki({ ocspUrl: 'http://127.0.0.1:8080/ocsp' });
 * const leaf = pki.leaf('ecdsa');
 * tls.createServer({ cert: leaf.chainPem, key: leaf.privateKeyPem });
 */
export async function createTestPki(options: TestPkiOptions = {}): Promise<TestPki> {
  const caKeyType = options.caKeyType ?? 'ecdsa-p256';
  const leafSpecs = options.leaves ?? DEFAULT_LEAVES;
  const signerSpec = signerOptions(options.delegatedSigner);
  checkKeyType(caKeyType);
  checkLeafSpecs(leafSpecs);
  for (const ip of options.ips ?? []) ipAddressBytes(ip);
  if (signerSpec) checkKeyType(signerSpec.keyType ?? 'ecdsa-p256');
  if (options.ocspUrl !== undefined) checkUrl(options.ocspUrl);

  const notBefore = options.validity?.notBefore ?? new Date(Date.now() - 3_600_000);
  const caDays = positive(options.validity?.caDays ?? 3650, 'validity.caDays');
  const settings: Settings = {
    names: options.names ?? ['localhost'],
    ips: options.ips ?? ['127.0.0.1', '::1'],
    ...(options.ocspUrl !== undefined ? { ocspUrl: options.ocspUrl } : {}),
    notBefore,
    leafDays: positive(options.validity?.leafDays ?? 90, 'validity.leafDays'),
    organization: options.organization ?? 'Staple Testkit',
  };
  // A tag in the CA names keeps two test PKIs apart when both end up in one trust store.
  const tag = toHex(globalThis.crypto.getRandomValues(new Uint8Array(4)));

  // Key generation dominates (RSA especially); WebCrypto runs it off the main thread, so all
  // keys are made at once.
  const [rootKey, intermediateKey, signerKey, ...leafKeys] = await Promise.all([
    generateKey(caKeyType),
    generateKey(caKeyType),
    signerSpec ? generateKey(signerSpec.keyType ?? 'ecdsa-p256') : undefined,
    ...leafSpecs.map((spec) => generateKey(spec.keyType)),
  ]);

  const notAfter = new Date(notBefore.getTime() + caDays * DAY_MS);
  const rootName = distinguishedName(`Staple Test Root CA ${tag}`, settings.organization);
  const root = await issueCa(rootKey!, caKeyType, rootName, undefined, notBefore, notAfter);
  const intermediateName = distinguishedName(
    `Staple Test Intermediate CA ${tag}`,
    settings.organization,
  );
  // pathLen 0: the intermediate issues end-entity certificates only.
  const intermediate = await issueCa(
    intermediateKey!,
    caKeyType,
    intermediateName,
    root.issuer,
    notBefore,
    notAfter,
    0,
  );

  const [ocspSigner, ...leaves] = await Promise.all([
    signerSpec && signerKey
      ? issueSigner(signerKey, signerSpec, intermediate.issuer, settings, tag)
      : undefined,
    ...leafSpecs.map((spec, i) =>
      issueLeaf(leafKeys[i]!, spec, intermediate.issuer, intermediate.entity, settings),
    ),
  ]);

  const byName = new Map(leaves.map((leaf) => [leaf.name, leaf]));
  return Object.freeze({
    root: root.entity,
    intermediate: intermediate.entity,
    leaves: Object.freeze(leaves),
    ...(ocspSigner ? { ocspSigner } : {}),
    rootPem: root.entity.certificatePem,
    leaf(name: string): TestLeaf {
      const leaf = byName.get(name);
      if (!leaf) throw new Error(`no leaf named ${JSON.stringify(name)} in this PKI`);
      return leaf;
    },
    async issueLeaf(spec: LeafSpec): Promise<TestLeaf> {
      checkLeafSpecs([spec]);
      const key = await generateKey(spec.keyType);
      return issueLeaf(key, spec, intermediate.issuer, intermediate.entity, settings);
    },
  });
}

/**
 * A self-signed CA that has nothing to do with any test PKI: for responses signed by the wrong
 * key, and for certificates whose issuer a responder does not know.
 *
 * @example
 * const stranger = await createOtherIssuer();
 * await signResponse({ issuer: pki.intermediate.certificate, signer: stranger, responses });
 */
export async function createOtherIssuer(
  options: { keyType?: KeyType; commonName?: string } = {},
): Promise<TestCertificate> {
  const keyType = options.keyType ?? 'ecdsa-p256';
  checkKeyType(keyType);
  const tag = toHex(globalThis.crypto.getRandomValues(new Uint8Array(4)));
  const name = distinguishedName(options.commonName ?? `Staple Unrelated CA ${tag}`, 'Elsewhere');
  const notBefore = new Date(Date.now() - 3_600_000);
  const ca = await issueCa(
    await generateKey(keyType),
    keyType,
    name,
    undefined,
    notBefore,
    new Date(notBefore.getTime() + 3650 * DAY_MS),
  );
  return ca.entity;
}

async function issueCa(
  key: GeneratedKey,
  keyType: KeyType,
  name: pkijs.RelativeDistinguishedNames,
  issuer: IssuerKey | undefined,
  notBefore: Date,
  notAfter: Date,
  pathLength?: number,
): Promise<{ entity: TestCertificate; issuer: IssuerKey }> {
  const issued = await issueCertificate({
    subject: name,
    spki: key.spki,
    notBefore,
    notAfter,
    extensions: [basicConstraints(true, pathLength), keyUsage(['keyCertSign', 'cRLSign'])],
    ...(issuer ? { issuer } : {}),
    privateKey: key.privateKey,
    hash: signatureHash(keyType),
  });
  return {
    entity: entity(issued.der, issued.serialNumber, key, keyType, commonNameOf(name)),
    issuer: {
      name,
      keyId: issued.keyId,
      privateKey: key.privateKey,
      hash: signatureHash(keyType),
    },
  };
}

async function issueLeaf(
  key: GeneratedKey,
  spec: LeafSpec,
  issuer: IssuerKey,
  intermediate: TestCertificate,
  settings: Settings,
): Promise<TestLeaf> {
  const dnsNames = spec.dnsNames ?? settings.names;
  const ips = spec.ips ?? settings.ips;
  const ocspUrl = spec.ocspUrl === null ? undefined : (spec.ocspUrl ?? settings.ocspUrl);
  const notBefore = spec.notBefore ?? settings.notBefore;
  const days = positive(
    spec.validityDays ?? settings.leafDays,
    `leaves[${spec.name}].validityDays`,
  );
  const commonName = dnsNames[0] ?? spec.name;
  const issued = await issueCertificate({
    subject: distinguishedName(commonName, settings.organization),
    spki: key.spki,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    extensions: [
      basicConstraints(false),
      // keyEncipherment only for RSA: TLS 1.2 static-RSA key exchange encrypts to the key;
      // ECDSA keys can only sign.
      keyUsage(
        spec.keyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
      ),
      extKeyUsage([OID.kpServerAuth]),
      ...(dnsNames.length + ips.length > 0 ? [subjectAltName(dnsNames, ips)] : []),
      ...(ocspUrl !== undefined ? [ocspAccess(ocspUrl)] : []),
      ...(spec.mustStaple ? [mustStaple()] : []),
    ],
    issuer,
    privateKey: key.privateKey,
    hash: issuer.hash,
  });
  const base = entity(issued.der, issued.serialNumber, key, spec.keyType, commonName);
  return Object.freeze({
    ...base,
    name: spec.name,
    chainPem: base.certificatePem + intermediate.certificatePem,
    dnsNames: Object.freeze([...dnsNames]),
    ips: Object.freeze([...ips]),
    mustStaple: spec.mustStaple ?? false,
    ...(ocspUrl !== undefined ? { ocspUrl } : {}),
  });
}

async function issueSigner(
  key: GeneratedKey,
  spec: DelegatedSignerSpec,
  issuer: IssuerKey,
  settings: Settings,
  tag: string,
): Promise<TestCertificate> {
  const keyType = spec.keyType ?? 'ecdsa-p256';
  const notBefore = spec.notBefore ?? settings.notBefore;
  const days = positive(spec.validityDays ?? settings.leafDays, 'delegatedSigner.validityDays');
  const commonName = `Staple Test OCSP Responder ${tag}`;
  const issued = await issueCertificate({
    subject: distinguishedName(commonName, settings.organization),
    spki: key.spki,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    extensions: [
      basicConstraints(false),
      keyUsage(['digitalSignature']),
      // RFC 6960 §4.2.2.2: the issuer delegates by issuing a certificate with id-kp-OCSPSigning.
      extKeyUsage([OID.kpOcspSigning]),
      ...((spec.noCheck ?? true) ? [ocspNoCheck()] : []),
    ],
    issuer,
    privateKey: key.privateKey,
    hash: issuer.hash,
  });
  return entity(issued.der, issued.serialNumber, key, keyType, commonName);
}

function entity(
  der: Uint8Array,
  serialNumber: string,
  key: GeneratedKey,
  keyType: KeyType,
  commonName: string,
): TestCertificate {
  return Object.freeze({
    certificate: der,
    certificatePem: encodePem(der, 'CERTIFICATE'),
    privateKey: key.privateKey,
    privateKeyPem: key.privateKeyPem,
    keyType,
    serialNumber,
    commonName,
  });
}

function commonNameOf(name: pkijs.RelativeDistinguishedNames): string {
  const cn = name.typesAndValues.find((tv) => tv.type === OID.commonName);
  return cn ? String(cn.value.valueBlock.value) : '';
}

function signerOptions(option: TestPkiOptions['delegatedSigner']): DelegatedSignerSpec | undefined {
  if (option === false) return undefined;
  return option === undefined || option === true ? {} : option;
}

function checkKeyType(keyType: unknown): asserts keyType is KeyType {
  if (!isKeyType(keyType)) throw new TypeError(`unknown key type ${String(keyType)}`);
}

function checkLeafSpecs(specs: readonly LeafSpec[]): void {
  const seen = new Set<string>();
  for (const spec of specs) {
    // No dots: `a.key` would write over the key file of a leaf named `a`.
    if (!/^[A-Za-z0-9_-]+$/.test(spec.name)) {
      throw new TypeError(`leaf name ${JSON.stringify(spec.name)} is not a safe file name`);
    }
    if (RESERVED_NAMES.has(spec.name)) {
      throw new TypeError(`leaf name ${JSON.stringify(spec.name)} is reserved`);
    }
    if (seen.has(spec.name)) throw new TypeError(`two leaves are named ${spec.name}`);
    seen.add(spec.name);
    checkKeyType(spec.keyType);
    if (spec.ocspUrl) checkUrl(spec.ocspUrl);
    for (const ip of spec.ips ?? []) ipAddressBytes(ip);
  }
}

function checkUrl(url: string): void {
  if (!URL.canParse(url)) throw new TypeError(`not a URL: ${url}`);
}

function positive(value: number, what: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${what} must be positive`);
  return value;
}
