/**
 * The load client of the handshake bench, in its own process (pinned to the other core):
 * for each `run` command on stdin, an open-loop generator that starts full TLS handshakes to
 * 127.0.0.1 at a fixed rate for a fixed time, whatever the answers do (no session is ever
 * offered: each tls.connect() is fresh and resumption is checked to be absent), sends
 * status_request, and ends each connection right after secureConnect. Bounded in count
 * (rate × seconds) and time (seconds + grace, after which what is left is destroyed and counted
 * as failed). Answers with one `result` line.
 */
import * as tls from 'node:tls';
import {
  CLIENT_SIGALGS,
  type ClientMessage,
  distribution,
  onStdinLines,
  type RunCommand,
  type RunResult,
  send,
} from './protocol.js';

const HANDSHAKE_TIMEOUT_MS = 5_000;
const GRACE_MS = 8_000;
const MAX_IN_FLIGHT = 2_000;
const lifetimeMs = Number(process.env['BENCH_CLIENT_LIFETIME_MS'] ?? 600_000);

function fail(message: string): never {
  send({ type: 'error', message } satisfies ClientMessage);
  process.stderr.write(`handshake-client: ${message}\n`);
  process.exit(1);
}

setTimeout(() => fail(`lifetime of ${lifetimeMs} ms exceeded`), lifetimeMs).unref();

function run(command: RunCommand): Promise<RunResult> {
  const total = Math.max(1, Math.round(command.rate * command.seconds));
  const intervalMs = 1000 / command.rate;
  const handshakeMs = new Float64Array(total);
  const totalMs = new Float64Array(total);
  const startLagMs = new Float64Array(total);
  const errors: Record<string, number> = {};
  const protocols: Record<string, number> = {};
  const serials: string[] = [];
  const sockets = new Set<tls.TLSSocket>();
  let staple: string | undefined;
  let cipher: string | undefined;
  let group: string | undefined;
  let tickets = 0;
  let ticketed = 0;
  let started = 0;
  let completed = 0;
  let failed = 0;
  let closed = 0;
  let afterErrors = 0;
  let stapled = 0;
  let reused = 0;
  let maxInFlight = 0;
  let lastClose = 0;
  let finished = false;
  let pumpTimer: NodeJS.Timeout | undefined;

  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();

    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      clearTimeout(pumpTimer);
      const end = lastClose || performance.now();
      const cpu = process.cpuUsage(cpu0);
      const elapsedMs = end - t0;
      // The schedule spans total × interval; a client that keeps up completes in about that.
      const span = Math.max(elapsedMs, total * intervalMs);
      resolve({
        type: 'result',
        offered: command.rate,
        started,
        completed,
        failed,
        errors,
        afterErrors,
        stapled,
        reused,
        protocols,
        elapsedMs,
        achievedRate: (completed / span) * 1000,
        clientCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
        handshakeMs: distribution(handshakeMs.subarray(0, completed)),
        totalMs: distribution(totalMs.subarray(0, completed)),
        startLagMs: distribution(startLagMs.subarray(0, started)),
        maxInFlight,
        ...(command.capture ? { serials } : {}),
        ...(staple ? { staple } : {}),
        ...(ticketed > 0 ? { ticketsPerHandshake: tickets / ticketed } : {}),
        ...(cipher ? { cipher } : {}),
        ...(group ? { group } : {}),
      });
    };

    const deadline = setTimeout(
      () => {
        // Whatever is still open is a failure: count it and stop.
        for (const socket of sockets) socket.destroy(new Error('bench deadline'));
        failed += total - started;
        errors['NOT_STARTED'] = (errors['NOT_STARTED'] ?? 0) + (total - started);
        started = total;
        setImmediate(finish);
      },
      command.seconds * 1000 + GRACE_MS,
    );

    const onClosed = () => {
      closed++;
      lastClose = performance.now();
      if (started === total && closed === total) finish();
    };

    // requestOCSP is a real tls.connect option that @types/node does not declare.
    const connectOptions: tls.ConnectionOptions & { requestOCSP: boolean } = {
      host: '127.0.0.1',
      servername: 'localhost',
      rejectUnauthorized: false,
      requestOCSP: true,
      minVersion: command.version,
      maxVersion: command.version,
      sigalgs: CLIENT_SIGALGS[command.key],
    };

    const launch = (index: number) => {
      const tCall = performance.now();
      let tConnect = 0;
      let secure = false;
      let errored = false;
      let response: Buffer | undefined;
      const socket = tls.connect({ ...connectOptions, port: command.port });
      sockets.add(socket);
      maxInFlight = Math.max(maxInFlight, sockets.size);
      socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy(new Error('timeout')));
      socket.once('connect', () => {
        tConnect = performance.now();
      });
      socket.on('OCSPResponse', (r: Buffer) => {
        response = r;
      });
      // A 'session' listener makes Node keep every ticket: only on the few captured ones.
      const countTickets = command.capture && index < 3;
      if (countTickets) socket.on('session', () => tickets++);
      socket.once('secureConnect', () => {
        const now = performance.now();
        secure = true;
        handshakeMs[completed] = now - (tConnect || tCall);
        totalMs[completed] = now - tCall;
        completed++;
        if (response && response.length > 0) stapled++;
        if (socket.isSessionReused()) reused++;
        const protocol = socket.getProtocol() ?? 'none';
        protocols[protocol] = (protocols[protocol] ?? 0) + 1;
        if (command.capture && index < 3) {
          serials.push(socket.getPeerCertificate().serialNumber);
          if (index === 0) {
            if (response) staple = response.toString('base64');
            cipher = socket.getCipher().standardName;
            group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
          }
        }
        socket.resume();
        socket.end();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        errored = true;
        if (secure) {
          afterErrors++;
          return;
        }
        failed++;
        const code = error.code ?? error.message;
        errors[code] = (errors[code] ?? 0) + 1;
      });
      socket.once('close', () => {
        sockets.delete(socket);
        if (countTickets && secure) ticketed++;
        if (!secure && !errored) {
          // Closed before the handshake without an error event: still a failure.
          failed++;
          errors['CLOSED_BEFORE_HANDSHAKE'] = (errors['CLOSED_BEFORE_HANDSHAKE'] ?? 0) + 1;
        }
        onClosed();
      });
    };

    const pump = () => {
      if (finished) return;
      const now = performance.now();
      const due = Math.min(total, Math.floor((now - t0) / intervalMs) + 1);
      while (started < due) {
        if (sockets.size >= MAX_IN_FLIGHT) {
          // The server (or this client) is far behind: stop rather than pile up sockets.
          const left = total - started;
          failed += left;
          errors['IN_FLIGHT_LIMIT'] = (errors['IN_FLIGHT_LIMIT'] ?? 0) + left;
          closed += left;
          started = total;
          if (sockets.size === 0) finish();
          return;
        }
        startLagMs[started] = now - (t0 + started * intervalMs);
        launch(started);
        started++;
      }
      if (started < total) {
        pumpTimer = setTimeout(pump, Math.max(0, t0 + started * intervalMs - performance.now()));
      }
    };
    pump();
  });
}

let busy = false;
onStdinLines(
  (line) => {
    if (line === 'exit') process.exit(0);
    const command = JSON.parse(line) as RunCommand;
    if (command.type !== 'run') fail(`unknown command ${line}`);
    if (busy) fail('a run is already going');
    busy = true;
    run(command).then(
      (result) => {
        busy = false;
        send(result satisfies ClientMessage);
      },
      (error: unknown) => fail(String(error)),
    );
  },
  () => process.exit(0),
);
send({ type: 'ready' } satisfies ClientMessage);
