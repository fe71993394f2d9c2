import type { FileLocation } from './errors.js';

/** What the core may say while it runs; the platform decides how (GitHub groups, plain lines, …). */
export interface Log {
  info(message: string): void;
  /** A warning; with a location, an annotation on that file (and line) on GitHub. */
  warning(message: string, location?: FileLocation): void;
  /** An error that points at a file (an annotation on GitHub). */
  error(message: string, location?: FileLocation): void;
  /** One group per phase: everything logged inside `fn` is folded under `title`. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}
