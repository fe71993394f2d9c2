import { describe, expect, it } from 'vitest';
import { findTransactionEnd } from '../../src/migrations/transaction-control.js';

describe('statements that end the migration transaction', () => {
  it.each([
    ['COMMIT', 'CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n', { statement: 'COMMIT', line: 2 }],
    ['END', 'CREATE TABLE a (id int);\n\n  END;', { statement: 'END', line: 3 }],
    ['ROLLBACK', 'CREATE TABLE x (id int); ROLLBACK;', { statement: 'ROLLBACK', line: 1 }],
    ['ABORT after a comment', 'CREATE TABLE x (id int);\n-- give up\n/* really /* nested */ */\nabort;', { statement: 'abort', line: 4 }],
    ['PREPARE TRANSACTION', "SELECT 1;\nPREPARE TRANSACTION 'm1';", { statement: "PREPARE TRANSACTION 'm1'", line: 2 }],
    ['COMMIT AND CHAIN', 'SELECT 1;\ncommit and chain;', { statement: 'commit and chain', line: 2 }],
    ['a line counted in characters after multi-byte text', "-- ünïcödé 🐘\nSELECT 'é';\nCOMMIT;", { statement: 'COMMIT', line: 3 }],
  ])('finds %s with its line', async (_, sql, expected) => {
    expect(await findTransactionEnd(sql)).toEqual(expected);
  });

  it.each([
    ['a file without the keywords', 'CREATE TABLE a (id int);'],
    ['ROLLBACK TO SAVEPOINT', 'SAVEPOINT s; SELECT 1; ROLLBACK TO SAVEPOINT s; RELEASE s;'],
    ['END of a BEGIN ATOMIC function body', 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;'],
    ['CASE … END', 'SELECT CASE WHEN true THEN 1 END;'],
    ['COMMIT inside a DO block', 'DO $$ BEGIN PERFORM 1; END $$;'],
    ['COMMIT in a string or comment', "SELECT 'COMMIT'; -- COMMIT\n"],
    ['a column named end', 'CREATE TABLE p ("end" int, commit int);'],
    ['a file that does not parse (left to the server)', 'CREAT TABLE x; COMMIT;'],
  ])('leaves %s alone', async (_, sql) => {
    expect(await findTransactionEnd(sql)).toBeUndefined();
  });
});
