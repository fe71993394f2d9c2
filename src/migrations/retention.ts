/**
 * backup-retention: after a backup, remove this database's older dumps from backup-dir. Only files that
 * takeBackup named for this database are ever touched (see dumpPattern); everything else in the
 * directory, the dump just taken included, is left as it is.
 */

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UserError, messageOf } from '../errors.js';

/** How many dumps to keep: those younger than `ms`, or the newest `count`. `text` is the input as given. */
export type Retention =
  | { readonly kind: 'age'; readonly ms: number; readonly text: string }
  | { readonly kind: 'count'; readonly count: number; readonly text: string };

const HOUR_MS = 3_600_000;
const UNIT_MS: Readonly<Record<string, number>> = { h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS };
/** Far beyond any real need (100000 weeks is 1900 years); a bigger number is a typo. */
const MAX = 100_000;

/**
 * The backup-retention input: undefined when empty (keep every dump), the retention, or the tail of the
 * problem message (the caller prefixes `Input backup-retention "<value>" `). The same syntax as the
 * input's regex in inputs.ts: a whole number without leading zeros, with h, d or w for an age. Pure.
 */
export function parseRetention(value: string): Retention | undefined | string {
  const text = value.trim();
  if (text === '') return undefined;
  const match = /^(\d+)([hdw]?)$/.exec(text);
  if (!match || /^0\d/.test(text)) {
    return 'is not a retention; use a number of days such as 7d (also 12h, 2w), or a count such as 10 for the last ten dumps';
  }
  const number = Number(match[1]);
  const unit = match[2]!;
  if (number === 0) {
    return `would keep no dump; use at least ${unit === '' ? '1 (a count)' : `1${unit}`}, or leave it empty to keep every dump`;
  }
  if (number > MAX) return `is more than ${MAX}; use a smaller number, or leave it empty to keep every dump`;
  return unit === '' ? { kind: 'count', count: number, text } : { kind: 'age', ms: number * UNIT_MS[unit]!, text };
}

/** What of a name may stand in a dump's file name (the rest becomes `_`): backupFileName's rule, and the pattern's. Pure. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/**
 * The names takeBackup gives the dumps of `database`: `<db>-r<revision>-<UTC stamp>[-N].dump|.sql`.
 * The revision never contains `-` (backupFileName turns it into `_`), so the name of another database
 * never matches: for `app`'s pattern to take a dump of `app-r1`, `app-r1-r5-…`, the revision would have
 * to be `1-r5`. Groups: revision, stamp, N, extension. Pure.
 */
export function dumpPattern(database: string): RegExp {
  const escaped = safeName(database).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}-r([A-Za-z0-9_.+]+)-(\\d{8}T\\d{6}Z)(?:-(\\d{1,3}))?\\.(dump|sql)$`);
}

export interface PruneRequest {
  readonly dir: string;
  /** What this database's dump names start with: dumpPrefix() of its endpoint (backup.ts). */
  readonly database: string;
  /** The dump just taken: never removed, and always one of those a count keeps. */
  readonly keep: string;
  readonly retention: Retention;
  /** Epoch ms, from the run's clock. */
  readonly now: number;
}

export interface PruneResult {
  /** Absolute paths, oldest first. */
  readonly removed: string[];
  /** This database's dumps left by the rule, the one just taken included when listed. */
  readonly kept: number;
  /** Dumps the rule would remove that could not be (they are still there). */
  readonly failed: { path: string; reason: string }[];
}

interface Dump {
  readonly path: string;
  readonly name: string;
  readonly at: number;
  readonly n: number;
  readonly mtimeMs: number;
  readonly keep: boolean;
}

/**
 * Remove this database's older dumps from `dir` (not its subdirectories): with an age, those whose name
 * says they were taken before now − age; with a count, all but the newest. Only regular files named as
 * takeBackup names this database's dumps are candidates: symbolic links, directories, other files and
 * the dump just taken are never touched. A dump that cannot be removed is reported in `failed` rather
 * than thrown, since the backup and the run are fine without its removal; a directory that cannot be
 * read throws.
 */
export async function pruneBackups(request: PruneRequest): Promise<PruneResult> {
  const { dir, retention, now } = request;
  const pattern = dumpPattern(request.database);
  const keepPath = path.resolve(request.keep);
  // Also by inode: the same file spelled differently (a symlinked directory, a hard link) is still it.
  const keepStat = await fs.lstat(keepPath).catch(() => undefined);
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    throw new UserError(
      `backup-dir "${dir}" cannot be read to remove older dumps (${messageOf(error)}); make it readable, or leave backup-retention empty to keep every dump.`,
      { cause: error },
    );
  }
  const dumps: Dump[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const file = path.resolve(dir, name);
    const stat = await fs.lstat(file).catch(() => undefined);
    // lstat, not stat: a link named like a dump is not ours, even when it points at one.
    if (!stat?.isFile()) continue;
    const at = stampTime(match[2]!);
    // A stamp that is no real time was not written by us.
    if (at === undefined) continue;
    const keep = file === keepPath || (keepStat !== undefined && stat.dev === keepStat.dev && stat.ino === keepStat.ino);
    dumps.push({ path: file, name, at, n: match[3] === undefined ? 1 : Number(match[3]), mtimeMs: stat.mtimeMs, keep });
  }
  // The name's time first (to the second, as written), then the -N of the same second; the two dumps
  // of different revisions in one second go by modification time, then name, for a stable order.
  dumps.sort((a, b) => a.at - b.at || a.n - b.n || a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const others = dumps.filter((dump) => !dump.keep);
  const doomed =
    retention.kind === 'age'
      ? others.filter((dump) => dump.at < now - retention.ms)
      : // The dump just taken is the newest, whatever its name says: it is one of the `count` kept.
        others.slice(0, Math.max(0, others.length - (retention.count - 1)));

  const removed: string[] = [];
  const failed: { path: string; reason: string }[] = [];
  for (const dump of doomed) {
    try {
      await fs.unlink(dump.path);
      removed.push(dump.path);
    } catch (error) {
      // Gone meanwhile (another run's clean-up): neither removed by us nor left behind.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      failed.push({ path: dump.path, reason: messageOf(error) });
    }
  }
  return { removed, kept: dumps.length - doomed.length, failed };
}

/** `20260123T040506Z` -> epoch ms, or undefined when it is no real UTC time (a 13th month). Pure. */
function stampTime(stamp: string): number | undefined {
  const iso = stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6.000Z');
  const at = Date.parse(iso);
  // Date.parse accepts some days that do not exist (February 30th) and moves them on: compare back.
  return Number.isNaN(at) || new Date(at).toISOString() !== iso ? undefined : at;
}
