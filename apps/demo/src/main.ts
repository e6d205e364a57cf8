#!/usr/bin/env node
/**
 * `staple-demo`: starts the demo and prints how to use it; Ctrl-C (or SIGTERM) stops it cleanly.
 * Exit codes: 0 stopped, 1 could not start (port taken, bad flag), 2 usage error.
 */
import { startDemo } from './demo.js';
import { instructions } from './instructions.js';
import { DemoUsageError, HELP, parseDemoOptions } from './options.js';

async function main(): Promise<number> {
  let options: ReturnType<typeof parseDemoOptions>;
  try {
    options = parseDemoOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    process.stderr.write(`staple-demo: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  // Listen for the stop signals before anything is printed: whoever reads "Press Ctrl-C" may
  // signal at once.
  const stop = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('Starting: test PKI, OCSP responder, HTTPS server…\n');
  const demo = await startDemo(options);
  process.stdout.write(instructions(demo, options.host));
  await stop;
  process.stdout.write('Stopping…\n');
  await demo.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown } | undefined)?.code;
    process.stderr.write(
      `staple-demo: ${message}${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    process.exitCode = 1;
  },
);
