import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectionSecrets, passwordFromFile, pgpassFields, redactExcept } from '../../src/secrets.js';

describe('every password that may reach the driver is a secret', () => {
  it('takes PGPASSWORD and the matching password-file line, in every form', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ma-pgpass-'));
    const file = path.join(dir, 'pgpass');
    writeFileSync(file, ['other:5432:*:app:not-this-one', 'db.internal:5432:shop:app:fr0m\\:file@pass', '*:*:*:*:fallback'].join('\n'));
    const secrets = connectionSecrets('postgres://app@db.internal/shop', { PGPASSWORD: 'env p@ss', PGPASSFILE: file });
    expect(secrets).toEqual(expect.arrayContaining(['env p@ss', encodeURIComponent('env p@ss'), 'fr0m:file@pass', encodeURIComponent('fr0m:file@pass')]));
    expect(secrets).not.toContain('not-this-one');
    expect(passwordFromFile('postgres://x@elsewhere/db', { PGPASSFILE: file })).toBe('fallback');
    expect(passwordFromFile('postgres://app@db.internal/shop', { PGPASSFILE: path.join(dir, 'missing') })).toBeUndefined();
  });

  it('reads password-file fields with escaped colons and backslashes', () => {
    expect(pgpassFields('h\\:x:5432:db:u:p\\\\w:more')).toEqual(['h:x', '5432', 'db', 'u', 'p\\w:more']);
  });
});

describe('redactExcept', () => {
  it('scrubs a short password everywhere but inside the public names', () => {
    const text = 'Migration db/2_create-orders.sql failed: password "orders" is wrong; orders';
    expect(redactExcept(text, ['orders'], ['db/2_create-orders.sql', '2_create-orders.sql'])).toBe(
      'Migration db/2_create-orders.sql failed: password "***" is wrong; ***',
    );
  });
});

describe('redactExcept with a password of digits', () => {
  it('does not confuse the password with its own markers', () => {
    expect(redactExcept('file 10_a.sql: password 0 and 1', ['0', '1'], ['10_a.sql'])).toBe('file 10_a.sql: password *** and ***');
  });

  it('survives bad percent-encoding in the URL while a password file exists', () => {
    expect(() => passwordFromFile('postgres://u@h/d%zz', { PGPASSFILE: '/etc/hostname' })).not.toThrow();
  });
});
