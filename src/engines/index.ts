import type { Config } from '../config.js';
import type { LoadOptions } from '../migrations/files.js';
import { alembicEngine } from './alembic.js';
import { dbmateEngine } from './dbmate.js';
import { nodePgMigrateEngine } from './node-pg-migrate.js';
import { postgresMigrationsEngine } from './postgres-migrations.js';
import type { Engine, EngineDeps } from './types.js';

/** The engine of input `engine`. Where each engine plugs in: one module per tool, behind src/engines/types.ts. */
export function createEngine(config: Config, deps: EngineDeps & { readonly load?: LoadOptions }): Engine {
  switch (config.engine) {
    case 'postgres-migrations':
      return postgresMigrationsEngine(config, deps.load);
    case 'alembic':
      return alembicEngine(config, deps);
    case 'node-pg-migrate':
      return nodePgMigrateEngine(config, deps);
    case 'dbmate':
      return dbmateEngine(config, deps);
  }
}
