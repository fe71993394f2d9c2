import { describe, expect, it } from 'vitest';
import { renderDotenv } from '../../src/cli.js';
import { escapeMarkdown, renderSummary, toOutputs } from '../../src/report.js';
import type { RunResult } from '../../src/run.js';
import { findLeaks } from '../support/leaks.js';

const endpoint = { user: 'app', host: 'db', port: 5432, database: 'shop' };
const applied: RunResult = {
  command: 'apply',
  status: 'applied',
  endpoint,
  previous: { id: 1, name: 'create-users' },
  revision: { id: 3, name: 'add-email' },
  applied: [
    { id: 2, fileName: '2_index.sql', label: 'db/2_index.sql', durationMs: 1234, transaction: false },
    { id: 3, fileName: '3_add-email.sql', label: 'db/3_add-email.sql', durationMs: 12, transaction: true },
  ],
  pending: [],
  durationMs: 1500,
};

describe('outputs', () => {
  it('sets every output after a successful apply', () => {
    expect(toOutputs(applied)).toEqual({
      status: 'applied',
      revision: '3',
      'revision-name': 'add-email',
      'previous-revision': '1',
      'applied-count': '2',
      applied: '["2_index.sql","3_add-email.sql"]',
      'pending-count': '0',
      pending: '[]',
      'backup-path': '',
      error: '',
    });
  });

  it('leaves what is unknown empty when the database was never read', () => {
    const failed: RunResult = { command: 'apply', status: 'failed', applied: [], durationMs: 0, error: { message: 'Input x is bad.', expected: true } };
    expect(toOutputs(failed)).toMatchObject({ status: 'failed', revision: '', 'revision-name': '', 'previous-revision': '', 'pending-count': '', pending: '', error: 'Input x is bad.' });
  });

  it('writes the dotenv report within GitLab rules', () => {
    const text = renderDotenv({ ...applied, revision: { id: 3, name: 'add "email" now' }, backup: undefined });
    expect(text).toBe(
      [
        'MIGRATE_STATUS=applied',
        'MIGRATE_REVISION=3',
        'MIGRATE_REVISION_NAME=add__email__now',
        'MIGRATE_PREVIOUS_REVISION=1',
        'MIGRATE_APPLIED_COUNT=2',
        'MIGRATE_PENDING_COUNT=0',
        'MIGRATE_BACKUP_PATH=',
        '',
      ].join('\n'),
    );
  });
});

describe('job summary', () => {
  it('shows status, previous → new revision and each applied file with its duration', () => {
    const md = renderSummary(applied);
    expect(md).toContain('## ✅ Migrations applied');
    expect(md).toContain('| Revision | 1 (create-users) → 3 (add-email) |');
    expect(md).toContain('| 2 | `db/2_index.sql` | no (disable-transaction) | 1.2 s |');
    expect(md).toContain('| 3 | `db/3_add-email.sql` | yes | 12 ms |');
    expect(md).not.toContain('### Error');
  });

  it('shows the error with file and line, and what is still pending', () => {
    const md = renderSummary({
      ...applied,
      status: 'failed',
      applied: [],
      revision: { id: 1, name: 'create-users' },
      pending: ['2_index.sql', '3_add-email.sql'],
      error: { message: 'Migration db/2_index.sql failed at line 4, column 2: 42601 syntax error', location: { file: 'db/2_index.sql', line: 4, column: 2 }, pg: { code: '42601', message: 'syntax error' }, expected: true },
    });
    expect(md).toContain('## ❌ Migration failed');
    expect(md).toContain('**`db/2_index.sql`, line 4, column 2**');
    expect(md).toContain('PostgreSQL error code `42601`');
    expect(md).toContain('The deploy that depends on this step will not run.');
    expect(md).toContain('### Still pending\n\n- `2_index.sql`\n- `3_add-email.sql`');
  });

  it('escapes names that would break the markdown', () => {
    expect(escapeMarkdown('a|b<script>&\nc')).toBe('a\\|b&lt;script&gt;&amp; c');
    const md = renderSummary({ ...applied, revision: { id: 3, name: '<img src=x>' } });
    expect(md).not.toContain('<img');
  });

  it('shows each planned file SQL folded, with a fence longer than any backticks inside', () => {
    const md = renderSummary({
      command: 'plan',
      status: 'pending',
      applied: [],
      durationMs: 5,
      previous: { id: 0, name: '' },
      revision: { id: 0, name: '' },
      pending: ['1_a.sql'],
      planned: [{ id: 1, fileName: '1_a.sql', label: 'db/1_a.sql', sql: "SELECT '```';\n", transaction: false }],
    });
    expect(md).toContain('## 📋 Migrations to apply');
    expect(md).toContain('<details><summary><code>db/1_a.sql</code>, **without a transaction** (disable-transaction)</summary>');
    expect(md).toContain("````sql\nSELECT '```';\n````");
  });
});

describe('the leak scanner', () => {
  const password = 'Mig@te:pa/ss%word#1';
  it('finds the password raw, URL-encoded or in part, but not in ::add-mask:: lines', () => {
    expect(findLeaks(`ok\n::add-mask::${password}\nclean`, password)).toEqual([]);
    expect(findLeaks(`url postgres://u:${encodeURIComponent(password)}@h/db`, password)).toHaveLength(1);
    expect(findLeaks(`raw ${password}`, password)).toHaveLength(1);
    expect(findLeaks('half Mig@te:', password)).toHaveLength(1);
  });
});
