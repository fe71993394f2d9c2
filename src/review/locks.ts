/** PostgreSQL's table lock modes: names, strength, what each blocks. Pure, and small: the job summary uses it. */

/** PostgreSQL's table lock modes, weakest first. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;
export type LockMode = (typeof LOCK_MODES)[number];

/** A lock mode as the documentation writes it: ACCESS EXCLUSIVE. Pure. */
export function lockName(mode: LockMode): string {
  return mode
    .replace(/Lock$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** What a lock mode keeps others from doing, in the words a reviewer needs. Pure. */
export function blocks(mode: LockMode): 'reads and writes' | 'writes' | 'schema changes' | 'nothing of the application' {
  if (mode === 'AccessExclusiveLock') return 'reads and writes';
  if (mode === 'ExclusiveLock' || mode === 'ShareRowExclusiveLock' || mode === 'ShareLock') return 'writes';
  if (mode === 'ShareUpdateExclusiveLock') return 'schema changes';
  return 'nothing of the application';
}

export function stronger(a: LockMode, b: LockMode): LockMode {
  return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}
