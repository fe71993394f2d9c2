export const id = 263;
export const ids = [263];
export const modules = {

/***/ 5263:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   choosePgDump: () => (/* binding */ choosePgDump),
/* harmony export */   dumpPrefix: () => (/* binding */ dumpPrefix),
/* harmony export */   dumpRows: () => (/* binding */ dumpRows),
/* harmony export */   dumpSchema: () => (/* binding */ dumpSchema),
/* harmony export */   execProgram: () => (/* binding */ execProgram),
/* harmony export */   pgDumpCandidates: () => (/* binding */ pgDumpCandidates),
/* harmony export */   takeBackup: () => (/* binding */ takeBackup)
/* harmony export */ });
/* unused harmony exports parsePgDumpVersion, backupFileName, libpqEnv, restoreCommand, BackupStopped */
/* harmony import */ var node_child_process__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(1421);
/* harmony import */ var node_crypto__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(7598);
/* harmony import */ var node_fs__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3024);
/* harmony import */ var node_path__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(6760);
/* harmony import */ var pg_connection_string__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(984);
/* harmony import */ var _db_tls_js__WEBPACK_IMPORTED_MODULE_5__ = __webpack_require__(6203);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_6__ = __webpack_require__(452);
/* harmony import */ var _retention_js__WEBPACK_IMPORTED_MODULE_7__ = __webpack_require__(8155);








const execProgram = (file, args, env, signal) => new Promise((resolve, reject) => {
    const child = (0,node_child_process__WEBPACK_IMPORTED_MODULE_0__.spawn)(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
    let stopped = false;
    const stop = () => {
        stopped = true;
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    };
    if (signal?.aborted)
        stop();
    else
        signal?.addEventListener('abort', stop, { once: true });
    child.once('error', reject);
    child.once('close', (code) => {
        signal?.removeEventListener('abort', stop);
        if (stopped)
            reject(new Error(`${node_path__WEBPACK_IMPORTED_MODULE_3__.basename(file)} was stopped`));
        else
            resolve({ exitCode: code ?? -1, stdout, stderr });
    });
});
/** "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> { major 15, version "15.18" }. Pure. */
function parsePgDumpVersion(text) {
    const match = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
    if (!match)
        return undefined;
    return { major: Number(match[1]), version: match[2] === undefined ? match[1] : `${match[1]}.${match[2]}` };
}
/** Candidate pg_dump paths: the explicit one, else PATH first, then /usr/lib/postgresql/<major>/bin, newest first. */
async function pgDumpCandidates(explicit, envPath = process.env.PATH ?? '', libRoot = '/usr/lib/postgresql') {
    if (explicit)
        return [explicit];
    const found = [];
    for (const dir of envPath.split(node_path__WEBPACK_IMPORTED_MODULE_3__.delimiter).filter(Boolean)) {
        const candidate = node_path__WEBPACK_IMPORTED_MODULE_3__.join(dir, 'pg_dump');
        if (await isExecutable(candidate)) {
            found.push(candidate);
            break;
        }
    }
    const majors = await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.readdir(libRoot).catch(() => []);
    for (const major of majors.filter((m) => /^\d+$/.test(m)).sort((a, b) => Number(b) - Number(a))) {
        const candidate = node_path__WEBPACK_IMPORTED_MODULE_3__.join(libRoot, major, 'bin', 'pg_dump');
        if (await isExecutable(candidate))
            found.push(candidate);
    }
    return found;
}
async function isExecutable(file) {
    try {
        await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.access(file, node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.constants.X_OK);
        return (await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.stat(file)).isFile();
    }
    catch {
        return false;
    }
}
/**
 * The first candidate whose major version is at least the server's (pg_dump refuses newer servers).
 * Fails with every version found and the fix.
 */
async function choosePgDump(serverMajor, candidates, exec, explicitInput, undone = 'applied', what = 'Backup') {
    const seen = [];
    for (const candidate of candidates) {
        const result = await exec(candidate, ['--version']).catch((error) => ({ exitCode: -1, stdout: '', stderr: (0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error) }));
        const parsed = result.exitCode === 0 ? parsePgDumpVersion(result.stdout) : undefined;
        if (!parsed) {
            seen.push(`${candidate} (not runnable)`);
            continue;
        }
        if (parsed.major >= serverMajor)
            return { path: candidate, ...parsed };
        seen.push(`${candidate} ${parsed.version}`);
    }
    const found = seen.length > 0 ? `found ${seen.join(', ')}` : 'found none on PATH or in /usr/lib/postgresql/*/bin';
    const fix = explicitInput
        ? `point ${explicitInput} at a pg_dump ${serverMajor} or newer`
        : `install the PostgreSQL ${serverMajor} client (Debian/Ubuntu: postgresql-client-${serverMajor} from apt.postgresql.org), or set pg-dump-path to a pg_dump ${serverMajor} or newer`;
    throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`${what} needs pg_dump ${serverMajor} or newer for this PostgreSQL ${serverMajor} server (${found}); ${fix}. Nothing was ${undone}.`);
}
/**
 * What a dump's name starts with: the database's name and a tag of the server and database (8 hex
 * digits of the SHA-256 of `host:port/database`; not secret), so that two servers' `app`, or `my db`
 * and `my_db`, never share names and backup-retention never takes one's dumps for the other's. Pure.
 */
function dumpPrefix(endpoint) {
    return `${endpoint.database}-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.hash)('sha256', `${endpoint.host}:${endpoint.port}/${endpoint.database}`, 'hex').slice(0, 8)}`;
}
/**
 * `<db>-r<revision>-<UTC timestamp>.dump|.sql`, safe as a file name (the revision is the engine's id, `0`
 * when none; Alembic's several heads are joined by `+`). The revision part has no `-` (it becomes `_`),
 * so the last `-r` before the timestamp ends the database's name: backup-retention tells one database's
 * dumps from another's (`app` from `app-r1`) by the name alone. Pure.
 */
function backupFileName(database, revision, at, format) {
    const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
    const rev = revision.trim().split(/\s+/).map((part) => (0,_retention_js__WEBPACK_IMPORTED_MODULE_7__/* .safeName */ .jC)(part).replace(/-/g, '_')).join('+').slice(0, 80) || '0';
    return `${(0,_retention_js__WEBPACK_IMPORTED_MODULE_7__/* .safeName */ .jC)(database)}-r${rev}-${stamp}.${format === 'custom' ? 'dump' : 'sql'}`;
}
/** Where the system's trusted CA certificates are, for `sslrootcert=system` with a libpq older than 16. */
const SYSTEM_CA_FILES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
/**
 * libpq environment for pg_dump/pg_restore: the password travels in PGPASSWORD, never in argv (where any
 * user of the machine can read it in the process list). TLS settings are the URL's, with libpq's
 * meaning, as for our own connection (tls.ts); libpq before 16 does not know `sslrootcert=system`, so
 * it is given the system's CA file instead.
 */
function libpqEnv(databaseUrl, base = process.env, libpqMajor = 16) {
    const c = (0,pg_connection_string__WEBPACK_IMPORTED_MODULE_4__/* .parse */ .qg)((0,_db_tls_js__WEBPACK_IMPORTED_MODULE_5__/* .withoutTlsParams */ .ww)(databaseUrl));
    const tls = (0,_db_tls_js__WEBPACK_IMPORTED_MODULE_5__/* .tlsSettings */ .Bl)(databaseUrl);
    const env = { ...base };
    for (const key of Object.keys(env))
        if (key.startsWith('PG'))
            delete env[key];
    const set = (name, value) => {
        if (typeof value === 'string' && value !== '')
            env[name] = value;
        else if (typeof value === 'number')
            env[name] = String(value);
    };
    set('PGHOST', c.host);
    set('PGPORT', c.port);
    set('PGUSER', c.user);
    // As the driver does: the URL's password, else PGPASSWORD, else libpq reads the password file.
    set('PGPASSWORD', c.password || base.PGPASSWORD);
    set('PGPASSFILE', base.PGPASSFILE);
    set('PGDATABASE', c.database);
    set('PGSSLMODE', tls.mode);
    set('PGSSLROOTCERT', tls.rootCert === 'system' && libpqMajor < 16 ? SYSTEM_CA_FILES.find((file) => (0,node_fs__WEBPACK_IMPORTED_MODULE_2__.existsSync)(file)) : tls.rootCert);
    set('PGSSLCERT', tls.cert);
    set('PGSSLKEY', tls.key);
    set('PGOPTIONS', c.options);
    // Told apart from every other session, so that its queries can be cancelled if the run is.
    env.PGAPPNAME = `migrate-action-backup-${(0,node_crypto__WEBPACK_IMPORTED_MODULE_1__.randomBytes)(4).toString('hex')}`;
    env.PGCONNECT_TIMEOUT = '30';
    return env;
}
function restoreCommand(file, format) {
    // Single-quoted for a POSIX shell, a quote in the path included: the command is safe to copy.
    const quoted = `'${file.replace(/'/g, "'\\''")}'`;
    return format === 'custom'
        ? `pg_restore --clean --if-exists --no-owner --dbname "$DATABASE_URL" ${quoted}`
        : `psql "$DATABASE_URL" --single-transaction --file ${quoted}`;
}
/** The backup was stopped because the run was cancelled; its server session is named so it can be cancelled too. */
class BackupStopped extends _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo {
    applicationName;
    constructor(file, applicationName, undone = 'applied') {
        super(`the backup was stopped and its partial file ${file} removed; nothing was ${undone}`);
        this.name = 'BackupStopped';
        this.applicationName = applicationName;
    }
}
/**
 * Dump the database into a new file (mode 0600, in a 0700 directory) and verify it: non-empty, and for
 * the custom format readable by `pg_restore --list`. Any failure removes the partial file and throws.
 */
async function takeBackup(request) {
    const { dir, format, pgDump, clock, exec } = request;
    const undone = request.undone ?? 'applied';
    const started = clock.now();
    try {
        // Directories we create are 0700; one that exists keeps its mode (it may be the checkout itself),
        // and the dump in it is 0600 either way.
        await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.mkdir(dir, { recursive: true, mode: 0o700 });
    }
    catch (error) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`backup-dir "${dir}" cannot be created (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error)}); point backup-dir at a writable directory. Nothing was ${undone}.`);
    }
    const file = await createBackupFile(dir, backupFileName(request.database, request.revision, new Date(clock.now()), format), undone);
    const env = libpqEnv(request.databaseUrl, process.env, pgDump.major);
    const fail = async (why) => {
        await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.rm(file, { force: true });
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`Backup with ${pgDump.path} failed: ${why}; nothing was ${undone}. Fix the cause, or run without backup.`);
    };
    const dump = await exec(pgDump.path, [`--format=${format}`, `--file=${file}`, '--no-password'], env, request.signal).catch(async (error) => {
        await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.rm(file, { force: true });
        if (request.signal?.aborted)
            throw new BackupStopped(file, env.PGAPPNAME, undone);
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`Backup with ${pgDump.path} failed: it could not be run (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error)}); nothing was ${undone}.`, { cause: error });
    });
    if (dump.exitCode !== 0)
        await fail(`pg_dump exited with ${dump.exitCode}: ${lastLine(dump.stderr)}`);
    await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.chmod(file, 0o600);
    const { size } = await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.stat(file);
    if (size === 0)
        await fail('the dump file is empty');
    if (format === 'custom') {
        const pgRestore = node_path__WEBPACK_IMPORTED_MODULE_3__.join(node_path__WEBPACK_IMPORTED_MODULE_3__.dirname(pgDump.path), 'pg_restore');
        const list = await exec(pgRestore, ['--list', file], env).catch((error) => ({ exitCode: -1, stdout: '', stderr: (0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error) }));
        if (list.exitCode !== 0)
            await fail(`pg_restore --list cannot read the dump (${lastLine(list.stderr)})`);
    }
    else {
        const text = await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.readFile(file, 'utf8');
        if (!text.includes('PostgreSQL database dump complete'))
            await fail('the plain dump is incomplete (no "dump complete" line)');
    }
    return {
        path: file,
        sizeBytes: size,
        durationMs: clock.now() - started,
        format,
        pgDump,
        restoreCommand: restoreCommand(file, format),
    };
}
/**
 * Create the dump file, empty, with mode 0600 (so the dump is never readable by others, even while it is
 * written), never over an existing one: a second dump within the same second gets `-2`, `-3`, … before
 * the extension.
 */
async function createBackupFile(dir, name, undone = 'applied') {
    const extension = node_path__WEBPACK_IMPORTED_MODULE_3__.extname(name);
    for (let n = 1;; n += 1) {
        const file = node_path__WEBPACK_IMPORTED_MODULE_3__.join(dir, n === 1 ? name : `${name.slice(0, -extension.length)}-${n}${extension}`);
        try {
            await (await node_fs__WEBPACK_IMPORTED_MODULE_2__.promises.open(file, 'wx', 0o600)).close();
            return file;
        }
        catch (error) {
            if (error.code !== 'EEXIST' || n >= 100) {
                throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`The backup file ${file} cannot be created (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error)}); point backup-dir at a writable directory. Nothing was ${undone}.`);
            }
        }
    }
}
/**
 * The database's schema as a plain SQL script (`pg_dump --schema-only`), for the shadow run: without
 * owners, privileges, comments, tablespaces, publications, subscriptions or security labels, which an
 * empty database of another server may not be able to take. Waits at most 30 s for a table's lock.
 */
function dumpSchema(databaseUrl, pgDump, exec, signal) {
    return dumpText(databaseUrl, pgDump, exec, ['--schema-only', '--no-owner', '--no-privileges', '--no-comments', '--no-tablespaces', '--no-publications', '--no-subscriptions', '--no-security-labels'], signal);
}
/**
 * The rows of table `name` (in any schema) and the value of its serial sequence, as INSERT statements and a
 * setval (what the driver can run, unlike COPY … FROM stdin): an engine's state for the shadow run.
 */
function dumpRows(databaseUrl, pgDump, exec, name, signal) {
    return dumpText(databaseUrl, pgDump, exec, ['--data-only', '--inserts', `--table=*.${name}`, `--table=*.${name}_*_seq`], signal);
}
async function dumpText(databaseUrl, pgDump, exec, what, signal) {
    const args = [...what, '--lock-wait-timeout=30000', '--no-password'];
    const dumped = await exec(pgDump.path, args, libpqEnv(databaseUrl, process.env, pgDump.major), signal).catch((error) => {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`pg_dump ${what[0]} with ${pgDump.path} could not be run (${(0,_errors_js__WEBPACK_IMPORTED_MODULE_6__/* .messageOf */ .bD)(error)}); nothing was changed.`, { cause: error });
    });
    if (dumped.exitCode !== 0) {
        throw new _errors_js__WEBPACK_IMPORTED_MODULE_6__/* .UserError */ .yo(`pg_dump ${what[0]} with ${pgDump.path} failed (exit code ${dumped.exitCode}: ${lastLine(dumped.stderr)}); nothing was changed.`);
    }
    return dumped.stdout;
}
function lastLine(text) {
    const lines = text.trim().split(/\r?\n/).filter(Boolean);
    return lines[lines.length - 1] ?? 'no message';
}


/***/ })

};
