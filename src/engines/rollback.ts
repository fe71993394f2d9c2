import type { RollbackTarget } from '../config.js';
import { UserError } from '../errors.js';
import type { AppliedRecord, EngineState } from './types.js';

/**
 * What a rollback undoes when the history is a line (postgres-migrations, node-pg-migrate, dbmate): the
 * applied migrations above the target, the latest first, and the one that stays the latest applied
 * (undefined: none). A target that is not applied but is one of the files (pending) is at or above the
 * applied revision: nothing is undone. Throws UserError for -N beyond what is applied and for an id
 * the files do not have. Pure.
 */
export function linearUndo(
  state: Pick<EngineState, 'applied' | 'pending'>,
  target: RollbackTarget,
  options: { readonly where: string; readonly idHint: string },
): { readonly undo: readonly AppliedRecord[]; readonly stays?: AppliedRecord } {
  const { applied } = state;
  const downFrom = (index: number) => ({ undo: applied.slice(index + 1).reverse(), stays: index >= 0 ? applied[index] : undefined });
  switch (target.kind) {
    case 'base':
      return downFrom(-1);
    case 'steps':
      if (target.count > applied.length) {
        throw new UserError(
          `Input target-revision -${target.count} would undo ${target.count} migration(s), but ${applied.length === 0 ? 'none is' : `only ${applied.length} are`} applied; ` +
            'use base (or 0) to undo every applied migration.',
        );
      }
      return downFrom(applied.length - target.count - 1);
    case 'revision': {
      const index = applied.findIndex((record) => record.id === target.id);
      if (index >= 0) return downFrom(index);
      if (state.pending.some((m) => m.id === target.id)) return { undo: [], stays: applied[applied.length - 1] };
      throw new UserError(`Input target-revision ${target.id} is not a migration in ${options.where}; use ${options.idHint}, base (or 0) for none, or -N for the last N.`);
    }
  }
}

/** Whether a down section has a statement after its directive line (`-- migrate:down`, `-- Down Migration`). Pure. */
export function sectionHasStatements(section: string): boolean {
  return hasStatements(section.replace(/^[^\n]*/, ''));
}

/** Whether SQL has a statement in it, not only blanks and comments (an empty down file is no way back). Pure. */
export function hasStatements(sql: string): boolean {
  const stripped = sql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\uFEFF/g, '');
  return /[^\s;]/.test(stripped);
}
