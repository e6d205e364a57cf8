import { describe, expect, test } from 'vitest';
import { formatAddress, parseAddress } from '../src/address.js';
import { CliError } from '../src/errors.js';

describe('parseAddress', () => {
  test.each([
    ['127.0.0.1:8443', { host: '127.0.0.1', port: 8443 }],
    ['example.com:443', { host: 'example.com', port: 443 }],
    ['example.com', { host: 'example.com', port: 443 }],
    ['[::1]:8443', { host: '::1', port: 8443 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 443 }],
    ['::1', { host: '::1', port: 443 }],
    ['[fe80::1%eth0]:443', { host: 'fe80::1%eth0', port: 443 }],
  ])('%s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });

  test.each([
    '',
    ':443',
    'host:',
    'host:0',
    'host:65536',
    'host:12ab',
    '[::1]:',
    '[nothost]:443',
    'a:b:c',
    'two words:443',
  ])('%j is a usage error', (text) => {
    expect(() => parseAddress(text)).toThrow(CliError);
    try {
      parseAddress(text);
    } catch (error) {
      expect((error as CliError).code).toBe('ERR_USAGE');
    }
  });

  test('formatAddress puts IPv6 in brackets', () => {
    expect(formatAddress({ host: '::1', port: 443 })).toBe('[::1]:443');
    expect(formatAddress({ host: 'example.com', port: 8443 })).toBe('example.com:8443');
  });
});
