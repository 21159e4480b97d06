export interface Logger {
  error(message: string, fields: Record<string, unknown>): void;
  /** Progress worth a line (background work that did something); optional. */
  info?(message: string, fields: Record<string, unknown>): void;
}

/**
 * Describes anything thrown, with its causes (drizzle's "Failed query" hides the driver's error in
 * `cause`). workerd's DOMException and some libraries' errors are not `Error` instances, so name
 * and message are read from any object.
 */
export function describeError(error: unknown, depth = 0): string {
  const cause =
    depth < 3 && error && typeof error === "object" && "cause" in error && error.cause
      ? `\nCaused by: ${describeError(error.cause, depth + 1)}`
      : "";
  if (error instanceof Error) return String(error.stack ?? `${error.name}: ${error.message}`) + cause;
  if (error && typeof error === "object" && "message" in error)
    return `${(error as { name?: string }).name ?? "Error"}: ${String(error.message)}${cause}`;
  return String(error);
}

/** One JSON line per event, errors on stderr and progress on stdout, as both runtimes' log collectors expect. */
export const jsonLogger: Logger = {
  error: (message, fields) =>
    console.error(JSON.stringify({ level: "error", message, ...fields, error: describeError(fields.error) })),
  info: (message, fields) => console.log(JSON.stringify({ level: "info", message, ...fields })),
};
