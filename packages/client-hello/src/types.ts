/** A parsed ClientHello: every field, every extension in wire order, and the common ones decoded. */

/** One extension as it was on the wire. */
export interface RawExtension {
  readonly type: number;
  /** The extension_data bytes (a view into the parsed input's copy). */
  readonly data: Uint8Array;
  /** A GREASE value (RFC 8701): not a real extension. */
  readonly grease: boolean;
}

export interface KeyShareEntry {
  readonly group: number;
  /** Length of the key_exchange field in bytes (e.g. 32 for X25519, 1216 for X25519MLKEM768). */
  readonly length: number;
}

/**
 * Lists of code points keep the client's order and include GREASE values (RFC 8701) where the
 * client sent them; `isGrease(value)` tells them apart, and no GREASE value can equal a real one.
 * A decoded field is `undefined` when its extension was not sent.
 */
export interface ClientHello {
  /** legacy_version, e.g. 0x0303 (TLS 1.2 on the wire, also for TLS 1.3 clients). */
  readonly legacyVersion: number;
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly compressionMethods: readonly number[];
  readonly extensions: readonly RawExtension[];

  /** server_name (RFC 6066 §3): the host_name, if any. */
  readonly serverName?: string;
  /** application_layer_protocol_negotiation (RFC 7301). */
  readonly alpn?: readonly string[];
  /** supported_versions (RFC 8446 §4.2.1). */
  readonly supportedVersions?: readonly number[];
  /** signature_algorithms (RFC 8446 §4.2.3). */
  readonly signatureAlgorithms?: readonly number[];
  /** signature_algorithms_cert (RFC 8446 §4.2.3). */
  readonly signatureAlgorithmsCert?: readonly number[];
  /** supported_groups (RFC 8446 §4.2.7, formerly elliptic_curves). */
  readonly supportedGroups?: readonly number[];
  /** ec_point_formats (RFC 8422 §5.1.2). */
  readonly ecPointFormats?: readonly number[];
  /** key_share (RFC 8446 §4.2.8): groups and key lengths. */
  readonly keyShares?: readonly KeyShareEntry[];
  /** status_request (RFC 6066 §8): the status type, 1 = ocsp. */
  readonly statusRequest?: { readonly statusType: number };
  /** status_request_v2 (RFC 6961): the status types requested. */
  readonly statusRequestV2?: readonly number[];
  /** psk_key_exchange_modes (RFC 8446 §4.2.9). */
  readonly pskKeyExchangeModes?: readonly number[];
  /** pre_shared_key sent (RFC 8446 §4.2.11). */
  readonly preSharedKey: boolean;
  /** early_data sent (RFC 8446 §4.2.10). */
  readonly earlyData: boolean;
  /** renegotiation_info sent (RFC 5746), or the SCSV cipher suite 0x00ff. */
  readonly renegotiationInfo: boolean;
  /** extended_master_secret sent (RFC 7627). */
  readonly extendedMasterSecret: boolean;
  /** encrypt_then_mac sent (RFC 7366). */
  readonly encryptThenMac: boolean;
  /** session_ticket sent (RFC 5077); `sessionTicketLength` > 0 when resuming with one. */
  readonly sessionTicket: boolean;
  readonly sessionTicketLength: number;
  /** record_size_limit (RFC 8449). */
  readonly recordSizeLimit?: number;
  /** compress_certificate (RFC 8879): the algorithms. */
  readonly compressCertificate?: readonly number[];
  /** encrypted_client_hello (0xfe0d) in an outer hello: the real hello is encrypted. */
  readonly echOuter: boolean;
}
