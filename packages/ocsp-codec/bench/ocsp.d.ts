// Minimal types for the parts of indutny's `ocsp` 1.2.0 (CommonJS, untyped) that the benchmark
// calls. Shapes follow lib/ocsp/utils.js, lib/ocsp/request.js and lib/ocsp/verify.js.
declare module 'ocsp' {
  /** bn.js BigNum as produced by asn1.js. */
  interface OcspBigNum {
    cmp(other: OcspBigNum): number;
    toString(base?: number): string;
  }

  interface OcspCertId {
    hashAlgorithm: { algorithm: number[] };
    issuerNameHash: Buffer;
    issuerKeyHash: Buffer;
    serialNumber: OcspBigNum;
  }

  /** What `request.generate` returns; `verify` reads `certID` and `issuer` from it. */
  interface OcspRequest {
    id: Buffer;
    certID: OcspCertId;
    data: Buffer;
    cert: unknown;
    issuer: unknown;
  }

  interface OcspSingleResponse {
    certId: OcspCertId;
    certStatus: { type: 'good' | 'revoked' | 'unknown'; value: unknown };
    thisUpdate: number;
    nextUpdate?: number;
  }

  interface OcspParsedResponse {
    start: number;
    end: number;
    value: {
      tbsResponseData: { responses: OcspSingleResponse[]; producedAt: number };
      signatureAlgorithm: { algorithm: number[] };
      signature: { data: Buffer };
      certs?: unknown[];
    };
    /** Embedded certificates carrying id-kp-OCSPSigning. */
    certs: unknown[];
    certsTbs: { start: number; end: number }[];
  }

  interface OcspModule {
    utils: {
      parseResponse(raw: Buffer): OcspParsedResponse;
    };
    request: {
      generate(cert: string | Buffer, issuer: string | Buffer): OcspRequest;
    };
    verify(
      options: { request: OcspRequest; response: Buffer; nudge?: number },
      cb: (err: Error | null | undefined, certStatus?: unknown) => void,
    ): void;
  }

  const ocsp: OcspModule;
  export default ocsp;
  export type { OcspCertId, OcspParsedResponse, OcspRequest };
}
