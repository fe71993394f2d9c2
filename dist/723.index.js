export const id = 723;
export const ids = [723];
export const modules = {

/***/ 2723:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   undoMigration: () => (/* binding */ undoMigration)
/* harmony export */ });
/* unused harmony export unrecordSql */
/* harmony import */ var pg__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(3849);
/* harmony import */ var _engines_types_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2654);
/* harmony import */ var _db_session_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(3794);
/* harmony import */ var _apply_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(4017);
/* harmony import */ var _failure_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(4563);





/**
 * The statement that removes a migration's row, guarded like the one that writes it (recordSql in
 * apply.ts): it removes the row only in the transaction it must run in (ours, begun with BEGIN, for a
 * down file in a transaction; none left open by the file, otherwise) and in the server session that
 * holds the lock. Otherwise it removes nothing, and the caller rolls back. Written as the login role
 * (then the settings' role), with the table's schema, whatever the down file did to the session. Pure.
 */
function unrecordSql(table, down, session) {
    const inOurTransaction = down.transaction ? 'transaction_timestamp() < statement_timestamp()' : 'transaction_timestamp() = statement_timestamp()';
    return ('SET SESSION AUTHORIZATION DEFAULT; ' +
        (session.role === undefined ? '' : `SET ROLE ${pg__WEBPACK_IMPORTED_MODULE_0__/* ["default"].escapeIdentifier */ .Ay.escapeIdentifier(session.role)}; `) +
        `DELETE FROM ${table} WHERE "id" = ${Math.trunc(down.id)} AND ${inOurTransaction} AND pg_backend_pid() = ${Math.trunc(session.lockPid)} RETURNING "id"`);
}
/** The rows a multi-statement query's last statement returned (pg gives an array of results for several). */
function lastRows(result) {
    const results = Array.isArray(result) ? result : [result];
    return results[results.length - 1]?.rowCount ?? 0;
}
/**
 * Undo one migration with its down file. In a transaction (the default): BEGIN, the down SQL, the row's
 * removal, COMMIT, so the schema and the migrations table change together or not at all. With the
 * disable-transaction marker: the SQL, then the row's removal on its own. Then the session is set back
 * to a new one's state. Throws EngineFailed naming the down file, the line, what PostgreSQL said and
 * what is now true (`outcome.now`).
 */
async function undoMigration(client, down, session, outcome) {
    let phase = 'sql';
    try {
        if (down.transaction) {
            await client.query('BEGIN');
            await client.query((0,_apply_js__WEBPACK_IMPORTED_MODULE_3__/* .executableSql */ .lF)(down));
            phase = 'unrecord';
            const removed = lastRows(await client.query(unrecordSql(session.table, down, session)));
            if (removed !== 1)
                throw new RowNotRemoved();
            phase = 'commit';
            await client.query(`COMMIT; ${session.restoreSql}`);
        }
        else {
            await client.query((0,_apply_js__WEBPACK_IMPORTED_MODULE_3__/* .executableSql */ .lF)(down));
            phase = 'unrecord';
            const removed = lastRows(await client.query(unrecordSql(session.table, down, session)));
            if (removed !== 1)
                throw new RowNotRemoved();
            await client.query(session.restoreSql);
        }
    }
    catch (error) {
        if (!(0,_db_session_js__WEBPACK_IMPORTED_MODULE_2__/* .isConnectionError */ .Rk)(error))
            await client.query('ROLLBACK').catch(() => undefined);
        throw undoFailure(down, phase, error, outcome);
    }
}
class RowNotRemoved extends Error {
}
function undoFailure(down, phase, error, outcome) {
    const label = down.label;
    const ranAs = down.transaction ? 'it was rolled back' : 'it runs without a transaction, so statements of it may have taken effect (check the database)';
    if (outcome.signal?.aborted) {
        return new _engines_types_js__WEBPACK_IMPORTED_MODULE_1__/* .EngineFailed */ .c(`The run was cancelled (${String(outcome.signal.reason)}) while ${label} ran: ${phase === 'commit' ? 'it may or may not be committed' : ranAs}; ${outcome.now}.`, {
            stateUnknown: phase === 'commit',
        });
    }
    if (error instanceof RowNotRemoved) {
        return new _engines_types_js__WEBPACK_IMPORTED_MODULE_1__/* .EngineFailed */ .c(`${label} ran, but its row in the migrations table could not be removed in the same ${down.transaction ? 'transaction' : 'session'}: the file ends or leaves open a transaction, ` +
            `or a connection pooler moved the session; ${ranAs}. Remove transaction control from the down file (or mark it -- postgres-migrations disable-transaction), ` +
            `or connect without a transaction pooler; ${outcome.now}.`, { location: { file: label } });
    }
    const fields = (0,_failure_js__WEBPACK_IMPORTED_MODULE_4__/* .pgFields */ .LF)(error);
    const what = `${fields.code ? `${fields.code} ` : ''}${fields.message}`;
    if ((0,_db_session_js__WEBPACK_IMPORTED_MODULE_2__/* .isConnectionError */ .Rk)(error)) {
        return new _engines_types_js__WEBPACK_IMPORTED_MODULE_1__/* .EngineFailed */ .c(`Lost the database connection that holds the migration lock while ${label} ran (${what}): ` +
            `${phase === 'commit' ? 'it may or may not be committed (the next run reads the migrations table and knows)' : down.transaction ? 'the server rolled it back' : ranAs}; ${outcome.now}.`, { stateUnknown: phase === 'commit' });
    }
    const at = phase === 'sql' && fields.position !== undefined ? (0,_failure_js__WEBPACK_IMPORTED_MODULE_4__/* .lineAndColumn */ .q1)((0,_apply_js__WEBPACK_IMPORTED_MODULE_3__/* .executableSql */ .lF)(down), fields.position) : undefined;
    const where = at === undefined ? '' : ` at line ${at.line}, column ${at.column}`;
    const detail = fields.detail ? ` (${fields.detail})` : '';
    return new _engines_types_js__WEBPACK_IMPORTED_MODULE_1__/* .EngineFailed */ .c(`Down file ${label} failed${where}: ${what}${detail}; ${ranAs}; ${outcome.now}. Fix the down file, then run the rollback again.`, {
        location: { file: label, line: at?.line, column: at?.column },
        code: fields.code,
    });
}


/***/ })

};
