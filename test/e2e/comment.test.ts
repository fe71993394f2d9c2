import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_PG_MIGRATE } from '../support/engines.js';
import { startForgeServer, type ForgeServer } from '../support/forge-server.js';
import { migrationsDir } from '../support/platform.js';
import { shippedSuite } from '../support/shipped.js';

// comment: true posts the plan on the pull request (GitHub, through dist/index.js as the runner runs it)
// or the merge request (GitLab, through the packed CLI as the component runs it), as one comment per
// migrations directory and database, updated in place on every push. The forges' REST APIs are a local
// server that records every request; the database is real.

const { database, run } = shippedSuite();

const WORKFLOW_TOKEN = 'ghs_workflowToken0123456789abcdef';
const FORK_TOKEN = 'ghs_forkReadOnly0123456789abcdef';
const PERSONAL_TOKEN = 'ghp_personal0123456789abcdefghij';
const NOTE_TOKEN = 'glpat-noteToken0123456789ab';
const JOB_TOKEN = 'glcbt-jobToken0123456789abcd';
const TOKENS = [WORKFLOW_TOKEN, FORK_TOKEN, PERSONAL_TOKEN, NOTE_TOKEN, JOB_TOKEN];
const HEAD = 'a'.repeat(40);

let forge: ForgeServer;
beforeEach(async () => {
  forge = await startForgeServer({
    [WORKFLOW_TOKEN]: { author: 'github-actions[bot]', bot: true, noUser: true },
    [FORK_TOKEN]: { author: 'github-actions[bot]', bot: true, noUser: true, readOnly: true },
    [PERSONAL_TOKEN]: { author: 'octocat' },
    [NOTE_TOKEN]: { author: '41' },
    [JOB_TOKEN]: { author: '42', readOnly: true },
  });
});
afterEach(async () => {
  await forge.close();
});

/** The runner's environment of a pull_request run (its event payload in a file). */
function pullRequest(number = 7, event = 'pull_request'): Record<string, string> {
  const payload = path.join(mkdtempSync(path.join(os.tmpdir(), 'comment-event-')), 'event.json');
  writeFileSync(payload, JSON.stringify({ number, pull_request: { number, head: { sha: HEAD } } }));
  return {
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: payload,
    GITHUB_REPOSITORY: 'acme/shop',
    GITHUB_API_URL: forge.url,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '99',
  };
}

/** A GitLab merge request pipeline's variables, as the component's job has them. */
function mergeRequest(iid = 12): Record<string, string> {
  return {
    GITLAB_CI: 'true',
    CI_API_V4_URL: `${forge.url}/api/v4`,
    CI_PROJECT_ID: '5',
    CI_MERGE_REQUEST_PROJECT_ID: '5',
    CI_MERGE_REQUEST_IID: String(iid),
    CI_MERGE_REQUEST_PROJECT_URL: 'https://gitlab.example/acme/shop',
    CI_COMMIT_SHA: HEAD,
    CI_JOB_URL: 'https://gitlab.example/acme/shop/-/jobs/3',
  };
}

const BASE = { '1_users.sql': 'CREATE TABLE users (id int PRIMARY KEY);\n' };
const writes = () => forge.requests.filter((r) => r.method !== 'GET');

/** No token in anything the run printed or reported (the runner's add-mask line aside). */
function expectNoToken(text: string): void {
  const lines = text.split('\n').filter((line) => !line.startsWith('::add-mask::'));
  for (const token of TOKENS) expect(lines.filter((line) => line.includes(token)), token).toEqual([]);
}

describe('the plan as one pull request comment, through dist/index.js', () => {
  it('creates it on the first push, updates the same one on the next, and says when nothing is pending', async () => {
    const db = await database();
    const files: Record<string, string> = { ...BASE, '2_orders.sql': 'CREATE TABLE orders (id int);\nCREATE INDEX users_id ON users (id);\n' };
    const dir = migrationsDir(files);
    expect((await run('action', db, dir, { 'target-revision': '1' })).code).toBe(0);
    const inputs = { command: 'plan', comment: 'true', 'github-token': WORKFLOW_TOKEN };

    const first = await run('action', db, dir, inputs, pullRequest());
    expect(first.code, first.log).toBe(0);
    expect(first.log).toContain('comment: posted the plan on pull request #7 (https://github.example/7#issuecomment-');
    expect(forge.comments).toHaveLength(1);
    const [comment] = forge.comments;
    expect(comment!.body).toMatch(/^<!-- migrate-action plan [0-9a-f]{16} -->\n## 📋 Migrations to apply/);
    expect(comment!.body).toContain('CREATE TABLE orders (id int);');
    // What each statement locks, and the review's findings.
    expect(comment!.body).toMatch(/CREATE INDEX \| SHARE on users/);
    expect(comment!.body).toContain('`create-index-not-concurrently`');
    expect(comment!.body).toContain(`at ${HEAD.slice(0, 12)} · [job](https://github.example/acme/shop/actions/runs/99) · updated on every push</sub>`);
    const posted = forge.requests.find((r) => r.method === 'POST')!;
    expect(posted.path).toBe('/repos/acme/shop/issues/7/comments');
    expect(posted.headers.authorization).toBe(`Bearer ${WORKFLOW_TOKEN}`);

    // The next push adds a migration: the same comment is updated, no second one.
    writeFileSync(path.join(dir, '3_items.sql'), 'CREATE TABLE items (id int);\n');
    const second = await run('action', db, dir, inputs, pullRequest());
    expect(second.code, second.log).toBe(0);
    expect(second.log).toContain('comment: updated the plan on pull request #7');
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.id).toBe(comment!.id);
    expect(forge.comments[0]!.body).toContain('CREATE TABLE items (id int);');
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /repos/acme/shop/issues/7/comments',
      `PATCH /repos/acme/shop/issues/comments/${comment!.id}`,
    ]);

    // Applied: the comment now says nothing is pending.
    expect((await run('action', db, dir)).code).toBe(0);
    const done = await run('action', db, dir, { ...inputs, command: 'check' }, pullRequest());
    expect(done.code, done.log).toBe(0);
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.body).toMatch(/^<!-- migrate-action plan [0-9a-f]{16} -->\n## ✅ Nothing pending\n/);
    expect(forge.comments[0]!.body).not.toContain('CREATE TABLE items');

    // Registered with the runner before anything else is printed.
    expect(first.log.split('\n')).toContain(`::add-mask::${WORKFLOW_TOKEN}`);
    for (const r of [first, second, done]) {
      expectNoToken(r.log);
      expectNoToken(r.summary);
      expectNoToken(JSON.stringify(r.outputs));
    }
    // The token went only where it belongs: the Authorization header.
    for (const request of forge.requests) expect(request.path + request.body).not.toContain(WORKFLOW_TOKEN);
  });

  it('keeps one comment per migrations directory and database', async () => {
    const db = await database();
    const other = await database();
    const a = migrationsDir({ ...BASE });
    const b = migrationsDir({ ...BASE });
    const inputs = { command: 'plan', comment: 'true', 'github-token': WORKFLOW_TOKEN };
    for (const [target, dir] of [[db, a], [db, b], [other, a], [db, a]] as const) {
      expect((await run('action', target, dir, inputs, pullRequest())).code).toBe(0);
    }
    expect(forge.comments).toHaveLength(3);
    expect(new Set(forge.comments.map((c) => c.body.split('\n')[0])).size).toBe(3);
    expect(writes().map((r) => r.method)).toEqual(['POST', 'POST', 'POST', 'PATCH']);
  });

  it('posts nothing outside a pull request, nor when nothing is pending and there is no comment yet', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE });
    const inputs = { command: 'plan', comment: 'true', 'github-token': WORKFLOW_TOKEN };
    const push = await run('action', db, dir, inputs, { ...pullRequest(), GITHUB_EVENT_NAME: 'push' });
    expect(push.code).toBe(0);
    expect(push.log).toContain('comment: this run is for the push event, not a pull request');
    expect(forge.requests).toEqual([]);

    expect((await run('action', db, dir)).code).toBe(0);
    const nothing = await run('action', db, dir, inputs, pullRequest());
    expect(nothing.code).toBe(0);
    expect(nothing.log).toContain('comment: nothing is pending, and pull request #7 has no plan comment to update; none posted.');
    expect(writes()).toEqual([]);
  });

  it('warns and makes no request with an empty token; a read-only token is a warning that names the permission, never a failure', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE });
    const empty = await run('action', db, dir, { command: 'plan', comment: 'true', 'github-token': '' }, pullRequest());
    expect(empty.code).toBe(0);
    expect(empty.log).toMatch(/::warning::comment: github-token is empty, so the plan was not posted on pull request #7 \(no request was made\)/);
    expect(forge.requests).toEqual([]);

    const fork = await run('action', db, dir, { command: 'check', comment: 'true', 'github-token': FORK_TOKEN }, pullRequest());
    // check fails because something is pending, not because of the comment.
    expect(fork.code).toBe(1);
    expect(fork.outputs.status).toBe('pending');
    expect(fork.log).toMatch(
      /::warning::comment: the plan was not posted on pull request #7: the token may not comment on it \(HTTP 403: Resource not accessible by integration\): give the job permissions: pull-requests: write\./,
    );
    const plan = await run('action', db, dir, { command: 'plan', comment: 'true', 'github-token': FORK_TOKEN }, pullRequest());
    expect(plan.code).toBe(0);
    expect(forge.comments).toEqual([]);
    expectNoToken(fork.log + plan.log);
  });

  it("never takes over someone else's comment that copies the marker", async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE });
    const inputs = { command: 'plan', comment: 'true', 'github-token': WORKFLOW_TOKEN };
    expect((await run('action', db, dir, inputs, pullRequest())).code).toBe(0);
    const marker = forge.comments[0]!.body.split('\n')[0]!;
    forge.comments.length = 0;
    const spoof = forge.seed({ body: `${marker}\nNothing pending, merge away.`, author: 'mallory', bot: false, on: '7' });
    const again = await run('action', db, dir, inputs, pullRequest());
    expect(again.code).toBe(0);
    expect(spoof.body).toBe(`${marker}\nNothing pending, merge away.`);
    expect(forge.requests.filter((r) => r.path.endsWith(`/comments/${spoof.id}`))).toEqual([]);
    expect(forge.comments.filter((c) => c.author === 'github-actions[bot]')).toHaveLength(1);
  });

  it("with a person's token: finds its own comment by asking who the token is", async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE });
    const inputs = { command: 'plan', comment: 'true', 'github-token': PERSONAL_TOKEN };
    for (const round of [1, 2]) expect((await run('action', db, dir, inputs, pullRequest())).code, `round ${round}`).toBe(0);
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.author).toBe('octocat');
    expect(writes().map((r) => r.method)).toEqual(['POST', 'PATCH']);
  });
});

describe('the plan as one merge request note, through the packed CLI as the component runs it', () => {
  it('creates the note, then updates it; the token only in its header', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE, '2_orders.sql': 'CREATE TABLE orders (id int);\n' });
    const env = { ...mergeRequest(), GITLAB_TOKEN: NOTE_TOKEN };
    const first = await run('cli', db, dir, { command: 'plan', comment: 'true' }, env);
    expect(first.code, first.log).toBe(0);
    expect(first.log).toContain('comment: posted the plan on merge request !12 (https://gitlab.example/acme/shop/-/merge_requests/12#note_');
    writeFileSync(path.join(dir, '3_items.sql'), 'CREATE TABLE items (id int);\n');
    const second = await run('cli', db, dir, { command: 'plan', comment: 'true' }, env);
    expect(second.code, second.log).toBe(0);
    expect(second.log).toContain('comment: updated the plan on merge request !12');
    expect(forge.comments).toHaveLength(1);
    expect(forge.comments[0]!.body).toContain('CREATE TABLE items (id int);');
    expect(forge.comments[0]!.body).toContain('[job](https://gitlab.example/acme/shop/-/jobs/3)');
    expect(writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /api/v4/projects/5/merge_requests/12/notes',
      `PUT /api/v4/projects/5/merge_requests/12/notes/${forge.comments[0]!.id}`,
    ]);
    for (const request of forge.requests) {
      expect(request.headers['private-token']).toBe(NOTE_TOKEN);
      expect(request.path + request.body).not.toContain(NOTE_TOKEN);
    }
    expectNoToken(first.log + second.log);
  });

  it("keeps the token from what the migrations run: a .js migration's environment has it nowhere", async () => {
    const db = await database();
    const seen = path.join(mkdtempSync(path.join(os.tmpdir(), 'comment-env-')), 'seen.json');
    const dir = migrationsDir({
      ...BASE,
      '2_look.js':
        `const fs = require('node:fs');\n` +
        `fs.writeFileSync(${JSON.stringify(seen)}, JSON.stringify(Object.entries(process.env).filter(([, v]) => v.includes(${JSON.stringify(NOTE_TOKEN)})).map(([k]) => k)));\n` +
        'module.exports.generateSql = () => "SELECT 1;";\n',
    });
    const plan = await run('cli', db, dir, { command: 'plan', comment: 'true' }, { ...mergeRequest(), GITLAB_TOKEN: NOTE_TOKEN, MY_COPY: NOTE_TOKEN });
    expect(plan.code, plan.log).toBe(0);
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual([]);
    expect(forge.comments).toHaveLength(1);
  });

  it('keeps the token from the engine it runs: node-pg-migrate and its migrations have it nowhere in their environment', async () => {
    const db = await database();
    const seen = path.join(mkdtempSync(path.join(os.tmpdir(), 'comment-engine-env-')), 'seen.json');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'comment-engine-'));
    writeFileSync(
      path.join(dir, '1_look.js'),
      `exports.up = (pgm) => {\n` +
        `  require('node:fs').writeFileSync(${JSON.stringify(seen)}, JSON.stringify(Object.entries(process.env).filter(([, v]) => v.includes(${JSON.stringify(NOTE_TOKEN)})).map(([k]) => k)));\n` +
        `  pgm.sql('CREATE TABLE looked (id int)');\n};\n`,
    );
    // apply (it posts no comment), so that the engine runs the migration; the token is still the comment's.
    const apply = await run('cli', db, dir, { comment: 'true', engine: 'node-pg-migrate', 'engine-path': NODE_PG_MIGRATE }, { ...mergeRequest(), GITLAB_TOKEN: NOTE_TOKEN, MY_COPY: NOTE_TOKEN });
    expect(apply.code, apply.log).toBe(0);
    expect(apply.log).toContain('comment: only plan and check post the plan on the pull or merge request; apply posts none.');
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual([]);
    expect(forge.requests).toEqual([]);
  });

  it('a job token is a warning that says what token it takes; an unset variable is named; the token is no flag', async () => {
    const db = await database();
    const dir = migrationsDir({ ...BASE });
    const job = await run('cli', db, dir, { command: 'plan', comment: 'true' }, { ...mergeRequest(), GITLAB_TOKEN: JOB_TOKEN });
    expect(job.code).toBe(0);
    expect(job.log).toMatch(/warning: comment: the plan was not posted on merge request !12: the token may not write notes on it \(HTTP 403: 403 Forbidden\); gitlab-token \(GITLAB_TOKEN\) needs a project or personal access token with the api scope/);
    expectNoToken(job.log);

    forge.requests.length = 0;
    const unset = await run('cli', db, dir, { command: 'plan', comment: 'true' }, { ...mergeRequest(), GITLAB_TOKEN: '$PLAN_NOTE_TOKEN' });
    expect(unset.code).toBe(0);
    expect(unset.log).toContain('warning: comment: gitlab-token (GITLAB_TOKEN) is $PLAN_NOTE_TOKEN, a variable this job does not have');
    expect(forge.requests).toEqual([]);

    const flag = await run('cli', db, dir, { command: 'plan', comment: 'true', 'gitlab-token': NOTE_TOKEN }, mergeRequest());
    expect(flag.code).toBe(2);
    expect(flag.log).toContain('--gitlab-token is not taken on the command line, where every process on the machine could read it; set GITLAB_TOKEN in the environment');
    expectNoToken(flag.log);
    expect(forge.requests).toEqual([]);
  });
});
