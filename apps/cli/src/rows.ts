/**
 * The text layout every command prints: one `label: value` per line, nested by indentation,
 * values aligned in one column so that a reader's eye (and `grep`/`awk`) finds them.
 */

/** A line: nesting depth, label, and the value (none for a section heading). */
export type Row = readonly [depth: number, label: string, value?: string];

export function render(rows: readonly Row[]): string {
  const head = ([depth, label]: Row) => `${'  '.repeat(depth)}${label}:`;
  const width = Math.max(
    0,
    ...rows.filter((row) => row[2] !== undefined).map((row) => head(row).length),
  );
  const lines = rows.map((row) =>
    row[2] === undefined ? head(row) : `${head(row).padEnd(width)} ${row[2]}`,
  );
  return `${lines.join('\n')}\n`;
}

/** ISO 8601 UTC, with milliseconds only when the value has them. */
export function time(date: Date): string {
  return date.toISOString().replace('.000Z', 'Z');
}

export function yesNo(value: boolean): string {
  return value ? 'yes' : 'no';
}
