import { describe, expect, it } from 'vitest';
import { renderDotenv } from '../../src/cli.js';
import { codeSpan, escapeMarkdown, renderSummary, toOutputs } from '../../src/report.js';
import type { RunResult } from '../../src/run.js';
import { findLeaks } from '../support/leaks.js';

const endpoint = { user: 'app', host: 'db', port: 5432, database: 'shop' };
const applied: RunResult = {
  command: 'apply',
  status: 'applied',
  endpoint,
  previous: { id: '1', name: 'create-users' },
  revision: { id: '3', name: 'add-email' },
  applied: [
    { id: '2', fileName: '2_index.sql', label: 'db/2_index.sql', durationMs: 1234, transaction: false },
    { id: '3', fileName: '3_add-email.sql', label: 'db/3_add-email.sql', durationMs: 12, transaction: true },
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
      'rolled-back-count': '0',
      'rolled-back': '[]',
      'backup-path': '',
      'findings-count': '0',
      findings: '[]',
      error: '',
    });
  });

  it('sets every output when the database is up to date', () => {
    const upToDate: RunResult = { ...applied, status: 'up-to-date', previous: applied.revision, applied: [] };
    expect(toOutputs(upToDate)).toEqual({
      status: 'up-to-date',
      revision: '3',
      'revision-name': 'add-email',
      'previous-revision': '3',
      'applied-count': '0',
      applied: '[]',
      'pending-count': '0',
      pending: '[]',
      'rolled-back-count': '0',
      'rolled-back': '[]',
      'backup-path': '',
      'findings-count': '0',
      findings: '[]',
      error: '',
    });
  });

  it('reports revision 0 with an empty name for a database without migrations', () => {
    const none = { id: '0', name: '', none: true };
    expect(toOutputs({ ...applied, status: 'up-to-date', previous: none, revision: none, applied: [] })).toMatchObject({
      revision: '0',
      'revision-name': '',
      'previous-revision': '0',
    });
  });

  it('leaves what is unknown empty when the database was never read', () => {
    const failed: RunResult = { command: 'apply', status: 'failed', applied: [], durationMs: 0, error: { message: 'Input x is bad.', expected: true } };
    expect(toOutputs(failed)).toEqual({
      status: 'failed',
      revision: '',
      'revision-name': '',
      'previous-revision': '',
      'applied-count': '0',
      applied: '[]',
      'pending-count': '',
      pending: '',
      'rolled-back-count': '0',
      'rolled-back': '[]',
      'backup-path': '',
      'findings-count': '0',
      findings: '[]',
      error: 'Input x is bad.',
    });
  });

  it('reports what is really applied after a failure in the middle', () => {
    const failed: RunResult = {
      ...applied,
      status: 'failed',
      applied: applied.applied.slice(0, 1),
      revision: { id: '2', name: 'index' },
      pending: ['3_add-email.sql', '4_more.sql'],
      error: { message: 'Migration db/3_add-email.sql failed.', expected: true },
    };
    expect(toOutputs(failed)).toEqual({
      status: 'failed',
      revision: '2',
      'revision-name': 'index',
      'previous-revision': '1',
      'applied-count': '1',
      applied: '["2_index.sql"]',
      'pending-count': '2',
      pending: '["3_add-email.sql","4_more.sql"]',
      'rolled-back-count': '0',
      'rolled-back': '[]',
      'backup-path': '',
      'findings-count': '0',
      findings: '[]',
      error: 'Migration db/3_add-email.sql failed.',
    });
  });

  it('writes file names as JSON, quotes and all', () => {
    const outputs = toOutputs({ ...applied, applied: [{ ...applied.applied[0]!, fileName: '2_"q"\\.sql' }], pending: ['3_a b.sql'] });
    expect(JSON.parse(outputs.applied)).toEqual(['2_"q"\\.sql']);
    expect(JSON.parse(outputs.pending)).toEqual(['3_a b.sql']);
  });

  it('writes the dotenv report within GitLab rules', () => {
    const text = renderDotenv({ ...applied, revision: { id: '3', name: 'add "email" now' }, backup: undefined });
    expect(text).toBe(
      [
        'MIGRATE_STATUS=applied',
        'MIGRATE_REVISION=3',
        'MIGRATE_REVISION_NAME=add__email__now',
        'MIGRATE_PREVIOUS_REVISION=1',
        'MIGRATE_APPLIED_COUNT=2',
        'MIGRATE_PENDING_COUNT=0',
        'MIGRATE_ROLLED_BACK_COUNT=0',
        'MIGRATE_FINDINGS_COUNT=0',
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
      revision: { id: '1', name: 'create-users' },
      pending: ['2_index.sql', '3_add-email.sql'],
      error: { message: 'Migration db/2_index.sql failed at line 4, column 2: 42601 syntax error', location: { file: 'db/2_index.sql', line: 4, column: 2 }, pg: { code: '42601', message: 'syntax error' }, expected: true },
    });
    expect(md).toContain('## ❌ Migration failed');
    expect(md).toContain('**`db/2_index.sql`, line 4, column 2**');
    expect(md).toContain('PostgreSQL error code `42601`');
    expect(md).toContain('The deploy that depends on this step will not run.');
    expect(md).toContain('### Still pending\n\n- `2_index.sql`\n- `3_add-email.sql`');
  });

  it('stays under 1 MiB with 100,000 applied and pending files, and says how many it left out; the error stays', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({ id: String(i + 1), fileName: `${i + 1}_m.sql`, label: `db/${i + 1}_m.sql`, durationMs: 3, transaction: true }));
    const md = renderSummary({
      ...applied,
      status: 'failed',
      applied: many,
      pending: many.map((m) => m.fileName),
      error: { message: 'Migration db/x.sql failed: boom', expected: true },
    });
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    expect(md).toContain('| Applied | 100000 |');
    expect(md).toMatch(/\(\d+ more applied migrations not shown here/);
    expect(md).toMatch(/\(\d+ more pending migrations not shown here/);
    expect(md).toContain('Migration db/x.sql failed: boom');
    const outputs = toOutputs({ ...applied, applied: many, pending: many.map((m) => m.fileName) });
    expect(JSON.parse(outputs.applied)).toHaveLength(1_000);
    expect(outputs['applied-count']).toBe('100000');
  });

  it('shows the database, command, status and total duration', () => {
    const md = renderSummary(applied);
    expect(md).toContain('| Database | `db:5432/shop` |');
    expect(md).toContain('| Command | `apply` |');
    expect(md).toContain('| Status | `applied` |');
    expect(md).toContain('| Applied | 2 |');
    expect(md).toContain('| Pending | 0 |');
    expect(md).toContain('| Duration | 1.5 s |');
    expect(md).not.toContain('### Still pending');
  });

  it('shows one revision, not an arrow, when nothing changed', () => {
    const md = renderSummary({ ...applied, status: 'up-to-date', previous: applied.revision, applied: [] });
    expect(md).toContain('## ✅ Database up to date');
    expect(md).toContain('| Revision | 3 (add-email) |');
    expect(md).not.toContain('→');
    expect(md).not.toContain('### Applied');
  });

  it('shows an empty database as revision 0 (none)', () => {
    const md = renderSummary({ ...applied, previous: { id: '0', name: '', none: true } });
    expect(md).toContain('| Revision | 0 (none) → 3 (add-email) |');
  });

  it('says unknown for what a run that never reached the database cannot know', () => {
    const md = renderSummary({
      command: 'apply',
      status: 'failed',
      applied: [],
      durationMs: 3,
      error: { message: 'Input database-url is empty: set it.', expected: true },
    });
    expect(md).toContain('## ❌ Migration failed');
    expect(md).toContain('| Revision | unknown |');
    expect(md).toContain('| Pending | unknown |');
    expect(md).not.toContain('| Database |');
    expect(md).toContain('### Error\n\n```text\nInput database-url is empty: set it.\n```');
    expect(md).not.toContain('**`'); // no file location
    expect(md).not.toContain('PostgreSQL error code');
  });

  it('formats durations in ms below a second and in tenths of seconds above', () => {
    const md = renderSummary({
      ...applied,
      applied: [999.4, 1000, 61_049].map((durationMs, i) => ({ id: String(i + 2), fileName: `${i + 2}_x.sql`, label: `db/${i + 2}_x.sql`, durationMs, transaction: true })),
    });
    expect(md).toContain('| 2 | `db/2_x.sql` | yes | 999 ms |');
    expect(md).toContain('| 3 | `db/3_x.sql` | yes | 1.0 s |');
    expect(md).toContain('| 4 | `db/4_x.sql` | yes | 61.0 s |');
  });

  it('keeps every table row to its columns when names hold | < > and newlines', () => {
    const odd = 'db/2_a|b<img src=x>\nc.sql';
    const md = renderSummary({
      ...applied,
      status: 'failed',
      revision: { id: '2', name: 'a|b<i>' },
      applied: [{ id: '2', fileName: '2_a|b.sql', label: odd, durationMs: 5, transaction: true }],
      pending: ['3_x|<y>.sql'],
      error: { message: 'Migration db/3_x|<y>.sql failed: ```<script>alert(1)</script>```', location: { file: 'db/3_x|<y>.sql', line: 2 }, expected: true },
    });
    expect(md).toContain('| 2 | `db/2_a\\|b&lt;img src=x&gt; c.sql` | yes | 5 ms |');
    expect(md).toContain('| Revision | 1 (create-users) → 2 (a\\|b&lt;i&gt;) |');
    expect(md).toContain('**`db/3_x\\|&lt;y&gt;.sql`, line 2**');
    expect(md).toContain('- `3_x\\|&lt;y&gt;.sql`');
    // The message stays inside its code block: a ``` in it cannot close the fence.
    const error = md.slice(md.indexOf('### Error'));
    const fences = error.split('\n').filter((line) => line.startsWith('```'));
    expect(fences).toEqual(['```text', '```']);
    expect(error).toContain("Migration db/3_x|<y>.sql failed: '''<script>alert(1)</script>'''");
    // No HTML outside code blocks, and every table row has the columns of its header.
    const outsideFences = md.replace(/```text\n[\s\S]*?\n```/g, '');
    expect(outsideFences).not.toMatch(/<(img|i|y|script)\b/);
    const tables = md.split('\n\n').filter((block) => block.startsWith('|'));
    expect(tables).toHaveLength(2);
    for (const table of tables) {
      const cells = table.split('\n').map((row) => row.replace(/\\\|/g, '').split('|').length);
      expect(new Set(cells).size, table).toBe(1);
    }
  });

  it('keeps a name with backticks inside its code span, and text without links or images of its own', () => {
    const name = '2_a`![t](https://evil.example/p.png) @octo `x.sql';
    const md = renderSummary({ ...applied, status: 'pending', command: 'plan', applied: [], pending: [name, 'odd\rline.sql'] });
    expect(md).toContain('- ``2_a`![t](https://evil.example/p.png) @octo `x.sql``');
    expect(md).toContain('- `odd line.sql`');
    expect(codeSpan('`edge`')).toBe('`` `edge` ``');
    // Outside code: no link or image can form, no code span can open.
    expect(escapeMarkdown('see ![t](https://evil.example/p.png) and `x` \\')).toBe('see !\\[t\\](https://evil.example/p.png) and \\`x\\` \\\\');
  });

  it('escapes names that would break the markdown', () => {
    expect(escapeMarkdown('a|b<script>&\nc')).toBe('a\\|b&lt;script&gt;&amp; c');
    const md = renderSummary({ ...applied, revision: { id: '3', name: '<img src=x>' } });
    expect(md).not.toContain('<img');
  });

  it('shows each planned file SQL folded, with a fence longer than any backticks inside', () => {
    const md = renderSummary({
      command: 'plan',
      status: 'pending',
      applied: [],
      durationMs: 5,
      previous: { id: '0', name: '', none: true },
      revision: { id: '0', name: '', none: true },
      pending: ['1_a.sql'],
      planned: [{ id: '1', name: 'a', fileName: '1_a.sql', label: 'db/1_a.sql', sql: "SELECT '```';\n", transaction: false }],
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
