/** Where in a file an error points, for annotations and the summary. */
export interface FileLocation {
  /** Path as the user wrote it (relative to the workspace when possible). */
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * A failure the user can fix: bad input, a bad file, a database that refuses us, a failed migration.
 * The message is one line that names the input or file, the value (never a secret) and the fix; it is
 * shown without a stack trace.
 */
export class UserError extends Error {
  readonly location?: FileLocation;

  constructor(message: string, options: { location?: FileLocation; cause?: unknown } = {}) {
    super(oneLine(message), { cause: options.cause });
    this.name = 'UserError';
    this.location = options.location;
  }
}

/** The run was cancelled (SIGTERM, SIGINT); the message says where and what became of it. */
export class Cancelled extends UserError {}

/** Collapse whitespace so that a message stays on one log line. */
export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The message of anything thrown, including non-Error values. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * Names for one log line or message: the first 20, then how many more (a plan of 100,000 files would
 * otherwise be a line of megabytes). Pure.
 */
export function listed(names: readonly string[], first = 20): string {
  if (names.length <= first) return names.join(', ');
  return `${names.slice(0, first).join(', ')} and ${names.length - first} more`;
}
