/** `host:port` as users type it: `example.com:443`, `127.0.0.1:8443`, `[::1]:8443`, `example.com`. */
import { isIPv6 } from 'node:net';
import { CliError } from './errors.js';

export interface Address {
  /** Without brackets: what node:net connects to. */
  readonly host: string;
  readonly port: number;
}

/** HTTPS: what a bare host name most likely means. */
export const DEFAULT_PORT = 443;

export function parseAddress(text: string): Address {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed) {
    const host = bracketed[1]!;
    if (!isIPv6(host)) throw bad(text, `${host} is not an IPv6 address`);
    return { host, port: port(text, bracketed[2]) };
  }
  // An IPv6 address without brackets has colons of its own; the port cannot be told apart.
  if (isIPv6(text)) return { host: text, port: DEFAULT_PORT };
  const colon = text.lastIndexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  if (host === '' || host.includes(':') || /\s/.test(host)) {
    throw bad(text, 'expected host:port, or [IPv6]:port');
  }
  return { host, port: port(text, colon === -1 ? undefined : text.slice(colon + 1)) };
}

/** `[::1]:443` or `example.com:443`: how an address is shown. */
export function formatAddress({ host, port }: Address): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function port(text: string, value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65535) {
    throw bad(text, `port must be 1 to 65535, got '${value}'`);
  }
  return n;
}

function bad(text: string, why: string): CliError {
  return new CliError('ERR_USAGE', `bad address '${text}': ${why}`);
}
