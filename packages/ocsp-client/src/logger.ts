/**
 * The logging hook: pino's call shape (`logger.warn(fields, message)`), which console also
 * accepts. Every method is optional; the default logs nothing.
 */
export interface Logger {
  debug?(fields: Record<string, unknown>, message: string): void;
  info?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
  error?(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: Logger = {};
