import type { KeyType } from './key-pair.js';

/** A certificate with its private key, as DER, PEM and a WebCrypto key. */
export interface TestCertificate {
  /** DER. */
  readonly certificate: Uint8Array;
  readonly certificatePem: string;
  /** Extractable WebCrypto key (sign usage). */
  readonly privateKey: CryptoKey;
  /** PKCS#8 (`-----BEGIN PRIVATE KEY-----`), as OpenSSL and node:tls read it. */
  readonly privateKeyPem: string;
  readonly keyType: KeyType;
  /** Uppercase hex, sign byte dropped (as `openssl x509 -serial` prints it). */
  readonly serialNumber: string;
  readonly commonName: string;
}

/** A TLS server certificate issued by the intermediate CA. */
export interface TestLeaf extends TestCertificate {
  readonly name: string;
  /** Leaf then intermediate: what a TLS server sends (the root stays with the client). */
  readonly chainPem: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
  readonly mustStaple: boolean;
  /** The AIA OCSP URL, when the leaf has one. */
  readonly ocspUrl?: string;
}

/** How one leaf is made. */
export interface LeafSpec {
  /** Unique within the PKI; names its files (`<name>.pem`), so letters, digits, `_`, `-`. */
  readonly name: string;
  readonly keyType: KeyType;
  /** Add the TLS feature extension with status_request (RFC 7633). Default false. */
  readonly mustStaple?: boolean;
  /** Default: the PKI's `names`. */
  readonly dnsNames?: readonly string[];
  /** Default: the PKI's `ips`. */
  readonly ips?: readonly string[];
  /** Default: the PKI's `validity.leafDays`. */
  readonly validityDays?: number;
  /** Default: the PKI's `validity.notBefore`. */
  readonly notBefore?: Date;
  /** Overrides the PKI's `ocspUrl` for this leaf; `null` gives a leaf with no AIA at all. */
  readonly ocspUrl?: string | null;
}

/** How the delegated OCSP responder certificate is made. */
export interface DelegatedSignerSpec {
  /** Default 'ecdsa-p256'. */
  readonly keyType?: KeyType;
  /** Add id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1). Default true. */
  readonly noCheck?: boolean;
  /** Default: the PKI's `validity.leafDays`. */
  readonly validityDays?: number;
  /** Default: the PKI's `validity.notBefore`. */
  readonly notBefore?: Date;
}

export interface TestPkiOptions {
  /** DNS names of the leaves. Default `['localhost']`. */
  readonly names?: readonly string[];
  /** IP addresses of the leaves. Default `['127.0.0.1', '::1']`. */
  readonly ips?: readonly string[];
  /** The AIA OCSP URL of the leaves; without it, leaves have no AIA extension. */
  readonly ocspUrl?: string;
  /** Default: one RSA-2048 leaf `rsa` and one ECDSA P-256 leaf `ecdsa`. */
  readonly leaves?: readonly LeafSpec[];
  /** A delegated OCSP signer issued by the intermediate. Default true. */
  readonly delegatedSigner?: boolean | DelegatedSignerSpec;
  /** Key type of the root and the intermediate. Default 'ecdsa-p256' (fast to generate). */
  readonly caKeyType?: KeyType;
  readonly validity?: {
    /** Default: an hour ago, so that clocks a little behind still accept the certificates. */
    readonly notBefore?: Date;
    /** Root and intermediate. Default 3650. */
    readonly caDays?: number;
    /** Leaves and the delegated signer. Default 90. */
    readonly leafDays?: number;
  };
  /** The O= of every subject. Default 'Staple Testkit'. */
  readonly organization?: string;
}

/** A root, an intermediate, leaves and a delegated OCSP signer, all in memory. */
export interface TestPki {
  readonly root: TestCertificate;
  readonly intermediate: TestCertificate;
  readonly leaves: readonly TestLeaf[];
  /** Present unless `delegatedSigner: false`. */
  readonly ocspSigner?: TestCertificate;
  /** The root as PEM: what a client trusts (`-CAfile`, `ca:` in node:tls). */
  readonly rootPem: string;
  /** The leaf with this name; throws when there is none. */
  leaf(name: string): TestLeaf;
  /** Issues one more leaf from the same intermediate (not added to `leaves`). */
  issueLeaf(spec: LeafSpec): Promise<TestLeaf>;
}
