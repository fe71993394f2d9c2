/**
 * The plan as one comment on the pull request (GitHub) or merge request (GitLab): one per migrations
 * directory and database, found again on every push by a hidden marker and updated in place. Posting is
 * reporting: whatever goes wrong here is a warning, never the run's failure.
 */
import { createHash } from 'node:crypto';
import { messageOf } from '../errors.js';
import type { Log } from '../log.js';
import { UNSET_VARIABLE } from '../secrets.js';
import { ForgeError, githubApi, gitlabApi, type Forge, type ForgeApi, type ForgeComment } from './forges.js';

export type { Forge } from './forges.js';

/** GitHub refuses a comment over 65,536 characters; the plan stays under this many bytes. */
export const MAX_COMMENT_BYTES = 60_000;

/**
 * The hidden first line that finds the comment again: a digest of what the plan is about (the migrations
 * and the database's host and name, never the password), so that two directories or two databases get a
 * comment each. Pure.
 */
export function commentMarker(migrations: string, database: string): string {
  const key = createHash('sha256').update(`${migrations}\0${database}`).digest('hex').slice(0, 16);
  return `<!-- migrate-action plan ${key} -->`;
}

/**
 * Our comment among the request's: the oldest that starts with the marker and was written by the token's
 * own account. `self` says which that is (a person's token; GitLab's user); when the forge will not say
 * (GitHub's workflow and app tokens cannot read /user), an app's account, which no person can post as:
 * `github-actions[bot]` first. Someone else's comment that copies the marker is never taken: updating it
 * would put our plan under their name, which they could then edit. `self` is asked only when a marked
 * comment exists. Pure but for `self`.
 */
export async function findOurs(comments: readonly ForgeComment[], marker: string, self: () => Promise<string | undefined>): Promise<ForgeComment | undefined> {
  const marked = comments.filter((c) => c.body.startsWith(marker));
  if (marked.length === 0) return undefined;
  const me = await self();
  if (me !== undefined && me !== '') return marked.find((c) => c.author === me);
  return marked.find((c) => c.bot && c.author === 'github-actions[bot]') ?? marked.find((c) => c.bot);
}

export interface CommentRequest {
  /** Where the run is; undefined when neither a GitHub Actions job nor a GitLab CI job. */
  readonly forge?: Forge;
  readonly token: string;
  /** What the token input is called where this runs, for messages. */
  readonly tokenInput: string;
  readonly env: NodeJS.ProcessEnv;
  readonly marker: string;
  /** Whether to post a new comment when there is none of ours to update (not when nothing is pending). */
  readonly create: boolean;
  /** The comment's text after the marker, given where it goes (the head commit, the job's page). */
  readonly render: (where: { commit?: string; jobUrl?: string }) => string;
  readonly log: Log;
  readonly signal?: AbortSignal;
}

/** Find the pull or merge request, then update our comment on it, or create it. Never throws. */
export async function postComment(request: CommentRequest): Promise<void> {
  try {
    await post(request);
  } catch (error) {
    request.log.warning(`comment: the plan was not posted: ${messageOf(error)}.`);
  }
}

async function post(request: CommentRequest): Promise<void> {
  const { log, forge } = request;
  const token = request.token.trim();
  if (forge === undefined) {
    log.info('comment: not in a GitHub Actions or GitLab CI job, so there is no pull or merge request to comment on; no comment posted.');
    return;
  }
  const api = forge === 'github' ? githubApi(request.env, token, request.signal) : gitlabApi(request.env, token, request.signal);
  if ('skip' in api) {
    log.info(`comment: ${api.skip}; no comment posted.`);
    return;
  }
  const unset = UNSET_VARIABLE.exec(token);
  if (token === '' || unset) {
    log.warning(
      `comment: ${request.tokenInput} is ${unset ? `${token}, a variable this job does not have` : 'empty'}, so the plan was not posted on ${api.where} (no request was made). ` +
        (forge === 'github'
          ? 'Leave github-token at its default (the workflow token), or pass a token that may write pull request comments.'
          : 'Set gitlab-token to a masked CI/CD variable holding a project or personal access token with the api scope, available to merge request pipelines (a protected variable reaches protected branches only).'),
    );
    return;
  }
  const body = `${request.marker}\n${request.render({ commit: api.commit, jobUrl: api.jobUrl })}`;
  try {
    const ours = await findOurs(await api.list(), request.marker, () => api.self());
    if (ours) {
      const updated = await api.update(ours.id, body).catch((error: unknown) => {
        // Deleted since it was listed: post it again.
        if (error instanceof ForgeError && error.status === 404) return undefined;
        throw error;
      });
      if (updated) {
        log.info(`comment: updated the plan on ${api.where}${updated.url ? ` (${updated.url})` : ''}.`);
        return;
      }
    } else if (!request.create) {
      log.info(`comment: nothing is pending, and ${api.where} has no plan comment to update; none posted.`);
      return;
    }
    const { url } = await api.create(body);
    log.info(`comment: posted the plan on ${api.where}${url ? ` (${url})` : ''}.`);
  } catch (error) {
    log.warning(`comment: the plan was not posted on ${api.where}: ${refusal(api, error, request.tokenInput)} The plan is in this job's log${forge === 'github' ? ' and summary' : ''}.`);
  }
}

/** What a failed request means, and the fix. Pure. */
function refusal(api: ForgeApi, error: unknown, tokenInput: string): string {
  const said = messageOf(error);
  if (!(error instanceof ForgeError) || error.status === undefined) return `${said}.`;
  if (error.status === 401) return `the token was refused (${said}); check ${tokenInput}.`;
  if ((error.status === 403 || error.status === 404) && api.forge === 'github') {
    return (
      `the token may not comment on it (${said}): give the job permissions: pull-requests: write. ` +
      'A pull request from a fork gets a read-only workflow token whatever the job asks for.'
    );
  }
  if (error.status === 403 || error.status === 404) {
    return (
      `the token may not write notes on it (${said}); ${tokenInput} needs a project or personal access token with the api scope and at least the Reporter role ` +
      '(the job token, CI_JOB_TOKEN, cannot write notes).'
    );
  }
  return `${said}.`;
}
