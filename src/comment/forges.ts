/**
 * The two REST APIs the plan comment speaks, behind one small interface: list the comments (notes) of a
 * pull (merge) request, create one, update one, and say who the token is. Where the request is comes from
 * the runner's own environment; nothing here decides what to post.
 */
import { readFileSync } from 'node:fs';
import { messageOf } from '../errors.js';
import { VERSION } from '../version.js';

export type Forge = 'github' | 'gitlab';

/** A comment as the forge lists it. */
export interface ForgeComment {
  /** Digits only (checked): it goes into a request's path. */
  readonly id: string;
  readonly body: string;
  /** The author's login (GitHub) or user id (GitLab). */
  readonly author: string;
  /** GitHub: an app's account (github-actions[bot] among them), which no person can post as. */
  readonly bot: boolean;
}

/** One pull or merge request on one forge, with the token that posts there. */
export interface ForgeApi {
  readonly forge: Forge;
  /** `pull request #12`, `merge request !12`: for messages. */
  readonly where: string;
  /** The head commit the plan is for, when the runner says (40 hex digits). */
  readonly commit?: string;
  /** The job's page, when the runner says. */
  readonly jobUrl?: string;
  /** Every comment, oldest first (the first 3,000). */
  list(): Promise<ForgeComment[]>;
  create(body: string): Promise<{ readonly url?: string }>;
  update(id: string, body: string): Promise<{ readonly url?: string }>;
  /** The token's own author (as `ForgeComment.author`); undefined when the forge will not say. */
  self(): Promise<string | undefined>;
}

/** A request the forge answered with an error status, or that did not reach it. */
export class ForgeError extends Error {
  /** The HTTP status; undefined when the request did not get an answer. */
  readonly status?: number;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ForgeError';
    this.status = status;
  }
}

/** Why no comment can be posted from this run (not a pull request, say), in one line. */
export interface NoTarget {
  readonly skip: string;
}

const TIMEOUT_MS = 15_000;
const PER_PAGE = 100;
const MAX_PAGES = 30;
const POSITIVE = /^[1-9][0-9]{0,9}$/;
/** A comment's or note's id: it goes into a request's path. */
const ID = /^[1-9][0-9]{0,18}$/;
const SHA = /^[0-9a-f]{40}$/;

/** An http(s) URL without credentials, or undefined. Pure. */
function httpUrl(text: string | undefined): URL | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' ? url : undefined;
  } catch {
    return undefined;
  }
}

interface Http {
  readonly base: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

/** One JSON request; a status of 400 or more, or no answer, is a ForgeError with the forge's own words. */
async function call<T>(http: Http, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(http.base.pathname.replace(/\/$/, '') + path, http.base);
  const timeout = AbortSignal.timeout(TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: { ...http.headers, Accept: 'application/json', 'User-Agent': `migrate-action/${VERSION}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      // A redirect could carry the token's header to another host.
      redirect: 'error',
      signal: http.signal ? AbortSignal.any([timeout, http.signal]) : timeout,
    });
  } catch (error) {
    const why = timeout.aborted ? `no answer in ${TIMEOUT_MS / 1000} s` : messageOf((error as { cause?: unknown }).cause ?? error);
    throw new ForgeError(`${url.host} could not be reached (${why})`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const said = (json as { message?: unknown; error?: unknown } | undefined)?.message ?? (json as { error?: unknown } | undefined)?.error;
    const words = typeof said === 'string' ? said : said === undefined ? response.statusText : JSON.stringify(said);
    throw new ForgeError(`HTTP ${response.status}${words ? `: ${words.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, response.status);
  }
  return json as T;
}

/** Every page of a list, oldest first, up to MAX_PAGES. */
async function pages<T>(http: Http, path: string): Promise<T[]> {
  const all: T[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const json = await call<T[]>(http, 'GET', `${path}${path.includes('?') ? '&' : '?'}per_page=${PER_PAGE}&page=${page}`);
    if (!Array.isArray(json)) throw new ForgeError('the list of comments is not a list');
    all.push(...json);
    if (json.length < PER_PAGE) break;
  }
  return all;
}

/** A number or string from an answer, as text; undefined for anything else. Pure. */
function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

/**
 * The comments of a list answer, each read by `fields`; one without a numeric id or a text body (or that
 * `fields` leaves out) is skipped: an answer of another shape must not stop the others being found. Pure.
 */
function comments<T>(items: readonly T[], fields: (item: T) => { id: unknown; body: unknown; author: unknown; bot: boolean } | undefined): ForgeComment[] {
  const found: ForgeComment[] = [];
  for (const item of items) {
    const f = fields(item);
    const id = text(f?.id);
    if (!f || id === undefined || !ID.test(id) || typeof f.body !== 'string') continue;
    found.push({ id, body: f.body, author: text(f.author) ?? '', bot: f.bot });
  }
  return found;
}

/**
 * GitHub: a `pull_request` or `pull_request_target` run, its number from the event's payload; comments
 * are the pull request's issue comments. Everything comes from the runner's variables.
 */
export function githubApi(env: NodeJS.ProcessEnv, token: string, signal?: AbortSignal): ForgeApi | NoTarget {
  const event = env.GITHUB_EVENT_NAME ?? '';
  if (event !== 'pull_request' && event !== 'pull_request_target') {
    return { skip: `this run is for ${event === '' ? 'no GitHub event' : `the ${event} event`}, not a pull request: the plan comment is posted on pull_request and pull_request_target runs only` };
  }
  let payload: { number?: unknown; pull_request?: { number?: unknown; head?: { sha?: unknown } } } | null;
  try {
    payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8'));
  } catch (error) {
    return { skip: `the event's payload (GITHUB_EVENT_PATH) cannot be read (${messageOf(error)})` };
  }
  const number = String(payload?.pull_request?.number ?? payload?.number ?? '');
  const repository = env.GITHUB_REPOSITORY ?? '';
  const base = httpUrl(env.GITHUB_API_URL || 'https://api.github.com');
  if (!POSITIVE.test(number)) return { skip: "the event's payload has no pull request number" };
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) return { skip: 'GITHUB_REPOSITORY is not owner/name' };
  if (!base) return { skip: 'GITHUB_API_URL is not an http(s) URL' };
  const http: Http = { base, signal, headers: { Authorization: `Bearer ${token}`, 'X-GitHub-Api-Version': '2022-11-28' } };
  const head = String(payload?.pull_request?.head?.sha ?? '');
  const server = httpUrl(env.GITHUB_SERVER_URL);
  type Comment = { id?: unknown; body?: unknown; html_url?: unknown; user?: { login?: unknown; type?: unknown } } | null;
  return {
    forge: 'github',
    where: `pull request #${number}`,
    commit: SHA.test(head) ? head : undefined,
    jobUrl: server && POSITIVE.test(env.GITHUB_RUN_ID ?? '') ? `${server.origin}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
    list: async () =>
      comments(await pages<Comment>(http, `/repos/${repository}/issues/${number}/comments`), (c) => ({
        id: c?.id,
        body: c?.body,
        author: c?.user?.login,
        bot: c?.user?.type === 'Bot',
      })),
    create: async (body) => {
      const json = await call<Comment>(http, 'POST', `/repos/${repository}/issues/${number}/comments`, { body });
      return { url: text(json?.html_url) };
    },
    update: async (id, body) => {
      const json = await call<Comment>(http, 'PATCH', `/repos/${repository}/issues/comments/${id}`, { body });
      return { url: text(json?.html_url) };
    },
    self: async () => {
      try {
        return text((await call<{ login?: unknown } | null>(http, 'GET', '/user'))?.login);
      } catch (error) {
        // A workflow's or an app's installation token may not read /user: its comments are a bot's.
        if (error instanceof ForgeError && (error.status === 403 || error.status === 401)) return undefined;
        throw error;
      }
    },
  };
}

/**
 * GitLab: a merge request pipeline (CI_MERGE_REQUEST_IID set); notes go to the merge request's own
 * project (CI_MERGE_REQUEST_PROJECT_ID: the target project, also for a fork's merge request).
 */
export function gitlabApi(env: NodeJS.ProcessEnv, token: string, signal?: AbortSignal): ForgeApi | NoTarget {
  const iid = env.CI_MERGE_REQUEST_IID ?? '';
  if (iid === '') {
    return { skip: 'this pipeline is not for a merge request (CI_MERGE_REQUEST_IID is not set): the plan comment is posted in merge request pipelines only' };
  }
  const project = env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID || '';
  const base = httpUrl(env.CI_API_V4_URL);
  if (!POSITIVE.test(iid)) return { skip: 'CI_MERGE_REQUEST_IID is not a number' };
  if (!POSITIVE.test(project)) return { skip: 'CI_MERGE_REQUEST_PROJECT_ID is not a project id' };
  if (!base) return { skip: 'CI_API_V4_URL is not an http(s) URL' };
  const http: Http = { base, signal, headers: { 'PRIVATE-TOKEN': token } };
  const notes = `/projects/${project}/merge_requests/${iid}/notes`;
  const page = httpUrl(env.CI_MERGE_REQUEST_PROJECT_URL);
  const url = (id: string) => (page ? `${page.href.replace(/\/$/, '')}/-/merge_requests/${iid}#note_${id}` : undefined);
  const sha = env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA || env.CI_COMMIT_SHA || '';
  type Note = { id?: unknown; body?: unknown; system?: unknown; author?: { id?: unknown } } | null;
  return {
    forge: 'gitlab',
    where: `merge request !${iid}`,
    commit: SHA.test(sha) ? sha : undefined,
    jobUrl: httpUrl(env.CI_JOB_URL)?.href,
    list: async () =>
      comments(await pages<Note>(http, `${notes}?sort=asc&order_by=created_at`), (n) =>
        n?.system === true ? undefined : { id: n?.id, body: n?.body, author: n?.author?.id, bot: false },
      ),
    create: async (body) => {
      const json = await call<Note>(http, 'POST', notes, { body });
      const id = text(json?.id);
      return { url: id && ID.test(id) ? url(id) : undefined };
    },
    update: async (id, body) => {
      await call<Note>(http, 'PUT', `${notes}/${id}`, { body });
      return { url: url(id) };
    },
    self: async () => {
      try {
        return text((await call<{ id?: unknown } | null>(http, 'GET', '/user'))?.id);
      } catch (error) {
        if (error instanceof ForgeError && (error.status === 403 || error.status === 401)) return undefined;
        throw error;
      }
    },
  };
}
