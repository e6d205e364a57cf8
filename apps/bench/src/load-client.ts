/**
 * The TLS load client, alone in its process (pinned apart from the server when possible):
 * `burst` starts N handshakes at once and times each; `loop` runs N handshakes a few at a
 * time. Both bounded in count and time; see protocol.ts.
 */
import { handshake } from './handshake.js';
import {
  type BurstCommand,
  type BurstResult,
  type ClientCommand,
  type ClientMessage,
  fail,
  type LoopCommand,
  type LoopResult,
  send,
  serveCommands,
} from './protocol.js';
import { distribution } from './stats.js';

const WHO = 'load-client';
const GRACE_MS = 5_000;

function burst(command: BurstCommand): Promise<BurstResult> {
  const latency: number[] = [];
  const sinceStart: number[] = [];
  const errors: Record<string, number> = {};
  const bySerial: Record<string, { served: number; stapled: number }> = {};
  let completed = 0;
  let failed = 0;
  let stapled = 0;
  let done = 0;
  let last = 0;
  let firstStapled = Number.NaN;
  let lastUnstapled = Number.NaN;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let issueMs = 0;
    const finish = () => {
      clearTimeout(deadline);
      resolve({
        type: 'burst',
        count: command.count,
        completed,
        failed,
        errors,
        stapled,
        bySerial,
        latencyMs: distribution(latency),
        sinceStartMs: distribution(sinceStart),
        issueMs: Math.round(issueMs * 100) / 100,
        durationMs: Math.round((last - t0) * 100) / 100,
        firstStapledMs: Math.round(firstStapled * 100) / 100,
        lastUnstapledMs: Math.round(lastUnstapled * 100) / 100,
      });
    };
    // Every handshake has its own timeout; this only guards against a callback never coming.
    const deadline = setTimeout(() => {
      failed += command.count - done;
      errors['BURST_DEADLINE'] = command.count - done;
      done = command.count;
      finish();
    }, command.timeoutMs + GRACE_MS);
    for (let i = 0; i < command.count; i++) {
      const target = command.targets[i % command.targets.length]!;
      handshake(
        {
          port: command.port,
          servername: target.servername,
          timeoutMs: command.timeoutMs,
          peer: true,
          ...(target.sigalgs ? { sigalgs: target.sigalgs } : {}),
        },
        (outcome) => {
          if (done >= command.count) return;
          done++;
          last = outcome.end;
          if (outcome.ok) {
            completed++;
            latency.push(outcome.ms);
            sinceStart.push(outcome.end - t0);
            const serial = outcome.serial ?? '?';
            const entry = bySerial[serial] ?? { served: 0, stapled: 0 };
            bySerial[serial] = entry;
            entry.served++;
            const at = outcome.end - t0;
            if (outcome.staple) {
              stapled++;
              entry.stapled++;
              if (!(at >= firstStapled)) firstStapled = at;
            } else if (!(at <= lastUnstapled)) {
              lastUnstapled = at;
            }
          } else {
            failed++;
            errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
          }
          if (done === command.count) finish();
        },
      );
    }
    issueMs = performance.now() - t0;
  });
}

function loop(command: LoopCommand): Promise<LoopResult> {
  const errors: Record<string, number> = {};
  let started = 0;
  let completed = 0;
  let failed = 0;
  let stapled = 0;
  let wrongCertificate = 0;
  let inFlight = 0;
  let hitDeadline = false;
  const names = command.servernames;
  return new Promise((resolve) => {
    const t0 = performance.now();
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      resolve({
        type: 'loop',
        started,
        completed,
        failed,
        errors,
        stapled,
        wrongCertificate,
        elapsedMs: Math.round(performance.now() - t0),
        hitDeadline,
      });
    };
    const next = () => {
      if (started < command.count && performance.now() - t0 > command.deadlineMs) {
        hitDeadline = true;
      }
      while (!hitDeadline && started < command.count && inFlight < command.concurrency) {
        const index = started++;
        inFlight++;
        const servername = names[(command.offset + index) % names.length]!;
        // Checking the served certificate costs an X509 parse: do it on a sample.
        const check = index % 97 === 0;
        handshake(
          { port: command.port, servername, timeoutMs: command.timeoutMs, peer: check },
          (outcome) => {
            inFlight--;
            if (outcome.ok) {
              completed++;
              if (outcome.staple) stapled++;
              if (check && !outcome.subjectAltName?.includes(`DNS:${servername}`)) {
                wrongCertificate++;
              }
            } else {
              failed++;
              errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
            }
            setImmediate(next);
          },
        );
      }
      if (inFlight === 0 && (hitDeadline || started >= command.count)) finish();
    };
    next();
  });
}

let busy = false;
serveCommands(WHO, (line) => {
  if (line === 'exit') process.exit(0);
  const command = JSON.parse(line) as ClientCommand;
  if (busy) fail(WHO, 'a run is already going');
  busy = true;
  const run = command.type === 'burst' ? burst(command) : loop(command);
  run.then(
    (result) => {
      busy = false;
      send(result satisfies ClientMessage);
    },
    (error: unknown) => fail(WHO, String(error)),
  );
});
send({ type: 'ready', pid: process.pid } satisfies ClientMessage);
