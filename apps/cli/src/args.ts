/**
 * Argument parsing shared by the commands: node's util.parseArgs in strict mode, its errors
 * turned into one-line usage errors that point at the command's help.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { CliError } from './errors.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives for these options: typed `values`, and `positionals`. */
export type ParsedArgs<T extends OptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** Network commands give up after this long unless --timeout says otherwise (DESIGN.md §3). */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Ten minutes: longer is a typo, not a patient user. */
const MAX_TIMEOUT_MS = 600_000;

export function parseCommandArgs<const T extends OptionsConfig>(
  command: string,
  args: readonly string[],
  options: T,
): ParsedArgs<T> {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (cause) {
    throw new CliError('ERR_USAGE', `${firstSentence(cause)}; see staple ${command} --help`, {
      cause,
    });
  }
}

/** The one positional argument a command takes. */
export function onePositional(
  command: string,
  positionals: readonly string[],
  what: string,
): string {
  if (positionals.length === 1) return positionals[0]!;
  throw new CliError(
    'ERR_USAGE',
    positionals.length === 0
      ? `${command} needs ${what}; see staple ${command} --help`
      : `${command} takes one ${what.replace(/^an? /, '')}, got ${positionals.length}`,
  );
}

/** `--timeout <ms>`: a whole number of milliseconds, 1 to 600000. */
export function timeoutOption(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new CliError(
      'ERR_USAGE',
      `--timeout must be milliseconds between 1 and ${MAX_TIMEOUT_MS}, got '${value}'`,
    );
  }
  return ms;
}

/** parseArgs' `Unknown option '--x'. To specify a positional argument...` → `unknown option '--x'`. */
function firstSentence(error: unknown): string {
  const sentence = String(error instanceof Error ? error.message : error).split('. ')[0]!;
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
