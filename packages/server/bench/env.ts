/** The bench's settings from the environment: checked, with a clear error for a bad value. */

/** A number in [min, max], or `fallback` when the variable is unset or empty. */
export function envNumber(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new Error(`${name}=${text}: give a number in [${min}, ${max}]`);
  }
  return value;
}

/** A comma-separated subset of `all` (default all), in `all`'s order. */
export function envList<T extends string>(name: string, all: readonly T[]): T[] {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return [...all];
  const asked = text.split(',').map((s) => s.trim());
  for (const a of asked) {
    if (!all.includes(a as T))
      throw new Error(`${name}: unknown ${a}; give some of ${all.join(',')}`);
  }
  return all.filter((a) => asked.includes(a));
}
