"""migrate-action's bridge to Alembic: reads the state, upgrades and stamps through Alembic's own API.

Run by migrate-action with the project's Python (the one that has Alembic, SQLAlchemy, the driver and
whatever env.py imports), in serve mode; the other modes do one command each, for running it by hand:

    python alembic_helper.py state   -c alembic.ini [--sql]
    python alembic_helper.py upgrade -c alembic.ini <target>
    python alembic_helper.py stamp   -c alembic.ini <target>
    python alembic_helper.py downgrade-plan -c alembic.ini <target> [--sql]
    python alembic_helper.py downgrade -c alembic.ini <target>
    python alembic_helper.py serve   -c alembic.ini

serve imports Alembic, then answers commands, one JSON line each on file descriptor 4
({"mode": "state", "sql": bool, "env": {...}}, {"mode": "upgrade"|"stamp"|"downgrade", "target": ..., "env": {...}}
or {"mode": "downgrade-plan", "target": ..., "sql": bool, "env": {...}};
"env" is set in os.environ first: DATABASE_URL), with one document each on fd 3, until fd 4
is closed. migrate-action starts it while it connects and takes its lock, so that Python's start-up and
imports overlap its own, and a run that applies starts Python once.

The database is DATABASE_URL from the environment; it is set as sqlalchemy.url, and stays in the
environment for env.py files that read it themselves. The result is ONE JSON document written to file
descriptor 3 (stdout and stderr stay free for env.py, Alembic's log and the migrations' prints):

    {"ok": true,  "alembic": "1.8.1", "sqlalchemy": "1.4.46", "python": "3.11.2", "state": {...}}
    {"ok": false, "alembic": ..., "error": {"kind", "message", "type", "file", "line", "pgcode",
                                            "statement"}, "state": {...} or null, "state_error": "..."}

    state: {"script_dir", "current": [heads in the version table], "heads": [the scripts' heads],
            "applied": [revision...], "pending": [revision...] (both base first),
            "version_table", "version_table_schema"}
    revision: {"revision", "doc", "path", "down_revision": [...], "needs": [down revisions and
               depends_on], and with --sql, pending only: "sql" or "sql_note"}
    downgrade-plan: {"ok": true, "state": {...}, "undo": [revision + "irreversible" (why it has no way
                    back, when it has none) + with --sql "sql" or "sql_note", the latest first]}: what
                    `alembic downgrade <target>` would undo, from Alembic's own walk; changes nothing.
    downgrade: runs `alembic downgrade <target>` with one transaction per revision (env.py's configure()
               is given transaction_per_migration=True unless it sets it), then "state".
    error kinds: missing, too-old (exit 4); env, unknown-current (state); target (downgrade-plan: Alembic
                 refused the target; "choices": the revisions one step below the current heads); migration,
                 stopped (upgrade, stamp, downgrade; "state" is then read again in a new context); internal.

Exit status: 0 ok; 3 a failure described in "error"; 4 Alembic missing or too old (kind "missing" or
"too-old"). Compatible with Python 3.7+ and Alembic 1.7+.
"""
import io
import json
import logging
import os
import re
import signal
import sys
import traceback
from urllib.parse import unquote, urlsplit

RESULT_FD = 3
COMMAND_FD = 4
EXIT_OK = 0
EXIT_FAILED = 3
EXIT_UNUSABLE = 4
MINIMUM_ALEMBIC = (1, 7)

# Filled in as soon as the modules are imported: every document carries the versions.
versions = {}


class Stopped(BaseException):
    """SIGTERM or SIGINT from migrate-action (a cancelled run). A BaseException, so that an env.py or a
    migration that catches Exception does not swallow it."""


class HelperFailure(Exception):
    """A failure this helper explains itself (no traceback is useful)."""

    def __init__(self, kind, message, **details):
        Exception.__init__(self, message)
        self.kind = kind
        self.details = details


_results = []


def results():
    """fd 3, opened once (a second fdopen would close it when the first is collected); stdout when run by hand."""
    if not _results:
        try:
            _results.append(os.fdopen(RESULT_FD, "w", encoding="utf-8"))
        except OSError:
            _results.append(sys.stdout)
    return _results[0]


def write_result(document, code):
    """Write one JSON document (one line) and exit with `code`; in serve mode the loop catches the exit."""
    document = dict(versions, **document)
    out = results()
    out.write(json.dumps(document))
    out.write("\n")
    out.flush()
    sys.exit(code)


# --- the URL -------------------------------------------------------------------------------------


def raw_url():
    return os.environ.get("DATABASE_URL", "")


def sqlalchemy_url(ini_url):
    """DATABASE_URL as SQLAlchemy takes it: postgres:// is not a dialect name in SQLAlchemy 1.4+, and the
    driver named in alembic.ini (postgresql+psycopg://...) is kept, so that a project without psycopg2
    uses its own."""
    url = raw_url()
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    driver = re.match(r"^postgresql\+([A-Za-z0-9_]+)://", ini_url or "")
    if driver and url.startswith("postgresql://"):
        url = "postgresql+" + driver.group(1) + "://" + url[len("postgresql://"):]
    return url


def secret_forms():
    """The URL and its password in the forms a message could show them in (longest first)."""
    url = raw_url()
    forms = {url, url.replace("%", "%%")}
    if url.startswith("postgres://"):
        forms.add("postgresql://" + url[len("postgres://"):])
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        forms.update({password, unquote(password)})
    return sorted((f for f in forms if len(f) >= 3), key=len, reverse=True)


def scrub(text):
    """Never hand back the URL or its password, whatever a driver put in a message."""
    for form in secret_forms():
        text = text.replace(form, "***")
    # Any other URL with a password in it (one SQLAlchemy rebuilt with another driver name, say).
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


# --- Alembic -------------------------------------------------------------------------------------


def import_alembic():
    """Import Alembic, or exit 4 saying what is missing or too old."""
    try:
        import alembic
        import sqlalchemy
    except ImportError as error:
        write_result({"ok": False, "error": {"kind": "missing", "message": scrub(str(error))},
                      "python": python_version()}, EXIT_UNUSABLE)
    versions.update(alembic=alembic.__version__, sqlalchemy=sqlalchemy.__version__, python=python_version())
    if version_tuple(alembic.__version__) < MINIMUM_ALEMBIC:
        write_result({"ok": False, "error": {"kind": "too-old", "message": "alembic %s" % alembic.__version__}},
                     EXIT_UNUSABLE)


def python_version():
    return "%d.%d.%d" % sys.version_info[:3]


def version_tuple(text):
    numbers = re.match(r"^(\d+)\.(\d+)", text)
    return (int(numbers.group(1)), int(numbers.group(2))) if numbers else (0, 0)


def make_config(ini, output_buffer=None):
    """A fresh Config for alembic.ini with our database as sqlalchemy.url. One per command: Alembic keeps
    per-run things on it (the output buffer, attributes an env.py sets)."""
    from alembic.config import Config

    config = Config(ini, output_buffer=output_buffer)
    try:
        ini_url = config.get_main_option("sqlalchemy.url")
    except Exception:  # a % in the placeholder that configparser cannot interpolate: not ours to fix
        ini_url = None
    if raw_url():
        # configparser interpolates %: a percent-encoded password must reach SQLAlchemy as written.
        config.set_main_option("sqlalchemy.url", sqlalchemy_url(ini_url).replace("%", "%%"))
    return config


def as_tuple(value):
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def one_line(text, limit=600):
    flat = re.sub(r"\s+", " ", text or "").strip()
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe(revision):
    """A revision as migrate-action sees it. `needs`: what must be applied before it (its down revisions
    and the revisions it depends_on)."""
    needs = getattr(revision, "_all_down_revisions", None)
    return {
        "revision": revision.revision,
        "doc": one_line(revision.doc, 200),
        "path": revision.path,
        "down_revision": list(as_tuple(revision.down_revision)),
        "needs": list(needs if needs is not None else as_tuple(revision.down_revision)),
    }


def read_state(ini, with_sql=False):
    """What the database has and what the scripts have. env.py runs (so that its version_table, schema
    and connection settings apply) with a function that reads alembic_version and changes nothing."""
    from alembic.runtime.environment import EnvironmentContext
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    config = make_config(ini)
    script = ScriptDirectory.from_config(config)
    found = {}

    def read_heads(heads, context):
        if "current" not in found:
            found.update(current=list(heads), version_table=context.version_table,
                         version_table_schema=context.version_table_schema)
        return []

    with EnvironmentContext(config, script, fn=read_heads, dont_mutate=True):
        script.run_env()
    if "current" not in found:
        raise HelperFailure("env", "env.py did not call context.run_migrations(), so the database's revision "
                                   "could not be read")

    order = list(script.walk_revisions())[::-1]  # base first
    current = found["current"]
    try:
        applied_ids = set(r.revision for r in script.iterate_revisions(tuple(current), "base")) if current else set()
    except (CommandError, RevisionError) as error:
        raise HelperFailure("unknown-current", "the database is at revision %s, which the scripts do not have (%s)"
                            % (", ".join(current), one_line(str(error))), current=current, script_dir=script.dir)
    pending = [describe(r) for r in order if r.revision not in applied_ids]
    if with_sql:
        by_id = dict((r.revision, r) for r in order)
        for entry in pending:
            entry.update(offline_sql(ini, by_id[entry["revision"]]))
    return {
        "script_dir": script.dir,
        "current": current,
        "heads": list(script.get_heads()),
        "applied": [describe(r) for r in order if r.revision in applied_ids],
        "pending": pending,
        "version_table": found["version_table"],
        "version_table_schema": found["version_table_schema"],
    }


def offline_sql(ini, revision, direction="upgrade"):
    """The SQL of one revision from Alembic's offline mode (`upgrade <down>:<rev> --sql`, or
    `downgrade <rev>:<down> --sql`), or why not."""
    from alembic import command

    downs = as_tuple(revision.down_revision)
    if len(downs) > 1:
        return {"sql_note": "a merge revision: Alembic renders its SQL only together with the branches it joins"}
    below = downs[0] if downs else "base"
    span = "%s:%s" % (below, revision.revision) if direction == "upgrade" else "%s:%s" % (revision.revision, below)
    buffer = io.StringIO()
    try:
        getattr(command, direction)(make_config(ini, buffer), span, sql=True)
    except Stopped:
        raise
    except BaseException as error:  # SystemExit from an env.py, op.get_bind() results used in offline mode
        return {"sql_note": "Alembic's offline mode could not render it (%s)" % scrub(exception_line(error))}
    return {"sql": buffer.getvalue().strip()}


# --- rollback ------------------------------------------------------------------------------------


def function_body(function):
    """The statements of a function's body without its docstring, from its source; None when unknown."""
    import ast
    import inspect
    import textwrap

    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except Exception:  # no source (compiled only), or a decorator the parser cannot see through
        return None
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return None
    body = list(definition.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body


def is_empty(body):
    """Only `pass` and `...`."""
    import ast

    return all(isinstance(s, ast.Pass) or (isinstance(s, ast.Expr) and isinstance(getattr(s, "value", None), ast.Constant)
                                            and s.value.value is Ellipsis) for s in body)


def no_way_back(revision):
    """Why a revision cannot be undone, or None: no downgrade(), one that only raises, or one that does
    nothing while upgrade() does something (a merge revision's empty downgrade() is its way back)."""
    import ast

    module = revision.module
    downgrade = getattr(module, "downgrade", None)
    if not callable(downgrade):
        return "it has no downgrade() function"
    body = function_body(downgrade)
    if body is None:
        return None
    if len(body) == 1 and isinstance(body[0], ast.Raise):
        return "its downgrade() only raises"
    if is_empty(body) and len(as_tuple(revision.down_revision)) < 2:
        upgrade = getattr(module, "upgrade", None)
        up_body = function_body(upgrade) if callable(upgrade) else None
        if up_body is not None and not is_empty(up_body):
            return "its downgrade() is empty (pass) while its upgrade() is not"
    return None


def downgrade_plan(ini, target, with_sql):
    """What `alembic downgrade <target>` would undo, by Alembic's own walk (ScriptDirectory._downgrade_revs,
    what `downgrade` runs), the latest first; changes nothing."""
    from alembic.script import ScriptDirectory
    from alembic.script.revision import RevisionError
    from alembic.util import CommandError

    state = read_state(ini)
    script = ScriptDirectory.from_config(make_config(ini))
    current = tuple(state["current"])
    try:
        steps = script._downgrade_revs(target, current) if current else []
    except (CommandError, RevisionError) as error:
        choices = []
        for head in current:
            for below in as_tuple(script.get_revision(head).down_revision) or ("base",):
                if below not in choices:
                    choices.append(below)
        raise HelperFailure("target", scrub(one_line(exception_line(error))), choices=choices)
    undo = []
    for step in steps:
        revision = step.revision
        entry = describe(revision)
        why = no_way_back(revision)
        if why:
            entry["irreversible"] = why
        if with_sql:
            entry.update(offline_sql(ini, revision, "downgrade"))
        undo.append(entry)
    return {"state": state, "undo": undo}


def downgrade_plan_mode(ini, target, with_sql):
    answer(ini, lambda: downgrade_plan(ini, target, with_sql))


def downgrade_mode(ini, target):
    """`downgrade <target>`, each revision in its own transaction (with its alembic_version change): a
    failure leaves the revisions undone before it undone, as the rollback contract says."""
    from alembic.runtime.environment import EnvironmentContext

    original = EnvironmentContext.configure

    def configure(self, *args, **kwargs):
        kwargs.setdefault("transaction_per_migration", True)
        return original(self, *args, **kwargs)

    EnvironmentContext.configure = configure
    try:
        run_command("downgrade", ini, target)
    finally:
        EnvironmentContext.configure = original


# --- failures ------------------------------------------------------------------------------------


def exception_line(error):
    """`Type: first line` of an exception, without SQLAlchemy's [SQL: ...] and background link."""
    text = str(error).split("\n")[0].strip()
    if type(error).__name__ == "CommandError" and text:  # Alembic's own "FAILED:" messages say it all
        return text
    return "%s: %s" % (type(error).__name__, text) if text else type(error).__name__


def driver_error(error):
    """The DBAPI error under a SQLAlchemy one (psycopg2, psycopg), else None."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        orig = getattr(error, "orig", None)
        if orig is not None and isinstance(orig, BaseException):
            return orig
        error = error.__cause__ or error.__context__
    return None


def describe_failure(error, ini):
    """What failed, where (the last frame in a revision file, else in env.py) and the SQLSTATE."""
    kind = "stopped" if isinstance(error, Stopped) else "migration"
    described = {"kind": kind, "type": "%s.%s" % (type(error).__module__, type(error).__name__)}
    orig = driver_error(error)
    if kind == "stopped":
        described["message"] = str(error)
    elif orig is not None:
        diag = getattr(orig, "diag", None)
        primary = getattr(diag, "message_primary", None) or str(orig).split("\n")[0]
        detail = getattr(diag, "message_detail", None)
        described["message"] = one_line(primary + (" (%s)" % detail if detail else ""))
        described["type"] = "%s.%s" % (type(orig).__module__, type(orig).__name__)
        code = getattr(orig, "pgcode", None) or getattr(orig, "sqlstate", None)
        if code:
            described["pgcode"] = code
        statement = getattr(error, "statement", None)
        if statement:
            described["statement"] = one_line(statement, 300)
    else:
        described["message"] = one_line(exception_line(error))
    described["message"] = scrub(described["message"])
    described.update(location(error, ini))
    return described


def location(error, ini):
    """The file and line of the innermost frame in a revision file (else env.py) of the traceback."""
    if isinstance(error, SyntaxError) and error.filename:  # the file that does not compile is not in the traceback
        return {"file": error.filename, "line": error.lineno}
    try:
        from alembic.script import ScriptDirectory

        # Not the revisions themselves: loading them may be what failed.
        script = ScriptDirectory.from_config(make_config(ini))
        dirs = [os.path.realpath(d) for d in [script.dir] + list(getattr(script, "_version_locations", None) or [])]
        env_py = os.path.realpath(os.path.join(script.dir, "env.py"))
    except Exception:
        return {}

    def is_revision(file):
        return file != env_py and file.endswith(".py") and any(file.startswith(d + os.sep) for d in dirs)

    frames = [(os.path.realpath(f.filename), f) for f in traceback.extract_tb(error.__traceback__)]
    # Alembic's own refusals (unknown revision, several heads) pass through env.py's run_migrations() line,
    # which is not where the problem is.
    tests = (is_revision,) if type(error).__name__ == "CommandError" else (is_revision, lambda file: file == env_py)
    for test in tests:
        for real, frame in reversed(frames):
            if test(real):
                return {"file": frame.filename, "line": frame.lineno}
    return {}


def state_or_error(ini):
    """The state after a failure, read in a new context; an error in place of it when that fails too."""
    try:
        return {"state": read_state(ini)}
    except Stopped:
        return {"state": None, "state_error": "stopped"}
    except BaseException as error:
        return {"state": None, "state_error": scrub(one_line(exception_line(error)))}


# --- modes ---------------------------------------------------------------------------------------


def run_command(name, ini, target):
    """upgrade or stamp, then the state as it is now (on failure too)."""
    from alembic import command

    try:
        getattr(command, name)(make_config(ini), target)
    except BaseException as error:
        if isinstance(error, SystemExit) and not error.code:
            error = RuntimeError("env.py or a migration called sys.exit()")
        failure = describe_failure(error, ini)
        write_result(dict({"ok": False, "error": failure}, **state_or_error(ini)), EXIT_FAILED)
    write_result(dict({"ok": True}, **state_or_error(ini)), EXIT_OK)


def answer(ini, read):
    """Write what `read` returns (a dict) as the result, or the error it raised (changes nothing)."""
    try:
        found = read()
    except HelperFailure as error:
        write_result({"ok": False, "error": dict({"kind": error.kind, "message": scrub(str(error))}, **error.details)}, EXIT_FAILED)
    except BaseException as error:
        failure = describe_failure(error, ini)
        failure["kind"] = "stopped" if isinstance(error, Stopped) else "env"
        write_result({"ok": False, "error": failure}, EXIT_FAILED)
    write_result(dict({"ok": True}, **found), EXIT_OK)


def read_state_mode(ini, with_sql):
    answer(ini, lambda: {"state": read_state(ini, with_sql)})


stopping = []


def on_signal(signum, _frame):
    # Once: the state is then read again and written, within migrate-action's grace period.
    signal.signal(signum, signal.SIG_IGN)
    stopping.append(signum)
    raise Stopped("stopped by %s" % signal.Signals(signum).name)


def end_with_parent():
    """migrate-action holds the lock that makes this run safe: if it dies (killed, out of memory), this
    process must not go on migrating without it. A thread watches the parent; when it is gone, the
    process ends at once, and the server rolls back the transaction it had open."""
    import threading
    import time

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(75)

    threading.Thread(target=watch, name="migrate-action-parent", daemon=True).start()


def serve(ini):
    """Answer commands from fd 4 until it is closed (see the module's docstring). A stop ends the loop
    after the command it interrupted has answered."""
    end_with_parent()
    commands = os.fdopen(COMMAND_FD, "r", encoding="utf-8")
    while not stopping:
        line = commands.readline()
        if not line:
            return
        request = json.loads(line)
        for name, value in (request.get("env") or {}).items():
            os.environ[str(name)] = str(value)
        try:
            if request.get("mode") == "state":
                read_state_mode(ini, bool(request.get("sql")))
            elif request.get("mode") in ("upgrade", "stamp") and request.get("target"):
                run_command(request["mode"], ini, request["target"])
            elif request.get("mode") == "downgrade" and request.get("target"):
                downgrade_mode(ini, request["target"])
            elif request.get("mode") == "downgrade-plan" and request.get("target"):
                downgrade_plan_mode(ini, request["target"], bool(request.get("sql")))
            else:
                write_result({"ok": False, "error": {"kind": "internal", "message": "unknown command"}}, EXIT_FAILED)
        except SystemExit:
            continue


def parse_args(argv):
    mode = argv[0] if argv else ""
    ini, target, with_sql, rest = None, None, False, list(argv[1:])
    while rest:
        arg = rest.pop(0)
        if arg == "-c" and rest:
            ini = rest.pop(0)
        elif arg == "--sql":
            with_sql = True
        elif target is None and (not arg.startswith("-") or re.match(r"^-\d+$", arg)):
            target = arg
        else:
            ini = None
            break
    if mode not in ("state", "upgrade", "stamp", "downgrade", "downgrade-plan", "serve") or not ini \
            or (mode in ("upgrade", "stamp", "downgrade", "downgrade-plan") and not target):
        sys.stderr.write("usage: alembic_helper.py state|upgrade|stamp|downgrade|downgrade-plan|serve -c alembic.ini [target] [--sql]\n")
        sys.exit(2)
    return mode, ini, target, with_sql


def main(argv):
    mode, ini, target, with_sql = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    # Alembic's progress lines when env.py configures no logging (one that calls fileConfig replaces this).
    logging.basicConfig(level=logging.WARNING, format="%(levelname)-5.5s [%(name)s] %(message)s", stream=sys.stderr)
    logging.getLogger("alembic").setLevel(logging.INFO)
    import_alembic()
    if mode == "serve":
        # What env.py and the drivers import, loaded now, while migrate-action connects.
        import alembic.command  # noqa: F401
        import alembic.runtime.environment  # noqa: F401
        import alembic.script  # noqa: F401
        try:
            import psycopg2  # noqa: F401
        except ImportError:
            pass
        serve(ini)
    elif mode == "state":
        read_state_mode(ini, with_sql)
    elif mode == "downgrade-plan":
        downgrade_plan_mode(ini, target, with_sql)
    elif mode == "downgrade":
        downgrade_mode(ini, target)
    else:
        run_command(mode, ini, target)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except SystemExit:
        raise
    except BaseException as unexpected:  # a bug here: still one document saying what happened
        write_result({"ok": False, "error": {"kind": "internal", "message": scrub(one_line(exception_line(unexpected))),
                                             "traceback": scrub(traceback.format_exc()[-2000:])}}, EXIT_FAILED)
