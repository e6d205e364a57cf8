import { describe, expect, it } from 'vitest';
import {
  chooseRequestMethod,
  createRequest,
  decodeRequest,
  fromBase64,
  isOcspError,
  MAX_GET_URL_BYTES,
  parseCertificate,
  requestGetUrl,
  toHex,
} from '../src/index.js';
import { readVector } from './vectors.js';

const leaf = readVector('certs/go-leaf.der');
const issuer = readVector('certs/go-issuer.der');

describe('createRequest', () => {
  it('is byte-identical to what `openssl ocsp -no_nonce` makes for the same certificates', async () => {
    // The vectors README: go-ocspRequest.der is exactly openssl's request for these two.
    const { der, nonce } = await createRequest([{ certificate: leaf, issuer }]);
    expect(nonce).toBeUndefined();
    expect(toHex(der)).toBe(toHex(readVector('go-ocspRequest.der')));
  });

  it('round-trips several certificates with SHA-256 and a 16-byte nonce', async () => {
    const created = await createRequest(
      [
        { certificate: leaf, issuer },
        { certificate: issuer, issuer },
      ],
      { hashAlgorithm: 'SHA-256', nonce: true },
    );
    expect(created.nonce).toHaveLength(16);
    const decoded = decodeRequest(created.der);
    expect(decoded.requests).toHaveLength(2);
    expect(decoded.requests[0]!.certId.hashAlgorithm.name).toBe('sha256');
    expect(decoded.requests[0]!.certId.issuerNameHash).toHaveLength(32);
    expect(decoded.requests[0]!.certId.serialNumber).toBe(parseCertificate(leaf).serialNumber);
    expect(decoded.requests[1]!.certId.serialNumber).toBe(parseCertificate(issuer).serialNumber);
    expect(toHex(decoded.nonce!)).toBe(toHex(created.nonce!));
    // RFC 8954: the extnValue is an OCTET STRING wrapping the nonce.
    expect(toHex(decoded.extensions[0]!.value)).toBe(`0410${toHex(created.nonce!)}`);
  });

  it('accepts nonces of 1..32 bytes and refuses others', async () => {
    for (const length of [1, 32]) {
      const { nonce } = await createRequest([{ certificate: leaf, issuer }], { nonce: length });
      expect(nonce).toHaveLength(length);
    }
    for (const bad of [0, 33, 1.5]) {
      await expect(
        createRequest([{ certificate: leaf, issuer }], { nonce: bad }),
      ).rejects.toMatchObject({ code: 'ERR_OCSP_INVALID_ARGUMENT' });
    }
    await expect(createRequest([])).rejects.toMatchObject({ code: 'ERR_OCSP_INVALID_ARGUMENT' });
  });
});

describe('GET or POST (RFC 5019 §5)', () => {
  it('appends the URL-encoded base64 request to the responder URL', async () => {
    const { der } = await createRequest([{ certificate: leaf, issuer }]);
    const url = requestGetUrl('http://ocsp.example.com', der);
    const encoded = url.slice('http://ocsp.example.com/'.length);
    expect(encoded).not.toMatch(/[+/=]/);
    expect(toHex(fromBase64(decodeURIComponent(encoded)))).toBe(toHex(der));
    expect(requestGetUrl('http://ocsp.example.com/', der)).toBe(url);
  });

  it('uses GET up to 255 bytes of URL and POST beyond', async () => {
    const { der } = await createRequest([{ certificate: leaf, issuer }]);
    const base = 'http://ocsp.example.com';
    const getLength = requestGetUrl(base, der).length;
    expect(chooseRequestMethod(base, der).method).toBe('GET');
    // Pad the responder path so the whole URL is exactly 255, then 256 bytes.
    const exact = `${base}/${'a'.repeat(MAX_GET_URL_BYTES - getLength - 1)}`;
    expect(requestGetUrl(exact, der)).toHaveLength(255);
    expect(chooseRequestMethod(exact, der).method).toBe('GET');
    const over = chooseRequestMethod(`${exact}b`, der);
    expect(over.method).toBe('POST');
    if (over.method === 'POST') expect(toHex(over.body)).toBe(toHex(der));
  });
});

describe('decodeRequest', () => {
  it('refuses what is not a request with a typed error', () => {
    for (const bytes of [
      new Uint8Array(),
      new Uint8Array([0x30, 0x00]),
      readVector('pyca-resp-sha256.der'),
    ]) {
      try {
        decodeRequest(bytes);
        expect.unreachable();
      } catch (error) {
        expect(isOcspError(error, 'ERR_OCSP_MALFORMED')).toBe(true);
      }
    }
  });
});
