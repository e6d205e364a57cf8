import { describe, expect, it } from 'vitest';
import { encodePem, isOcspError, parseCertificate, parseCertificates } from '../src/index.js';
import { readVector, readVectorText } from './vectors.js';

describe('certificates', () => {
  it('reads DER and PEM to the same facts', () => {
    const der = readVector('certs/go-leaf.der');
    const fromDer = parseCertificate(der);
    const fromPem = parseCertificate(encodePem(der));
    expect(fromPem.serialNumber).toBe(fromDer.serialNumber);
    expect(fromPem.subject).toBe(fromDer.subject);
    expect(fromDer.notBefore.getTime()).toBeLessThan(fromDer.notAfter.getTime());
    expect(Object.isFrozen(fromDer)).toBe(true);
  });

  it('reads every certificate of a PEM bundle, in order', () => {
    const leaf = readVectorText('certs/awslc-rsa_cert.pem');
    const ca = readVectorText('certs/awslc-ca_cert.pem');
    const certs = parseCertificates(`${leaf}\n${ca}`);
    expect(certs).toHaveLength(2);
    expect(certs[0]!.issuer).toBe(certs[1]!.subject);
    expect(certs[1]!.isCA).toBe(true);
    expect(certs[0]!.key).toMatchObject({ type: 'rsa' });
    const ecdsa = parseCertificate(readVectorText('certs/awslc-ecdsa_cert.pem'));
    expect(ecdsa.key).toMatchObject({ type: 'ec', curve: 'P-256' });
  });

  it('reads PEM bytes with text before the first BEGIN line, as openssl and CA bundles write them', () => {
    const der = readVector('certs/go-leaf.der');
    const expected = parseCertificate(der).serialNumber;
    const preambles = [
      // openssl pkcs12 -nokeys
      'Bag Attributes\n    localKeyID: 01 00 00 00\nsubject=CN = leaf\n\nissuer=CN = ca\n\n',
      // a comment, as in CA bundles
      '# Issuer: CN=Example CA\n',
      '\n',
      '\ufeff',
    ];
    for (const preamble of preambles) {
      const bytes = new TextEncoder().encode(`${preamble}${encodePem(der)}`);
      expect(parseCertificates(bytes).map((c) => c.serialNumber)).toEqual([expected]);
      expect(parseCertificate(bytes).serialNumber).toBe(expected);
    }
  });

  it('finds the OCSP signing EKU of a delegated responder certificate', () => {
    const signer = parseCertificate(readVectorText('certs/awslc-ocsp_cert.pem'));
    expect(signer.extKeyUsage).toContain('1.3.6.1.5.5.7.3.9');
  });

  it('refuses what is not a certificate with ERR_OCSP_CERTIFICATE', () => {
    for (const input of [
      new Uint8Array([1, 2, 3]),
      'no pem here',
      readVector('pyca-resp-sha256.der'),
    ]) {
      try {
        parseCertificate(input);
        expect.unreachable();
      } catch (error) {
        expect(isOcspError(error, 'ERR_OCSP_CERTIFICATE')).toBe(true);
      }
    }
  });
});
