/** Plain data that crosses the codec's public API. No pkijs or asn1js objects, ever. */

/** DER bytes, PEM text, or an already parsed certificate. */
export type CertificateInput = Uint8Array | string | CertificateInfo;

export type HashAlgorithmName = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';

export type KeyInfo =
  | { readonly type: 'rsa'; readonly bits: number }
  | { readonly type: 'ec'; readonly curve: string; readonly bits: number }
  | { readonly type: 'ed25519' }
  | { readonly type: 'ed448' }
  | { readonly type: 'unknown'; readonly oid: string };

export interface CertificateInfo {
  readonly der: Uint8Array;
  /** Uppercase hex of the serial INTEGER, sign byte dropped (as `openssl x509 -serial`). */
  readonly serialNumber: string;
  /** One-line distinguished names, e.g. `CN=Test Intermediate CA, O=Staple`. */
  readonly subject: string;
  readonly issuer: string;
  /** DER of the subject / issuer Name, for exact comparison. */
  readonly subjectDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly key: KeyInfo;
  /** The subjectPublicKey BIT STRING contents (what CertID's issuerKeyHash hashes). */
  readonly publicKeyBits: Uint8Array;
  /** The whole SubjectPublicKeyInfo DER, for WebCrypto `importKey('spki', ...)`. */
  readonly spki: Uint8Array;
  readonly ocspUrls: readonly string[];
  readonly caIssuersUrls: readonly string[];
  /** TLS feature extension (RFC 7633) containing status_request (5). */
  readonly mustStaple: boolean;
  readonly isCA: boolean;
  /** Extended key usage OIDs. */
  readonly extKeyUsage: readonly string[];
  /** id-pkix-ocsp-nocheck present (RFC 6960 §4.2.2.2.1). */
  readonly ocspNoCheck: boolean;
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly signatureAlgorithm: AlgorithmInfo;
}

export interface AlgorithmInfo {
  readonly oid: string;
  /** OpenSSL-style short name where known (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`). */
  readonly name: string;
}

export interface CertId {
  readonly hashAlgorithm: AlgorithmInfo;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Uppercase hex, sign byte dropped. */
  readonly serialNumber: string;
}

export interface Extension {
  readonly oid: string;
  readonly name?: string;
  readonly critical: boolean;
  /** The extnValue OCTET STRING contents. */
  readonly value: Uint8Array;
}

export type ResponseStatus =
  | 'successful'
  | 'malformedRequest'
  | 'internalError'
  | 'tryLater'
  | 'sigRequired'
  | 'unauthorized';

export type CertStatus = 'good' | 'revoked' | 'unknown';

/** RFC 5280 §5.3.1 CRLReason names. */
export type RevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

export type ResponderId =
  | { readonly type: 'byName'; readonly name: string; readonly der: Uint8Array }
  | { readonly type: 'byKey'; readonly keyHash: Uint8Array };

export interface SingleResponse {
  readonly certId: CertId;
  readonly certStatus: CertStatus;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly extensions: readonly Extension[];
}

export interface BasicResponse {
  readonly version: number;
  readonly responderId: ResponderId;
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly extensions: readonly Extension[];
  /** The nonce value (the bytes inside the inner OCTET STRING, RFC 8954), when present. */
  readonly nonce?: Uint8Array;
  readonly signatureAlgorithm: AlgorithmInfo;
  readonly signature: Uint8Array;
  /** DER of each certificate in `certs`. */
  readonly certificates: readonly Uint8Array[];
  /** DER of tbsResponseData exactly as received (what the signature covers). */
  readonly tbsResponseData: Uint8Array;
}

/** A decoded OCSPResponse: a non-successful status is a result, not a parse failure. */
export type DecodedResponse =
  | {
      readonly responseStatus: 'successful';
      readonly responseType: string;
      readonly basic: BasicResponse;
      readonly der: Uint8Array;
    }
  | {
      readonly responseStatus: Exclude<ResponseStatus, 'successful'>;
      readonly der: Uint8Array;
    };

export interface DecodedRequest {
  readonly version: number;
  readonly requestorName?: string;
  readonly requests: readonly {
    readonly certId: CertId;
    readonly extensions: readonly Extension[];
  }[];
  readonly extensions: readonly Extension[];
  readonly nonce?: Uint8Array;
  readonly signed: boolean;
  readonly signatureAlgorithm?: AlgorithmInfo;
  readonly certificates: readonly Uint8Array[];
  readonly der: Uint8Array;
}

/** What `verifyResponse` returns: the SingleResponse for the certificate asked about, checked. */
export interface VerifiedResponse {
  readonly certStatus: CertStatus;
  readonly revocationTime?: Date;
  readonly revocationReason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
  readonly responderId: ResponderId;
  /** Who signed: the issuer itself, or a delegated responder certificate issued by it. */
  readonly signer: 'issuer' | 'delegated';
  readonly signerCertificate: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly single: SingleResponse;
  readonly der: Uint8Array;
}
