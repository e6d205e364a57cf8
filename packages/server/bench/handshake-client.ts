/**
 * The load client of the handshake bench, in its own process (pinned to the other core):
 * for each `run` command on stdin, an open-loop generator that starts full TLS handshakes to
 * 127.0.0.1 at a fixed rate for a fixed time, spread over one or several servers in turn
 * (a new random order each cycle), whatever the answers do (no session is ever
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
  type RunTarget,
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

/** What one target's handshakes came to, while the run goes. */
interface Tally {
  readonly target: RunTarget;
  readonly handshakeMs: Float64Array;
  readonly totalMs: Float64Array;
  readonly startLagMs: Float64Array;
  readonly errors: Record<string, number>;
  readonly protocols: Record<string, number>;
  readonly serials: string[];
  staple: string | undefined;
  cipher: string | undefined;
  group: string | undefined;
  tickets: number;
  ticketed: number;
  started: number;
  completed: number;
  failed: number;
  afterErrors: number;
  stapled: number;
  reused: number;
  maxInFlight: number;
  inFlight: number;
}

function tally(target: RunTarget, most: number): Tally {
  return {
    target,
    handshakeMs: new Float64Array(most),
    totalMs: new Float64Array(most),
    startLagMs: new Float64Array(most),
    errors: {},
    protocols: {},
    serials: [],
    staple: undefined,
    cipher: undefined,
    group: undefined,
    tickets: 0,
    ticketed: 0,
    started: 0,
    completed: 0,
    failed: 0,
    afterErrors: 0,
    stapled: 0,
    reused: 0,
    maxInFlight: 0,
    inFlight: 0,
  };
}

/**
 * Which target each handshake of the schedule goes to: slices of `slice` consecutive
 * handshakes, cycling through every target in a new random order each cycle, so that each
 * target works at the full rate during its slice and none always follows another.
 */
function assign(total: number, targets: number, slice: number): Uint16Array {
  const order = new Uint16Array(total);
  const cycle = Array.from({ length: targets }, (_, i) => i);
  for (let at = 0; at < total; at += targets * slice) {
    for (let i = targets - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [cycle[i], cycle[j]] = [cycle[j]!, cycle[i]!];
    }
    for (let i = 0; i < targets * slice && at + i < total; i++) {
      order[at + i] = cycle[Math.floor(i / slice)]!;
    }
  }
  return order;
}

function run(command: RunCommand): Promise<RunResult[]> {
  const targets = command.targets;
  if (targets.length === 0 || targets.length > 64) fail('a run needs 1 to 64 targets');
  const slice = Math.max(1, Math.round(command.slice ?? 1));
  const cycle = targets.length * slice;
  // Whole cycles, so every target gets the same number of handshakes.
  const total = Math.max(cycle, Math.round((command.rate * command.seconds) / cycle) * cycle);
  const perTarget = total / targets.length;
  const intervalMs = 1000 / command.rate;
  const order = assign(total, targets.length, slice);
  const tallies = targets.map((t) => tally(t, perTarget));
  const sockets = new Set<tls.TLSSocket>();
  let started = 0;
  let closed = 0;
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
      const completed = tallies.reduce((sum, t) => sum + t.completed, 0);
      resolve(
        tallies.map(
          (t): RunResult => ({
            offered: command.rate,
            started: t.started,
            completed: t.completed,
            failed: t.failed,
            errors: t.errors,
            afterErrors: t.afterErrors,
            stapled: t.stapled,
            reused: t.reused,
            protocols: t.protocols,
            elapsedMs,
            achievedRate: (completed / span) * 1000,
            clientCpu: (cpu.user + cpu.system) / 1000 / elapsedMs,
            handshakeMs: distribution(t.handshakeMs.subarray(0, t.completed)),
            totalMs: distribution(t.totalMs.subarray(0, t.completed)),
            startLagMs: distribution(t.startLagMs.subarray(0, t.started)),
            maxInFlight: t.maxInFlight,
            ...(command.capture ? { serials: t.serials } : {}),
            ...(t.staple ? { staple: t.staple } : {}),
            ...(t.ticketed > 0 ? { ticketsPerHandshake: t.tickets / t.ticketed } : {}),
            ...(t.cipher ? { cipher: t.cipher } : {}),
            ...(t.group ? { group: t.group } : {}),
          }),
        ),
      );
    };

    const notStarted = (count: number, code: string) => {
      for (let i = started; i < started + count; i++) {
        const t = tallies[order[i]!]!;
        t.failed++;
        t.errors[code] = (t.errors[code] ?? 0) + 1;
      }
    };

    const deadline = setTimeout(
      () => {
        // Whatever is still open is a failure: count it and stop.
        for (const socket of sockets) socket.destroy(new Error('bench deadline'));
        notStarted(total - started, 'NOT_STARTED');
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

    const launch = (t: Tally, lagMs: number) => {
      const index = t.started++;
      t.startLagMs[index] = lagMs;
      const tCall = performance.now();
      let tConnect = 0;
      let secure = false;
      let errored = false;
      let response: Buffer | undefined;
      const socket = tls.connect({ ...connectOptions, port: t.target.port });
      sockets.add(socket);
      t.inFlight++;
      t.maxInFlight = Math.max(t.maxInFlight, t.inFlight);
      socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy(new Error('timeout')));
      socket.once('connect', () => {
        tConnect = performance.now();
      });
      socket.on('OCSPResponse', (r: Buffer) => {
        response = r;
      });
      // A 'session' listener makes Node keep every ticket: only on the few captured ones.
      const captured = command.capture && index < 3;
      if (captured) socket.on('session', () => t.tickets++);
      socket.once('secureConnect', () => {
        const now = performance.now();
        secure = true;
        t.handshakeMs[t.completed] = now - (tConnect || tCall);
        t.totalMs[t.completed] = now - tCall;
        t.completed++;
        if (response && response.length > 0) t.stapled++;
        if (socket.isSessionReused()) t.reused++;
        const protocol = socket.getProtocol() ?? 'none';
        t.protocols[protocol] = (t.protocols[protocol] ?? 0) + 1;
        if (captured) {
          t.serials.push(socket.getPeerCertificate().serialNumber);
          if (index === 0) {
            if (response) t.staple = response.toString('base64');
            t.cipher = socket.getCipher().standardName;
            t.group = (socket.getEphemeralKeyInfo() as { name?: string } | null)?.name;
          }
        }
        socket.resume();
        socket.end();
      });
      socket.on('error', (error: NodeJS.ErrnoException) => {
        errored = true;
        if (secure) {
          t.afterErrors++;
          return;
        }
        t.failed++;
        const code = error.code ?? error.message;
        t.errors[code] = (t.errors[code] ?? 0) + 1;
      });
      socket.once('close', () => {
        sockets.delete(socket);
        t.inFlight--;
        if (captured && secure) t.ticketed++;
        if (!secure && !errored) {
          // Closed before the handshake without an error event: still a failure.
          t.failed++;
          t.errors['CLOSED_BEFORE_HANDSHAKE'] = (t.errors['CLOSED_BEFORE_HANDSHAKE'] ?? 0) + 1;
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
          // A server (or this client) is far behind: stop rather than pile up sockets.
          const left = total - started;
          notStarted(left, 'IN_FLIGHT_LIMIT');
          closed += left;
          started = total;
          if (sockets.size === 0) finish();
          return;
        }
        launch(tallies[order[started]!]!, now - (t0 + started * intervalMs));
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
      (results) => {
        busy = false;
        send({ type: 'result', results } satisfies ClientMessage);
      },
      (error: unknown) => fail(String(error)),
    );
  },
  () => process.exit(0),
);
send({ type: 'ready' } satisfies ClientMessage);
