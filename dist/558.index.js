export const id = 558;
export const ids = [558];
export const modules = {

/***/ 6558:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  MAX_COMMENT_BYTES: () => (/* binding */ MAX_COMMENT_BYTES),
  commentMarker: () => (/* binding */ commentMarker),
  postComment: () => (/* binding */ postComment)
});

// UNUSED EXPORTS: findOurs

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(7598);
// EXTERNAL MODULE: ./lib/errors.js
var errors = __webpack_require__(452);
// EXTERNAL MODULE: ./lib/secrets.js
var secrets = __webpack_require__(150);
// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(3024);
// EXTERNAL MODULE: ./lib/version.js
var version = __webpack_require__(3411);
;// CONCATENATED MODULE: ./lib/comment/forges.js
/**
 * The two REST APIs the plan comment speaks, behind one small interface: list the comments (notes) of a
 * pull (merge) request, create one, update one, and say who the token is. Where the request is comes from
 * the runner's own environment; nothing here decides what to post.
 */



/** A request the forge answered with an error status, or that did not reach it. */
class ForgeError extends Error {
    /** The HTTP status; undefined when the request did not get an answer. */
    status;
    constructor(message, status) {
        super(message);
        this.name = 'ForgeError';
        this.status = status;
    }
}
const TIMEOUT_MS = 15_000;
const PER_PAGE = 100;
const MAX_PAGES = 30;
const POSITIVE = /^[1-9][0-9]{0,9}$/;
/** A comment's or note's id: it goes into a request's path. */
const ID = /^[1-9][0-9]{0,18}$/;
const SHA = /^[0-9a-f]{40}$/;
/** An http(s) URL without credentials, or undefined. Pure. */
function httpUrl(text) {
    if (!text)
        return undefined;
    try {
        const url = new URL(text);
        return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' ? url : undefined;
    }
    catch {
        return undefined;
    }
}
/** One JSON request; a status of 400 or more, or no answer, is a ForgeError with the forge's own words. */
async function call(http, method, path, body) {
    const url = new URL(http.base.pathname.replace(/\/$/, '') + path, http.base);
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    let response;
    try {
        response = await fetch(url, {
            method,
            headers: { ...http.headers, Accept: 'application/json', 'User-Agent': `migrate-action/${version/* VERSION */.x}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
            body: body === undefined ? undefined : JSON.stringify(body),
            // A redirect could carry the token's header to another host.
            redirect: 'error',
            signal: http.signal ? AbortSignal.any([timeout, http.signal]) : timeout,
        });
    }
    catch (error) {
        const why = timeout.aborted ? `no answer in ${TIMEOUT_MS / 1000} s` : (0,errors/* messageOf */.bD)(error.cause ?? error);
        throw new ForgeError(`${url.host} could not be reached (${why})`);
    }
    const text = await response.text();
    let json;
    try {
        json = text === '' ? undefined : JSON.parse(text);
    }
    catch {
        json = undefined;
    }
    if (!response.ok) {
        const said = json?.message ?? json?.error;
        const words = typeof said === 'string' ? said : said === undefined ? response.statusText : JSON.stringify(said);
        throw new ForgeError(`HTTP ${response.status}${words ? `: ${words.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`, response.status);
    }
    return json;
}
/** Every page of a list, oldest first, up to MAX_PAGES. */
async function pages(http, path) {
    const all = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
        const json = await call(http, 'GET', `${path}${path.includes('?') ? '&' : '?'}per_page=${PER_PAGE}&page=${page}`);
        if (!Array.isArray(json))
            throw new ForgeError('the list of comments is not a list');
        all.push(...json);
        if (json.length < PER_PAGE)
            break;
    }
    return all;
}
/** A number or string from an answer, as text; undefined for anything else. Pure. */
function forges_text(value) {
    return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}
/**
 * The comments of a list answer, each read by `fields`; one without a numeric id or a text body (or that
 * `fields` leaves out) is skipped: an answer of another shape must not stop the others being found. Pure.
 */
function comments(items, fields) {
    const found = [];
    for (const item of items) {
        const f = fields(item);
        const id = forges_text(f?.id);
        if (!f || id === undefined || !ID.test(id) || typeof f.body !== 'string')
            continue;
        found.push({ id, body: f.body, author: forges_text(f.author) ?? '', bot: f.bot });
    }
    return found;
}
/**
 * GitHub: a `pull_request` or `pull_request_target` run, its number from the event's payload; comments
 * are the pull request's issue comments. Everything comes from the runner's variables.
 */
function githubApi(env, token, signal) {
    const event = env.GITHUB_EVENT_NAME ?? '';
    if (event !== 'pull_request' && event !== 'pull_request_target') {
        return { skip: `this run is for ${event === '' ? 'no GitHub event' : `the ${event} event`}, not a pull request: the plan comment is posted on pull_request and pull_request_target runs only` };
    }
    let payload;
    try {
        payload = JSON.parse((0,external_node_fs_.readFileSync)(env.GITHUB_EVENT_PATH ?? '', 'utf8'));
    }
    catch (error) {
        return { skip: `the event's payload (GITHUB_EVENT_PATH) cannot be read (${(0,errors/* messageOf */.bD)(error)})` };
    }
    const number = String(payload?.pull_request?.number ?? payload?.number ?? '');
    const repository = env.GITHUB_REPOSITORY ?? '';
    const base = httpUrl(env.GITHUB_API_URL || 'https://api.github.com');
    if (!POSITIVE.test(number))
        return { skip: "the event's payload has no pull request number" };
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository))
        return { skip: 'GITHUB_REPOSITORY is not owner/name' };
    if (!base)
        return { skip: 'GITHUB_API_URL is not an http(s) URL' };
    const http = { base, signal, headers: { Authorization: `Bearer ${token}`, 'X-GitHub-Api-Version': '2022-11-28' } };
    const head = String(payload?.pull_request?.head?.sha ?? '');
    const server = httpUrl(env.GITHUB_SERVER_URL);
    return {
        forge: 'github',
        where: `pull request #${number}`,
        commit: SHA.test(head) ? head : undefined,
        jobUrl: server && POSITIVE.test(env.GITHUB_RUN_ID ?? '') ? `${server.origin}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined,
        list: async () => comments(await pages(http, `/repos/${repository}/issues/${number}/comments`), (c) => ({
            id: c?.id,
            body: c?.body,
            author: c?.user?.login,
            bot: c?.user?.type === 'Bot',
        })),
        create: async (body) => {
            const json = await call(http, 'POST', `/repos/${repository}/issues/${number}/comments`, { body });
            return { url: forges_text(json?.html_url) };
        },
        update: async (id, body) => {
            const json = await call(http, 'PATCH', `/repos/${repository}/issues/comments/${id}`, { body });
            return { url: forges_text(json?.html_url) };
        },
        self: async () => {
            try {
                return forges_text((await call(http, 'GET', '/user'))?.login);
            }
            catch (error) {
                // A workflow's or an app's installation token may not read /user: its comments are a bot's.
                if (error instanceof ForgeError && (error.status === 403 || error.status === 401))
                    return undefined;
                throw error;
            }
        },
    };
}
/**
 * GitLab: a merge request pipeline (CI_MERGE_REQUEST_IID set); notes go to the merge request's own
 * project (CI_MERGE_REQUEST_PROJECT_ID: the target project, also for a fork's merge request).
 */
function gitlabApi(env, token, signal) {
    const iid = env.CI_MERGE_REQUEST_IID ?? '';
    if (iid === '') {
        return { skip: 'this pipeline is not for a merge request (CI_MERGE_REQUEST_IID is not set): the plan comment is posted in merge request pipelines only' };
    }
    const project = env.CI_MERGE_REQUEST_PROJECT_ID || env.CI_PROJECT_ID || '';
    const base = httpUrl(env.CI_API_V4_URL);
    if (!POSITIVE.test(iid))
        return { skip: 'CI_MERGE_REQUEST_IID is not a number' };
    if (!POSITIVE.test(project))
        return { skip: 'CI_MERGE_REQUEST_PROJECT_ID is not a project id' };
    if (!base)
        return { skip: 'CI_API_V4_URL is not an http(s) URL' };
    const http = { base, signal, headers: { 'PRIVATE-TOKEN': token } };
    const notes = `/projects/${project}/merge_requests/${iid}/notes`;
    const page = httpUrl(env.CI_MERGE_REQUEST_PROJECT_URL);
    const url = (id) => (page ? `${page.href.replace(/\/$/, '')}/-/merge_requests/${iid}#note_${id}` : undefined);
    const sha = env.CI_MERGE_REQUEST_SOURCE_BRANCH_SHA || env.CI_COMMIT_SHA || '';
    return {
        forge: 'gitlab',
        where: `merge request !${iid}`,
        commit: SHA.test(sha) ? sha : undefined,
        jobUrl: httpUrl(env.CI_JOB_URL)?.href,
        list: async () => comments(await pages(http, `${notes}?sort=asc&order_by=created_at`), (n) => n?.system === true ? undefined : { id: n?.id, body: n?.body, author: n?.author?.id, bot: false }),
        create: async (body) => {
            const json = await call(http, 'POST', notes, { body });
            const id = forges_text(json?.id);
            return { url: id && ID.test(id) ? url(id) : undefined };
        },
        update: async (id, body) => {
            await call(http, 'PUT', `${notes}/${id}`, { body });
            return { url: url(id) };
        },
        self: async () => {
            try {
                return forges_text((await call(http, 'GET', '/user'))?.id);
            }
            catch (error) {
                if (error instanceof ForgeError && (error.status === 403 || error.status === 401))
                    return undefined;
                throw error;
            }
        },
    };
}

;// CONCATENATED MODULE: ./lib/comment/index.js
/**
 * The plan as one comment on the pull request (GitHub) or merge request (GitLab): one per migrations
 * directory and database, found again on every push by a hidden marker and updated in place. Posting is
 * reporting: whatever goes wrong here is a warning, never the run's failure.
 */




/** GitHub refuses a comment over 65,536 characters; the plan stays under this many bytes. */
const MAX_COMMENT_BYTES = 60_000;
/**
 * The hidden first line that finds the comment again: a digest of what the plan is about (the migrations
 * and the database's host and name, never the password), so that two directories or two databases get a
 * comment each. Pure.
 */
function commentMarker(migrations, database) {
    const key = (0,external_node_crypto_.createHash)('sha256').update(`${migrations}\0${database}`).digest('hex').slice(0, 16);
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
async function findOurs(comments, marker, self) {
    const marked = comments.filter((c) => c.body.startsWith(marker));
    if (marked.length === 0)
        return undefined;
    const me = await self();
    if (me !== undefined && me !== '')
        return marked.find((c) => c.author === me);
    return marked.find((c) => c.bot && c.author === 'github-actions[bot]') ?? marked.find((c) => c.bot);
}
/** Find the pull or merge request, then update our comment on it, or create it. Never throws. */
async function postComment(request) {
    try {
        await post(request);
    }
    catch (error) {
        request.log.warning(`comment: the plan was not posted: ${(0,errors/* messageOf */.bD)(error)}.`);
    }
}
async function post(request) {
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
    const unset = secrets/* UNSET_VARIABLE */.$w.exec(token);
    if (token === '' || unset) {
        log.warning(`comment: ${request.tokenInput} is ${unset ? `${token}, a variable this job does not have` : 'empty'}, so the plan was not posted on ${api.where} (no request was made). ` +
            (forge === 'github'
                ? 'Leave github-token at its default (the workflow token), or pass a token that may write pull request comments.'
                : 'Set gitlab-token to a masked CI/CD variable holding a project or personal access token with the api scope, available to merge request pipelines (a protected variable reaches protected branches only).'));
        return;
    }
    const body = `${request.marker}\n${request.render({ commit: api.commit, jobUrl: api.jobUrl })}`;
    try {
        const ours = await findOurs(await api.list(), request.marker, () => api.self());
        if (ours) {
            const updated = await api.update(ours.id, body).catch((error) => {
                // Deleted since it was listed: post it again.
                if (error instanceof ForgeError && error.status === 404)
                    return undefined;
                throw error;
            });
            if (updated) {
                log.info(`comment: updated the plan on ${api.where}${updated.url ? ` (${updated.url})` : ''}.`);
                return;
            }
        }
        else if (!request.create) {
            log.info(`comment: nothing is pending, and ${api.where} has no plan comment to update; none posted.`);
            return;
        }
        const { url } = await api.create(body);
        log.info(`comment: posted the plan on ${api.where}${url ? ` (${url})` : ''}.`);
    }
    catch (error) {
        log.warning(`comment: the plan was not posted on ${api.where}: ${refusal(api, error, request.tokenInput)} The plan is in this job's log${forge === 'github' ? ' and summary' : ''}.`);
    }
}
/** What a failed request means, and the fix. Pure. */
function refusal(api, error, tokenInput) {
    const said = (0,errors/* messageOf */.bD)(error);
    if (!(error instanceof ForgeError) || error.status === undefined)
        return `${said}.`;
    if (error.status === 401)
        return `the token was refused (${said}); check ${tokenInput}.`;
    if ((error.status === 403 || error.status === 404) && api.forge === 'github') {
        return (`the token may not comment on it (${said}): give the job permissions: pull-requests: write. ` +
            'A pull request from a fork gets a read-only workflow token whatever the job asks for.');
    }
    if (error.status === 403 || error.status === 404) {
        return (`the token may not write notes on it (${said}); ${tokenInput} needs a project or personal access token with the api scope and at least the Reporter role ` +
            '(the job token, CI_JOB_TOKEN, cannot write notes).');
    }
    return `${said}.`;
}


/***/ })

};
