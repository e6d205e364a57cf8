/**
 * Which StapleServer a request came through: what `statusRoute()` needs when it is given no
 * server.
 */
import type * as net from 'node:net';
import type { StapleServer } from '@staple/server';

// Keyed by connection, not by app: one app may be served by several servers (ports), and a
// mounted sub-app or router sees its own `req.app`, but every request has its socket.
const servers = new WeakMap<net.Socket, StapleServer>();

export function recordServer(socket: net.Socket, server: StapleServer): void {
  servers.set(socket, server);
}

export function serverOf(socket: net.Socket): StapleServer | undefined {
  return servers.get(socket);
}
