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
    const a = commentMarker('db/migrations', 'db.example.com:5432/shop');
    expect(a).toMatch(/^<!-- migrate-action plan [0-9a-f]{16} -->$/);
    expect(commentMarker('db/migrations', 'db.example.com:5432/shop')).toBe(a);
    expect(commentMarker('db/other', 'db.example.com:5432/shop')).not.toBe(a);
    expect(commentMarker('db/migrations', 'db.example.com:5432/shop_eu')).not.toBe(a);
    expect(a).not.toContain('shop');
  });
});

describe('which comment is ours', () => {
  const marker = commentMarker('db', 'h:5432/d');
  const never = async () => {
    throw new Error('self() was not needed');
  };

  it("is the oldest one by an app's account that starts with the marker, without asking who the token is", async () => {
    const list = [comment('1', 'hello', 'octocat'), comment('2', `${marker}\nplan`, 'github-actions[bot]', true), comment('3', `${marker}\nplan`, 'github-actions[bot]', true)];
    expect((await findOurs(list, marker, never))?.id).toBe('2');
  });

  it("never one that only quotes the marker, nor someone else's that starts with it", async () => {
    const list = [comment('1', `see ${marker}`, 'github-actions[bot]', true), comment('2', `${marker}\nNothing pending`, 'mallory')];
    expect(await findOurs(list, marker, async () => undefined)).toBeUndefined();
    expect(await findOurs(list, marker, async () => 'octocat')).toBeUndefined();
  });

  it("is the token's own when the forge says who it is (a person's token; GitLab's user id)", async () => {
    const list = [comment('1', `${marker}\nfake`, 'mallory'), comment('2', `${marker}\nplan`, 'octocat')];
    expect((await findOurs(list, marker, async () => 'octocat'))?.id).toBe('2');
    expect((await findOurs([comment('9', `${marker}\nplan`, '41')], marker, async () => '41'))?.id).toBe('9');
  });

  it('is none when there is no marked comment (and then nobody is asked)', async () => {
    expect(await findOurs([comment('1', 'hi', 'a')], marker, never)).toBeUndefined();
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
