import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commentMarker, findOurs, postComment, MAX_COMMENT_BYTES } from '../../src/comment/index.js';
import { githubApi, gitlabApi, type ForgeComment } from '../../src/comment/forges.js';
import type { Log } from '../../src/log.js';
import { renderComment } from '../../src/report.js';
import type { RunResult } from '../../src/run.js';

// The plan comment's pure parts: the marker, which comment is ours, where a run's pull or merge request
// is (or why there is none), and the comment's text within the forge's size limit. The requests
// themselves are proven against a local server in test/e2e/comment.test.ts.

const comment = (id: string, body: string, author: string, bot = false): ForgeComment => ({ id, body, author, bot });

describe('the marker', () => {
  it('is one per migrations directory and database, and holds neither', () => {
    const a = commentMarker('db/migrations', 'db.example.com/shop');
    expect(a).toMatch(/^<!-- migrate-action plan [0-9a-f]{16} -->$/);
    expect(commentMarker('db/migrations', 'db.example.com/shop')).toBe(a);
    expect(commentMarker('db/other', 'db.example.com/shop')).not.toBe(a);
    expect(commentMarker('db/migrations', 'db.example.com/shop_eu')).not.toBe(a);
    expect(a).not.toContain('shop');
  });
});

describe('which comment is ours', () => {
  const marker = commentMarker('db', 'h/d');
  const never = async () => {
    throw new Error('self() was not needed');
  };
  const nobody = async () => undefined;

  it("with a token the forge will not name (GitHub's workflow and app tokens): the oldest marked one by github-actions[bot], else by another app", async () => {
    const list = [
      comment('1', 'hello', 'octocat'),
      comment('2', `${marker}\nplan`, 'some-app[bot]', true),
      comment('3', `${marker}\nplan`, 'github-actions[bot]', true),
      comment('4', `${marker}\nplan`, 'github-actions[bot]', true),
    ];
    expect((await findOurs(list, marker, nobody))?.id).toBe('3');
    expect((await findOurs(list.slice(0, 2), marker, nobody))?.id).toBe('2');
  });

  it("with a token the forge names (a person's; GitLab's user): only that account's, never an app's that copies the marker", async () => {
    const list = [comment('1', `${marker}\nfake`, 'renovate[bot]', true), comment('2', `${marker}\nfake`, 'mallory'), comment('3', `${marker}\nplan`, 'octocat')];
    expect((await findOurs(list, marker, async () => 'octocat'))?.id).toBe('3');
    expect(await findOurs(list.slice(0, 2), marker, async () => 'octocat')).toBeUndefined();
    expect((await findOurs([comment('9', `${marker}\nplan`, '41')], marker, async () => '41'))?.id).toBe('9');
  });

  it("never one that only quotes the marker, nor a person's that starts with it", async () => {
    const list = [comment('1', `see ${marker}`, 'github-actions[bot]', true), comment('2', `${marker}\nNothing pending`, 'mallory')];
    expect(await findOurs(list, marker, nobody)).toBeUndefined();
  });

  it('is none when there is no marked comment, and then nobody is asked', async () => {
    expect(await findOurs([comment('1', 'hi', 'a')], marker, never)).toBeUndefined();
  });
});

describe('answers of another shape', () => {
  /** A forge that answers each request with the next of `answers` ([status, body text]). */
  async function forge(answers: [number, string][]): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
    const seen: string[] = [];
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      const [status, body] = answers.shift() ?? [500, ''];
      req.resume();
      req.on('end', () => res.writeHead(status, { 'Content-Type': 'application/json' }).end(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v4`, seen, close: () => new Promise((r) => server.close(() => r())) };
  }
  const env = (url: string) => ({ CI_MERGE_REQUEST_IID: '3', CI_PROJECT_ID: '5', CI_API_V4_URL: url });
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(`info ${m}`), warning: (m) => lines.push(`warning ${m}`), error: () => undefined, group: (_t, fn) => fn() };
  const marker = commentMarker('db', 'h/d');
  const request = (url: string) => ({ forge: 'gitlab' as const, token: 'glpat-x', tokenInput: 'gitlab-token', env: env(url), marker, create: true, render: () => 'plan', log });

  it('skips notes it cannot read, takes an empty answer to a create as done, and posts again a note deleted since it was listed', async () => {
    lines.length = 0;
    const notes = JSON.stringify([null, { id: 'x/../y', body: `${marker}\nold` }, { id: 7, body: 5 }, { id: 8, body: `${marker}\nold`, author: { id: 41 } }]);
    const server = await forge([
      [200, notes],
      [200, '{"id": 41}'],
      [404, '{"message": "404 Not found"}'],
      [201, ''],
    ]);
    await postComment(request(server.url));
    await server.close();
    expect(server.seen).toEqual([
      'GET /api/v4/projects/5/merge_requests/3/notes?sort=asc&order_by=created_at&per_page=100&page=1',
      'GET /api/v4/user',
      'PUT /api/v4/projects/5/merge_requests/3/notes/8',
      'POST /api/v4/projects/5/merge_requests/3/notes',
    ]);
    expect(lines).toEqual(['info comment: posted the plan on merge request !3.']);
  });

  it('an answer that is not a list is a warning, not a failure', async () => {
    lines.length = 0;
    const server = await forge([[200, '{"message": "not a list"}']]);
    await postComment(request(server.url));
    await server.close();
    expect(lines).toEqual([expect.stringMatching(/^warning comment: the plan was not posted on merge request !3: the list of comments is not a list\./)]);
  });

  it('an event payload of null, or a text that cannot be rendered, is a warning, not a failure', async () => {
    lines.length = 0;
    const payload = path.join(mkdtempSync(path.join(os.tmpdir(), 'comment-null-')), 'event.json');
    writeFileSync(payload, 'null');
    await postComment({ ...request('http://127.0.0.1:9'), forge: 'github', env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: payload } });
    const env = { CI_MERGE_REQUEST_IID: '3', CI_PROJECT_ID: '5', CI_API_V4_URL: 'http://127.0.0.1:9/api/v4' };
    await postComment({
      ...request('http://127.0.0.1:9'),
      env,
      render: () => {
        throw new Error('boom');
      },
    });
    expect(lines).toEqual(["info comment: the event's payload has no pull request number; no comment posted.", 'warning comment: the plan was not posted: boom.']);
  });
});

describe("where a run's pull or merge request is", () => {
  it('GitHub: only pull_request and pull_request_target runs, with the number from the event payload', () => {
    expect(githubApi({ GITHUB_EVENT_NAME: 'push' }, 't')).toEqual({
      skip: 'this run is for the push event, not a pull request: the plan comment is posted on pull_request and pull_request_target runs only',
    });
    expect(githubApi({}, 't')).toMatchObject({ skip: expect.stringContaining('no GitHub event') });
    expect(githubApi({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/nonexistent/event.json' }, 't')).toMatchObject({
      skip: expect.stringMatching(/^the event's payload \(GITHUB_EVENT_PATH\) cannot be read/),
    });
  });

  it('GitLab: only merge request pipelines, in the merge request\'s own project', () => {
    expect(gitlabApi({ CI_PROJECT_ID: '5', CI_API_V4_URL: 'https://gitlab.example/api/v4' }, 't')).toMatchObject({
      skip: expect.stringContaining('not for a merge request (CI_MERGE_REQUEST_IID is not set)'),
    });
    const base = { CI_MERGE_REQUEST_IID: '3', CI_PROJECT_ID: '5', CI_API_V4_URL: 'https://gitlab.example/api/v4' };
    expect(gitlabApi({ ...base, CI_API_V4_URL: 'file:///etc/passwd' }, 't')).toEqual({ skip: 'CI_API_V4_URL is not an http(s) URL' });
    expect(gitlabApi({ ...base, CI_MERGE_REQUEST_IID: '3/../../users' }, 't')).toEqual({ skip: 'CI_MERGE_REQUEST_IID is not a number' });
    const api = gitlabApi({ ...base, CI_MERGE_REQUEST_PROJECT_ID: '9', CI_COMMIT_SHA: 'c'.repeat(40), CI_JOB_URL: 'https://gitlab.example/j/1' }, 't');
    expect(api).toMatchObject({ forge: 'gitlab', where: 'merge request !3', commit: 'c'.repeat(40), jobUrl: 'https://gitlab.example/j/1' });
  });
});

describe('posting without a request', () => {
  function recorder(): { log: Log; lines: string[] } {
    const lines: string[] = [];
    return {
      lines,
      log: {
        info: (m) => lines.push(`info ${m}`),
        warning: (m) => lines.push(`warning ${m}`),
        error: (m) => lines.push(`error ${m}`),
        group: (_t, fn) => fn(),
      },
    };
  }
  const request = { tokenInput: 'github-token', marker: 'm', create: true, render: () => 'plan' };

  it('says why outside CI, and warns of an empty token or a variable the job does not have', async () => {
    const { log, lines } = recorder();
    await postComment({ ...request, forge: undefined, token: 'x', env: {}, log });
    const env = { GITLAB_CI: 'true', CI_MERGE_REQUEST_IID: '3', CI_PROJECT_ID: '5', CI_API_V4_URL: 'http://127.0.0.1:9/api/v4' };
    await postComment({ ...request, forge: 'gitlab', tokenInput: 'gitlab-token', token: ' ', env, log });
    await postComment({ ...request, forge: 'gitlab', tokenInput: 'gitlab-token', token: '${NOTE_TOKEN}', env, log });
    expect(lines).toEqual([
      'info comment: not in a GitHub Actions or GitLab CI job, so there is no pull or merge request to comment on; no comment posted.',
      expect.stringMatching(/^warning comment: gitlab-token is empty, so the plan was not posted on merge request !3 \(no request was made\)\. Set gitlab-token to a masked CI\/CD variable/),
      expect.stringMatching(/^warning comment: gitlab-token is \$\{NOTE_TOKEN\}, a variable this job does not have, so the plan was not posted/),
    ]);
  });

  it('a forge that cannot be reached is a warning naming the host, not a failure', async () => {
    const { log, lines } = recorder();
    const env = { CI_MERGE_REQUEST_IID: '3', CI_PROJECT_ID: '5', CI_API_V4_URL: 'http://127.0.0.1:9/api/v4' };
    await postComment({ ...request, forge: 'gitlab', token: 'glpat-x', env, log });
    expect(lines).toEqual([expect.stringMatching(/^warning comment: the plan was not posted on merge request !3: 127\.0\.0\.1:9 could not be reached \(/)]);
  });
});

describe("the comment's text", () => {
  const pending: RunResult = {
    command: 'plan',
    status: 'pending',
    applied: [],
    durationMs: 5,
    revision: { id: '1', name: 'users' },
    previous: { id: '1', name: 'users' },
    pending: [],
    planned: [],
  };

  it('ends with what it is about, the commit and the job, escaped', () => {
    const text = renderComment(pending, { migrations: 'db|<x>', commit: 'f'.repeat(40), jobUrl: 'https://ci.example/job(1)', maxBytes: MAX_COMMENT_BYTES });
    expect(text.split('\n').at(-1)).toBe('<sub>migrate-action plan of <code>db\\|&lt;x&gt;</code> at ffffffffffff · [job](https://ci.example/job%281%29) · updated on every push</sub>');
  });

  it("stays within the forge's limit however many files are pending, and says how many it left out", () => {
    const planned = Array.from({ length: 400 }, (_, i) => ({ id: String(i + 2), name: 'm', fileName: `${i + 2}_m.sql`, label: `db/${i + 2}_m.sql`, sql: `-- ${'x'.repeat(400)}\nSELECT ${i};\n` }));
    const text = renderComment({ ...pending, planned, pending: planned.map((p) => p.fileName) }, { migrations: 'db', maxBytes: MAX_COMMENT_BYTES });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
    expect(text).toMatch(/\(\d+ more pending migrations not shown here, to keep this comment under GitHub's size limit; the log lists them all\.\)/);
    expect(text).toContain('db/2_m.sql');
  });
});
