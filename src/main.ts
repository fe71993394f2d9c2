import path from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { parseConfig, type Command, type Config, type RawInputs } from './config.js';
import { UserError, messageOf } from './errors.js';
import { COMMANDS, INPUTS, OUTPUTS } from './inputs.js';
import { jsMigrationEnv } from './migrations/js-loader.js';
import type { Log } from './log.js';
import { githubPlatform } from './platform/github.js';
import type { Platform } from './platform/types.js';
import { renderComment, renderSummary, toOutputs } from './report.js';
import { runCommand, type RunResult } from './run.js';
import { UNSET_VARIABLE, connectionSecrets, redact, redactExcept } from './secrets.js';

/** Raw inputs with the manifest's defaults for inputs left empty. */
export function readInputs(platform: Platform): RawInputs {
  const raw = {} as Record<string, string>;
  for (const input of INPUTS) {
    const value = platform.getInput(input.name);
    raw[input.name] = value.trim() === '' && 'default' in input ? input.default : value;
  }
  return raw as RawInputs;
}

/** Strings of the run that are public (paths and names from the repository): never scrubbed. */
function publicNames(result: RunResult, config: Config | undefined): string[] {
  const names = new Set<string>();
  if (config) names.add(config.migrationsDirLabel);
  for (const entry of [...result.applied, ...(result.planned ?? [])]) {
    names.add(entry.label);
    names.add(entry.fileName);
  }
  for (const name of [...(result.pending ?? []), ...(result.baselined ?? []), ...(result.history ?? []).map((h) => h.fileName)]) names.add(name);
  if (result.revision?.id) names.add(result.revision.id);
  if (result.error?.location) names.add(result.error.location.file);
  if (result.revision?.name) names.add(result.revision.name);
  if (result.backup) names.add(result.backup.path);
  return [...names].filter((name) => name.length > 0);
}

/** Wrap the platform's log so that no secret form can reach it, whatever the runner masks. */
function redactingLog(platform: Platform, secrets: readonly string[]): Log {
  const clean = (text: string) => redact(text, secrets);
  return {
    info: (message) => platform.info(clean(message)),
    warning: (message, location) => platform.warning(clean(message), location),
    error: (message, location) => platform.error(clean(message), location),
    group: (title, fn) => platform.group(clean(title), fn),
  };
}

/**
 * One run on any platform: mask the secret, parse inputs, run the command, report outputs and summary,
 * and fail the step (exit code 1) on any failure. The only place that turns errors into a failure.
 */
export async function runOn(platform: Platform, clock: Clock = systemClock, signal?: AbortSignal): Promise<RunResult> {
  const raw = readInputs(platform);
  const shadowUrl = raw['shadow-database-url'].trim();
  // The comment's tokens (the CLI's GITHUB_TOKEN and GITLAB_TOKEN) are secrets, used or not.
  const tokens = [raw['github-token'].trim(), raw['gitlab-token'].trim()].filter((t) => t !== '' && !UNSET_VARIABLE.test(t));
  const secrets = [
    ...new Set([...connectionSecrets(raw['database-url'], platform.env), ...(shadowUrl === '' ? [] : connectionSecrets(shadowUrl, platform.env)), ...tokens]),
  ].sort((a, b) => b.length - a.length);
  for (const secret of secrets) platform.mask(secret);
  const log = redactingLog(platform, secrets);

  let config: Config | undefined;
  let result: RunResult;
  try {
    config = parseConfig(raw, {
      workspace: platform.workspace,
      tempDir: platform.tempDir,
      emptyDatabaseUrlHint: platform.emptyDatabaseUrlHint,
    });
    // What engines and .js migrations inherit: not a variable that holds the comment's token (GITLAB_TOKEN in the CLI).
    const env = config.comment ? Object.fromEntries(Object.entries(platform.env).filter(([, value]) => !tokens.includes(value?.trim() ?? ''))) : platform.env;
    result = await runCommand(config, {
      clock,
      log,
      signal,
      env,
      load: {
        signal,
        jsEnv: jsMigrationEnv(env, secrets),
        cwd: platform.workspace,
        jsOutput: (line) => log.info(`generateSql output: ${line}`),
      },
    });
  } catch (error) {
    // Only input validation throws here; runCommand reports its own failures in the result.
    const location = error instanceof UserError ? error.location : undefined;
    result = {
      // The command asked for, even when another input is what was wrong.
      command: config?.command ?? commandAsked(platform.getInput('command')),
      status: 'failed',
      applied: [],
      durationMs: 0,
      error: { message: messageOf(error), location, expected: true },
    };
  }

  // Outputs are the true values: file names and revisions are not secret, even when a short password
  // happens to be part of one (the runner masks registered secrets in its own log). Only text that
  // may carry a server's or a file's words (the error, the summary) is scrubbed, around the names.
  const names = publicNames(result, config);
  const scrub = (text: string) => redactExcept(text, secrets, names);
  const outputs = toOutputs(result);
  for (const output of OUTPUTS) platform.setOutput(output.name, output.name === 'error' ? scrub(outputs[output.name]) : outputs[output.name]);
  if (config?.summary ?? true) {
    try {
      await platform.writeSummary(scrub(renderSummary(result)));
    } catch (error) {
      log.warning(`Could not write the job summary: ${messageOf(error)}`);
    }
  }
  if (config?.comment) {
    if (config.command === 'plan' || config.command === 'check') await commentPlan(platform, config, result, scrub, log, signal);
    else log.info(`comment: only plan and check post the plan on the pull or merge request; ${config.command} posts none.`);
  }
  const changed = result.command === 'rollback' ? `${outputs['rolled-back-count']} rolled back` : `${outputs['applied-count']} applied`;
  log.info(
    result.revision === undefined
      ? `${result.command}: ${result.status} before the database was read; nothing ${result.command === 'rollback' ? 'rolled back' : 'applied'}.`
      : `${result.command}: ${result.status}; revision ${shown(outputs['previous-revision'])} -> ${shown(outputs.revision)}, ` +
          `${changed}, ${outputs['pending-count']} pending` +
          (outputs['backup-path'] ? `; backup ${outputs['backup-path']}` : '') +
          '.',
  );
  if (result.error) {
    if (!result.error.expected) log.info('This is a bug in migrate-action, not in your input; please report it with this log.');
    platform.fail(scrub(result.error.message), result.error.location);
  }
  return result;
}

/**
 * Post the plan on the pull or merge request this run is for (src/comment/, loaded only when asked for):
 * one comment per migrations and database, found again by its marker; never the run's failure.
 */
async function commentPlan(platform: Platform, config: Config, result: RunResult, scrub: (text: string) => string, log: Log, signal?: AbortSignal): Promise<void> {
  const { commentMarker, postComment, MAX_COMMENT_BYTES } = await import('./comment/index.js');
  const alembic = config.engine === 'alembic';
  const migrations = alembic ? config.tools.alembicConfigLabel : config.migrationsDirLabel;
  const identity = path.relative(config.workspace, alembic ? config.tools.alembicConfig : config.migrationsDir) || '.';
  await postComment({
    forge: platform.forge?.name,
    token: platform.forge?.name === 'gitlab' ? config.comment!.gitlabToken : config.comment!.githubToken,
    tokenInput: platform.forge?.tokenInput ?? 'the token',
    env: platform.env,
    // Not the port: a service container's is chosen anew for every job (the host and database name stay).
    marker: commentMarker(identity, `${config.endpoint.host}/${config.endpoint.database}`),
    // Nothing pending and no comment yet: a pull request without migrations gets none.
    create: result.status !== 'up-to-date',
    render: (where) => scrub(renderComment(result, { migrations, ...where, maxBytes: MAX_COMMENT_BYTES })),
    log,
    signal,
  });
}

/** The command input when it is one of ours (the default otherwise), for the report of invalid inputs. Pure. */
function commandAsked(value: string): Command {
  const trimmed = value.trim();
  return (COMMANDS as readonly string[]).includes(trimmed) ? (trimmed as Command) : 'apply';
}

/** A revision output for the log: `(none)` rather than nothing. */
function shown(revision: string): string {
  return revision === '' ? '(none)' : revision;
}

/** The GitHub Action's entry (also what `local-action run . src/main.ts` calls). */
export async function run(signal?: AbortSignal): Promise<void> {
  await runOn(githubPlatform(), systemClock, signal);
}
