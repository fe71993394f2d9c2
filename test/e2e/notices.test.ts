import { describe, expect, it } from 'vitest';
import { migrationsDir } from '../support/platform.js';
import { ARTIFACTS, shippedSuite } from '../support/shipped.js';

const { database, run } = shippedSuite();

describe.each(ARTIFACTS)('messages a migration raises, through the %s', (artifact) => {
  it('shows RAISE NOTICE and RAISE WARNING under the migration that raised them, one line each, secrets scrubbed', async () => {
    const db = await database();
    const password = decodeURIComponent(new URL(db.url).password);
    const dir = migrationsDir({
      '1_quiet.sql': 'CREATE TABLE quiet (id int);\n',
      '2_talks.sql':
        "DO $$ BEGIN\n  RAISE NOTICE 'backfilled % rows', 42;\n  RAISE WARNING 'slow path taken';\n" +
        `  RAISE NOTICE 'two%lines', E'\\n';\n  RAISE NOTICE 'the password is %', '${password.replace(/'/g, "''")}';\nEND $$;\n`,
    });
    const result = await run(artifact, db, dir);
    expect(result.code, result.log).toBe(0);
    const label = `${dir}/2_talks.sql`;
    expect(result.log).toContain(`NOTICE from ${label}: backfilled 42 rows`);
    expect(result.log).toContain(artifact === 'action' ? `::warning::WARNING from ${label}: slow path taken` : `warning: WARNING from ${label}: slow path taken`);
    expect(result.log).toContain(`NOTICE from ${label}: two lines`);
    expect(result.log).toContain(`NOTICE from ${label}: the password is ***`);
    expect(result.log).not.toMatch(/NOTICE from \S*1_quiet\.sql/);
  });
});
