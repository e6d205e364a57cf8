/**
 * Which StapleServer a request came through, and which certificates that server has now: what
 * `statusRoute()` needs when it is given no server.
 */
import type * as net from 'node:net';
import { type CertificateInfo, parseCertificates } from '@staple/ocsp-codec';
import type { CertificateOptions, StapleServer } from '@staple/server';

// Keyed by connection, not by app: one app may be served by several servers (ports), and a
// mounted sub-app or router sees its own `req.app`, but every request has its socket.
const servers = new WeakMap<net.Socket, StapleServer>();
const certificates = new WeakMap<StapleServer, readonly CertificateInfo[]>();

export function recordServer(socket: net.Socket, server: StapleServer): void {
  servers.set(socket, server);
}

export function serverOf(socket: net.Socket): StapleServer | undefined {
  return servers.get(socket);
}

/**
 * Keeps the leaves of `server`'s certificates, now and after each `setCertificates` (renewal).
 * @staple/server has no public accessor for its current certificates, so the list is taken
 * where it goes in: the options, and an own `setCertificates` that records what it is given
 * once the server has accepted it.
 */
export function followCertificates(
  server: StapleServer,
  list: readonly CertificateOptions[],
): void {
  certificates.set(server, leavesOf(list));
  const replace = server.setCertificates;
  server.setCertificates = function setCertificates(next) {
    replace.call(this, next);
    certificates.set(server, leavesOf(next));
  };
}

/**
 * The server's certificates: as followed, or (for a server this package did not create) every
 * certificate its stapler holds, or none when it has no stapler.
 */
export function certificatesOf(server: StapleServer): readonly CertificateInfo[] {
  return (
    certificates.get(server) ?? server.stapler?.status().map((status) => status.certificate) ?? []
  );
}

function leavesOf(list: readonly CertificateOptions[]): readonly CertificateInfo[] {
  // The server has parsed these already (and thrown if it could not); the leaf comes first.
  return list.map(
    (c) => parseCertificates(typeof c.cert === 'string' ? c.cert : c.cert.toString('utf8'))[0]!,
  );
}
