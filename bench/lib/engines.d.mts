/** `alembic init`'s generic env.py (logging and sqlalchemy.url from the ini; online and offline). */
export declare const ENV_PY: string;
/** alembic.ini with `url` as sqlalchemy.url and script_location = %(here)s. */
export declare function alembicIni(url: string): string;
