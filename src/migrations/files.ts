import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, statSync, type Dirent, type Stats } from 'node:fs';
import path from 'node:path';
import { UserError, messageOf } from '../errors.js';
import { generateSqlInChild, jsMigrationEnv, type JsMigration } from './js-loader.js';
import { CREATE_MIGRATIONS_TABLE_FILE, CREATE_MIGRATIONS_TABLE_SQL } from './table.js';

/** One migration, as postgres-migrations 5.3.0 would load it (same id, name, hash). */
export interface MigrationFile {
  readonly id: number;
  /** Stored in `migrations.name`. */
  readonly name: string;
  readonly fileName: string;
  /** Path for messages and annotations: `<migrations-dir>/<fileName>` as the user wrote the directory. */
  readonly label: string;
  /** The SQL to run: the file, or what a `.js` file's `generateSql()` returned. */
  readonly sql: string;
  /** sha1(fileName + sql), hex: the value in `migrations.hash`. */
  readonly hash: string;
  readonly kind: 'sql' | 'js';
  /** False when the SQL contains the `-- postgres-migrations disable-transaction` marker. */
  readonly transaction: boolean;
}

export const DISABLE_TRANSACTION_MARKER = '-- postgres-migrations disable-transaction';

/** Files postgres-migrations considers: any name ending in .sql or .js (case-insensitive). */
const CANDIDATE = /\.(sql|js)$/i;
/** postgres-migrations' own file-name rule, with the `.` before the extension made literal. */
const FILE_NAME = /^(-?\d+)[-_]?(.*)\.(sql|js)$/i;
const MAX_ID = 2_147_483_647;

export function hashMigration(fileName: string, sql: string): string {
  // The one-shot hash: for thousands of small files, a Hash object per file costs more than the SHA-1.
  return hash('sha1', fileName + sql, 'hex');
}

/** The built-in migration 0 that creates the `migrations` table, exactly as postgres-migrations ships it. */
export function tableMigration(): MigrationFile {
  return {
    id: 0,
    name: 'create-migrations-table',
    fileName: CREATE_MIGRATIONS_TABLE_FILE,
    label: CREATE_MIGRATIONS_TABLE_FILE,
    sql: CREATE_MIGRATIONS_TABLE_SQL,
    hash: hashMigration(CREATE_MIGRATIONS_TABLE_FILE, CREATE_MIGRATIONS_TABLE_SQL),
    kind: 'sql',
    transaction: true,
  };
}

interface Named {
  readonly id: number;
  readonly name: string;
  readonly fileName: string;
  readonly kind: 'sql' | 'js';
}

/** Parse a file name; `undefined` when it has no id. Pure. */
export function parseFileName(fileName: string): Named | undefined {
  const match = FILE_NAME.exec(fileName);
  if (!match) return undefined;
  const [, id, name, ext] = match as unknown as [string, string, string, string];
  return {
    id: Number.parseInt(id, 10),
    name: name === '' ? fileName : name,
    fileName,
    kind: ext.toLowerCase() as 'sql' | 'js',
  };
}

/**
 * Check names and ids: every candidate has an id, ids are 1..N with no gap and no duplicate. Pure; the
 * error names the file(s) and the fix.
 */
export function validateFileNames(fileNames: readonly string[], dirLabel: string): Named[] {
  refuseDownForms(fileNames, dirLabel);
  const named = idsInOrder(fileNames) ?? explainBadNames(fileNames, dirLabel);
  checkNames(named, dirLabel);
  return named;
}

/** Down files named beside their up files: golang-migrate's `.down.sql`, postgrator's `.undo.sql`. */
const DOWN_FORM = /\.(down|undo)\.(sql|js)$/i;

/**
 * A down file beside the up files is read by postgres-migrations as one more up migration (it fails with
 * "Found a non-consecutive migration ID", or runs it as the next one): refused, pointing at `down/`.
 */
function refuseDownForms(fileNames: readonly string[], dirLabel: string): void {
  for (const fileName of fileNames) {
    const match = DOWN_FORM.exec(fileName);
    if (!match || !CANDIDATE.test(fileName)) continue;
    const upName = `${fileName.slice(0, match.index)}.${match[2]!}`;
    throw new UserError(
      `Migration file ${dirLabel}/${fileName} looks like a down file, but postgres-migrations reads every .sql and .js file of ${dirLabel} as an up migration ` +
        `(it fails with "Found a non-consecutive migration ID", or runs it as the next one): move it to ${dirLabel}/down/${upName}, the name of the file it undoes.`,
      { location: { file: `${dirLabel}/${fileName}` } },
    );
  }
}

/**
 * `migrations.name` is `varchar(100) UNIQUE`: two files with the same name after the id, or a name of
 * more than 100 characters, could never both be recorded (postgres-migrations fails on them too, half-way).
 */
function checkNames(named: readonly Named[], dirLabel: string): void {
  const seen = new Map<string, Named>();
  for (const file of named) {
    if ([...file.name].length > 100) {
      throw new UserError(
        `Migration file ${dirLabel}/${file.fileName} has a name of ${[...file.name].length} characters after its id; the migrations table keeps at most 100: shorten it.`,
        { location: { file: `${dirLabel}/${file.fileName}` } },
      );
    }
    const other = seen.get(file.name);
    if (other) {
      throw new UserError(
        `Migration files ${other.fileName} and ${file.fileName} in ${dirLabel} have the same name "${file.name}" after their ids; ` +
          'the migrations table keeps names unique: rename the later one.',
        { location: { file: `${dirLabel}/${file.fileName}` } },
      );
    }
    seen.set(file.name, file);
  }
}

/**
 * The common case in one pass, without sorting names: distinct ids whose largest equals their count are
 * exactly 1..N with no gap. Undefined on any problem, which explainBadNames then finds and words.
 */
function idsInOrder(fileNames: readonly string[]): Named[] | undefined {
  const slots = new Array<Named | undefined>(fileNames.length);
  let count = 0;
  let maxId = 0;
  for (const fileName of fileNames) {
    const parsed = parseFileName(fileName);
    if (!parsed) {
      if (CANDIDATE.test(fileName)) return undefined;
      continue;
    }
    if (parsed.id < 1 || parsed.id > fileNames.length || slots[parsed.id - 1]) return undefined;
    slots[parsed.id - 1] = parsed;
    count += 1;
    maxId = Math.max(maxId, parsed.id);
  }
  // Distinct ids from 1 up to as many as there are candidates fill every slot: 1..count, no gap.
  if (count === 0 || maxId !== count) return undefined;
  slots.length = count;
  return slots as Named[];
}

/** The slow path of validateFileNames: names in order, so that the first problem reported is stable. */
function explainBadNames(fileNames: readonly string[], dirLabel: string): Named[] {
  const candidates = fileNames.filter((f) => CANDIDATE.test(f)).sort();
  if (candidates.length === 0) {
    throw new UserError(
      `migrations-dir "${dirLabel}" has no migration files; add files named <id>_<name>.sql (e.g. 1_create-users.sql), ` +
        'or point migrations-dir at the directory that holds them.',
    );
  }
  const named: Named[] = [];
  for (const fileName of candidates) {
    const parsed = parseFileName(fileName);
    if (/[\n\r\u2028\u2029]/.test(fileName)) {
      throw new UserError(
        `Migration file name ${JSON.stringify(fileName)} in ${dirLabel} contains a line break; rename it to <id>_<name>.sql on one line.`,
      );
    }
    if (!parsed) {
      throw new UserError(
        `Migration file ${dirLabel}/${fileName} has no id at the start of its name; rename it to <id>_<name>.sql, ` +
          'e.g. 4_add-email.sql.',
        { location: { file: `${dirLabel}/${fileName}` } },
      );
    }
    if (parsed.id < 1 || parsed.id > MAX_ID) {
      throw new UserError(
        `Migration file ${dirLabel}/${fileName} has id ${parsed.id}; ids start at 1 (0 is the built-in table ` +
          'migration) and count up by one: rename it to the next free id.',
        { location: { file: `${dirLabel}/${fileName}` } },
      );
    }
    named.push(parsed);
  }
  const byId = new Map<number, Named[]>();
  for (const file of named) byId.set(file.id, [...(byId.get(file.id) ?? []), file]);
  for (const [id, files] of [...byId].sort((a, b) => a[0] - b[0])) {
    if (files.length > 1) {
      const list = files.map((f) => f.fileName).join(', ');
      throw new UserError(
        `Migration files ${list} in ${dirLabel} share id ${id}: most likely two branches each added a migration. ` +
          `Renumber the one merged last to ${Math.max(...byId.keys()) + 1} (ids must stay unique and consecutive).`,
        { location: { file: `${dirLabel}/${files[1]!.fileName}` } },
      );
    }
  }
  const sorted = named.sort((a, b) => a.id - b.id);
  sorted.forEach((file, index) => {
    const expected = index + 1;
    if (file.id !== expected) {
      const before = index === 0 ? 'the start' : sorted[index - 1]!.fileName;
      throw new UserError(
        `Migration ids must be consecutive: ${dirLabel}/${file.fileName} has id ${file.id} but follows ${before}, ` +
          `so id ${expected} is missing; restore the missing file or rename ${file.fileName} to start with ${expected}_.`,
        { location: { file: `${dirLabel}/${file.fileName}` } },
      );
    }
  });
  return sorted;
}

/** What loading `.js` migrations needs from outside: see js-loader.ts. */
export interface LoadOptions {
  /** The environment `.js` migrations see (without the secret). */
  readonly jsEnv: NodeJS.ProcessEnv;
  /** Their working directory (the workspace). */
  readonly cwd: string;
  /** Where what they print goes. */
  readonly jsOutput: (line: string) => void;
  /** Aborted when the run is cancelled. */
  readonly signal?: AbortSignal;
}

const DEFAULT_LOAD_OPTIONS: LoadOptions = { jsEnv: jsMigrationEnv(process.env, []), cwd: process.cwd(), jsOutput: () => undefined };

/**
 * Load and validate every migration file in `dir`, before anything is sent to the database. Returns id 0
 * (the table migration) followed by 1..N. Errors name the file and the fix.
 *
 * Files are read synchronously, in slices of 256 with a turn of the event loop between them (so that the
 * connection opened meanwhile makes progress): for thousands of small files that is several times faster
 * than asynchronous reads, each of which is a round trip through libuv's thread pool (measured by
 * `npm run bench`, no-op at N=1,000 and 10,000). `.js` files are run in one child process (js-loader.ts).
 */
export async function loadMigrations(dir: string, dirLabel: string, options: LoadOptions = DEFAULT_LOAD_OPTIONS): Promise<MigrationFile[]> {
  let entries: Dirent[];
  try {
    if (!statSync(dir).isDirectory()) {
      throw new UserError(`migrations-dir "${dirLabel}" is a file, not a directory; point it at the directory of migration files.`);
    }
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(describeFsError(error, `migrations-dir "${dirLabel}"`, 'directory'), { cause: error });
  }
  const named = validateFileNames(
    entries.map((e) => e.name),
    dirLabel,
  );
  const types = new Map(entries.map((e) => [e.name, e]));
  const realDir = realpathSync(dir);
  const texts: string[] = [];
  const js: JsMigration[] = [];
  for (const [index, file] of named.entries()) {
    const fullPath = `${dir}${path.sep}${file.fileName}`;
    const label = `${dirLabel}/${file.fileName}`;
    texts.push(readMigrationFile(fullPath, realDir, dirLabel, label, file, types.get(file.fileName)!));
    if (file.kind === 'js') js.push({ fullPath, label });
    // Let other work started with this run (the connection to the database) make progress meanwhile.
    if (index % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
  }
  const generated = js.length > 0 ? await generateSqlInChild(js, { env: options.jsEnv, cwd: options.cwd, output: options.jsOutput, signal: options.signal }) : undefined;
  const files: MigrationFile[] = [tableMigration()];
  for (const [index, file] of named.entries()) {
    const label = `${dirLabel}/${file.fileName}`;
    const sql = file.kind === 'sql' ? texts[index]! : generated!.get(`${dir}${path.sep}${file.fileName}`)!;
    if (file.kind === 'js') refuseNul(sql, label);
    files.push({
      id: file.id,
      name: file.name,
      fileName: file.fileName,
      kind: file.kind,
      label,
      sql,
      hash: hashMigration(file.fileName, sql),
      transaction: !sql.includes(DISABLE_TRANSACTION_MARKER),
    });
  }
  return files;
}

/**
 * Whether `target` lies outside `dir`. A name that merely starts with two dots is inside: a Kubernetes
 * ConfigMap volume links each file to `..data/<file>`, and `..data` to `..2026_11_25_…`. Pure.
 */
export function isOutside(dir: string, target: string): boolean {
  const relative = path.relative(dir, target);
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

/** Where the down file of an up file lives: `<migrations-dir>/down/<the same file name>`. */
export const DOWN_DIR = 'down';

/**
 * The down files of `ups` (`<dir>/down/<file name>`), as MigrationFiles with the up file's id and name;
 * undefined for an up file that has none. Read with the rules of up files (a regular file or a link
 * inside the directory, UTF-8, no NUL); a `.js` down file's SQL comes from its generateSql().
 */
export async function loadDownFiles(
  dir: string,
  dirLabel: string,
  ups: readonly MigrationFile[],
  options: LoadOptions = DEFAULT_LOAD_OPTIONS,
): Promise<Map<number, MigrationFile | undefined>> {
  const downDir = path.join(dir, DOWN_DIR);
  const downLabel = `${dirLabel}/${DOWN_DIR}`;
  const found = new Map<number, MigrationFile | undefined>();
  let realDir: string | undefined;
  let present = true;
  try {
    lstatSync(downDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(describeFsError(error, downLabel, 'directory'), { cause: error });
    present = false;
  }
  if (present) {
    // There, but not a directory to read (a file, a broken link, a link loop): say so, rather than report
    // every down file as missing.
    if (!isDirectory(downDir)) {
      throw new UserError(`${downLabel} is not a directory (a file, or a link that leads nowhere); it must be the directory of down files, named like the files they undo.`, {
        location: { file: downLabel },
      });
    }
    realDir = realpathSync(downDir);
  }
  // Like an up file's link, a linked down/ must stay inside the migrations directory.
  if (realDir !== undefined && isOutside(realpathSync(dir), realDir)) {
    throw new UserError(`${downLabel} is a link to a directory outside ${dirLabel}; keep the down files in ${downLabel} itself.`, { location: { file: downLabel } });
  }
  const texts = new Map<number, string>();
  const js: JsMigration[] = [];
  for (const up of ups) {
    const fullPath = path.join(downDir, up.fileName);
    const label = `${downLabel}/${up.fileName}`;
    let entry: Stats | undefined;
    try {
      entry = realDir === undefined ? undefined : lstatSync(fullPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new UserError(describeFsError(error, `Down file ${label}`, 'file'), { cause: error });
    }
    if (entry === undefined) {
      found.set(up.id, undefined);
      continue;
    }
    texts.set(up.id, readMigrationFile(fullPath, realDir!, downLabel, label, up, entry));
    if (up.kind === 'js') js.push({ fullPath, label });
  }
  const generated = js.length > 0 ? await generateSqlInChild(js, { env: options.jsEnv, cwd: options.cwd, output: options.jsOutput, signal: options.signal }) : undefined;
  for (const up of ups) {
    if (!texts.has(up.id)) continue;
    const label = `${downLabel}/${up.fileName}`;
    const sql = up.kind === 'sql' ? texts.get(up.id)! : generated!.get(path.join(downDir, up.fileName))!;
    if (up.kind === 'js') refuseNul(sql, label);
    found.set(up.id, { ...up, label, sql, hash: hashMigration(up.fileName, sql), transaction: !sql.includes(DISABLE_TRANSACTION_MARKER) });
  }
  return found;
}

/** Whether `dir` leads to a directory (false for anything else, a broken link or a link loop included). */
function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Reused for every file: migrations are small, so one read fills it and a short read means the end. */
const scratch = Buffer.allocUnsafe(256 * 1024);

/** A migration file's text, after checking that it is a file of the directory and is UTF-8. */
function readMigrationFile(
  fullPath: string,
  realDir: string,
  dirLabel: string,
  label: string,
  file: Pick<Named, 'kind'>,
  entry: Pick<Dirent, 'isFile' | 'isSymbolicLink'>,
): string {
  const location = { file: label };
  let bytes: Buffer;
  try {
    // A plain file in the directory needs no checks; a link must stay inside it and lead to a file.
    if (!entry.isFile()) {
      if (!entry.isSymbolicLink() || !statSync(fullPath).isFile()) {
        throw new UserError(`Migration file ${label} is not a regular file; remove it or rename it so it does not end in .${file.kind}.`, {
          location,
        });
      }
      if (isOutside(realDir, realpathSync(fullPath))) {
        throw new UserError(
          `Migration file ${label} is a link to a file outside ${dirLabel}; copy the file into the directory instead.`,
          { location },
        );
      }
    }
    const fd = openSync(fullPath, 'r');
    try {
      const length = readSync(fd, scratch, 0, scratch.length, 0);
      bytes = length < scratch.length ? scratch.subarray(0, length) : readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(describeFsError(error, `Migration file ${label}`, 'file'), { cause: error, location });
  }
  // Strict UTF-8 (as TextDecoder's fatal mode); a BOM stays in the text, as postgres-migrations reads it.
  // Decoding turns any invalid sequence into U+FFFD, so only a text that holds one needs the full check.
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD') && !isUtf8(bytes)) {
    throw new UserError(`Migration file ${label} is not valid UTF-8; save it as UTF-8.`, { location });
  }
  if (file.kind === 'sql') refuseNul(text, label);
  return text;
}

/**
 * PostgreSQL's protocol cannot carry a NUL character (the server would answer "invalid message format").
 * A file saved as UTF-16 has one in every other byte.
 */
function refuseNul(sql: string, label: string): void {
  const at = sql.indexOf('\0');
  if (at < 0) return;
  const line = sql.slice(0, at).split('\n').length;
  throw new UserError(
    `Migration file ${label} contains a NUL character (at line ${line}), which PostgreSQL cannot receive; remove it ` +
      '(a file saved as UTF-16 has one in every character: save it as UTF-8).',
    { location: { file: label, line } },
  );
}

function describeFsError(error: unknown, what: string, kind: 'file' | 'directory'): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return kind === 'directory'
        ? `${what} does not exist; set migrations-dir to the directory of migration files, relative to the workspace (and check out the repository first).`
        : `${what} disappeared or is a broken link; restore it.`;
    case 'EACCES':
    case 'EPERM':
      return `${what} cannot be read (permission denied); make it readable by the user that runs this step.`;
    case 'ENOTDIR':
      return `${what} is not a directory; point it at the directory of migration files.`;
    case 'ELOOP':
      return `${what} is a link that points to itself; replace it with the file.`;
    default:
      return `${what} cannot be read (${code ?? messageOf(error)}); check the path and its permissions.`;
  }
}
