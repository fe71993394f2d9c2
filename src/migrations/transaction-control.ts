/**
 * Statements that end the transaction a migration runs in. A transactional migration is sent as
 * `BEGIN`, its SQL, then its `migrations` row and `COMMIT`: a `COMMIT` (or `END`), `ROLLBACK` (or
 * `ABORT`) or `PREPARE TRANSACTION` inside the file ends that transaction early, so part of the file
 * would be committed or undone on its own and the row would not belong to the same transaction.
 *
 * The file is parsed with PostgreSQL's own grammar (libpg-query) rather than searched with patterns, so
 * that `END` closing a `BEGIN ATOMIC` function body or a `COMMIT` inside a `DO` block's string is not
 * mistaken for one. Parsing loads a WebAssembly parser, so only a file that contains one of the keywords
 * at all is parsed.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TransactionEnd {
  /** The statement as written, on one line. */
  readonly statement: string;
  /** 1-based line of the file where it starts. */
  readonly line: number;
}

const KEYWORDS = /\b(commit|end|rollback|abort|prepare)\b/i;
const ENDING_KINDS = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE']);

interface ParsedStatement {
  readonly stmt: Record<string, { kind?: string } | undefined>;
  readonly stmt_location?: number;
  readonly stmt_len?: number;
}

/**
 * The first statement of `sql` that ends the surrounding transaction, or undefined. A file that does not
 * parse is left to the server, which runs nothing of a file with a syntax error.
 */
export async function findTransactionEnd(sql: string): Promise<TransactionEnd | undefined> {
  if (!KEYWORDS.test(sql)) return undefined;
  const { parse } = await loadParser();
  let statements: readonly ParsedStatement[];
  try {
    statements = ((await parse(sql)) as { stmts?: ParsedStatement[] }).stmts ?? [];
  } catch {
    return undefined;
  }
  const bytes = Buffer.from(sql, 'utf8');
  for (const statement of statements) {
    const kind = statement.stmt.TransactionStmt?.kind;
    if (kind === undefined || !ENDING_KINDS.has(kind)) continue;
    // Positions are byte offsets into the UTF-8 text; 0 length means "to the end".
    const start = statement.stmt_location ?? 0;
    const end = statement.stmt_len ? start + statement.stmt_len : bytes.length;
    // A statement's span starts right after the previous `;`: skip the blanks and comments before it.
    const raw = bytes.subarray(start, end).toString('utf8');
    const lead = leadingTrivia(raw);
    const text = raw.slice(lead).trim();
    return { statement: text.replace(/\s+/g, ' ').slice(0, 80), line: lines(bytes.subarray(0, start).toString('utf8') + raw.slice(0, lead)) };
  }
  return undefined;
}

/** Length of the whitespace and comments (line comments and nested block comments) at the start. */
export function leadingTrivia(text: string): number {
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (text.startsWith('--', i)) {
      const newline = text.indexOf('\n', i);
      i = newline < 0 ? text.length : newline + 1;
    } else if (text.startsWith('/*', i)) {
      let depth = 0;
      do {
        if (text.startsWith('/*', i)) {
          depth += 1;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          depth -= 1;
          i += 2;
        } else {
          i += 1;
        }
      } while (depth > 0 && i < text.length);
    } else {
      return i;
    }
  }
}

let parser: Promise<typeof import('libpg-query')> | undefined;

/**
 * libpg-query's WebAssembly glue finds `libpg-query.wasm` next to itself through `__dirname`, which
 * CommonJS defines and our bundle (an ES module) does not; the build copies the file into dist/. So,
 * only while the glue starts (it reads `__dirname` once, synchronously, when imported), a global
 * `__dirname` points at this module's directory. Where Node loads the package itself (the sources,
 * tests), its own `__dirname` shadows the global and this changes nothing.
 */
export function loadParser(): Promise<typeof import('libpg-query')> {
  parser ??= (async () => {
    const scope = globalThis as { __dirname?: string };
    const had = Object.prototype.hasOwnProperty.call(scope, '__dirname');
    // Not new URL('.', import.meta.url): the bundler would take that for an asset of its own.
    if (!had) scope.__dirname = path.dirname(fileURLToPath(import.meta.url));
    try {
      const module = import('libpg-query');
      return await module;
    } finally {
      if (!had) delete scope.__dirname;
    }
  })();
  return parser;
}

function lines(text: string): number {
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) count += 1;
  return count;
}
