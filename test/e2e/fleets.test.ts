import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { freshDatabase, migrationRows } from '../support/db.js';

// Fleets: the README's Kubernetes indexed Job, its container's command run as the pod would run it (the
// packed package installed as the app image has it, JOB_COMPLETION_INDEX set per pod) against 4 real
// databases; and the GitHub matrix example's shape (actionlint checks its syntax in npm run lint). The
// GitLab pattern runs through gitlab-ci-local in gitlab.test.ts.

const ROOT = path.resolve('.');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The README's YAML block that holds `needle`. */
function yamlBlock(needle: string): string {
  const block = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((text) => text.includes(needle));
  if (!block) throw new Error(`README.md has no yaml block with ${needle}`);
  return block;
}

describe('the Kubernetes indexed Job of the README', () => {
  const job = parse(yamlBlock('completionMode: Indexed')) as {
    spec: { completionMode: string; completions: number; template: { spec: { containers: { command: string[] }[] } } };
  };
  const command = job.spec.template.spec.containers[0]!.command;

  it('is an indexed Job whose pods each pick their database by index', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    expect(job.spec.completions).toBe(4);
    expect(command.slice(0, 2)).toEqual(['sh', '-c']);
    expect(command[2]).toContain('$JOB_COMPLETION_INDEX');
    expect(command[2]).toContain('exec /app/node_modules/.bin/migrate-action apply');
  });

  it("migrates each pod's own database, once; one database that fails fails only its pod", async () => {
    // The app image: the packed package installed, and the migrations beside it.
    const app = mkdtempSync(path.join(os.tmpdir(), 'fleet-app-'));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', app, inject('cliTarball')], { stdio: 'pipe' });
    mkdirSync(path.join(app, 'migrations'));
    cpSync(path.join(ROOT, 'migrations-example', 'postgres-migrations'), path.join(app, 'migrations'), { recursive: true });
    const script = command[2]!.replaceAll('/app/', `${app}/`);
    const dbs = await Promise.all([0, 1, 2, 3].map(() => freshDatabase('fleet')));
    try {
      // The secret's keys, as envFrom gives them to every pod.
      const secret = Object.fromEntries(dbs.map((db, i) => [`DATABASE_URL_${i}`, db.url]));
      await dbs[3]!.query('CREATE TABLE users (id int)'); // the first migration creates users: this one fails
      const pods = [0, 1, 2, 3].map((index) =>
        spawnSync('sh', ['-c', script], {
          env: { PATH: process.env.PATH!, HOME: process.env.HOME!, ...secret, JOB_COMPLETION_INDEX: String(index) },
          encoding: 'utf8',
          timeout: 120_000,
        }),
      );
      for (const index of [0, 1, 2]) {
        expect(pods[index]!.status, pods[index]!.stderr).toBe(0);
        expect(pods[index]!.stdout).toMatch(/apply: applied; revision 0 -> 3/);
        expect((await migrationRows(dbs[index]!)).map((r) => r.id)).toEqual([0, 1, 2, 3]);
      }
      expect(pods[3]!.status).toBe(1);
      expect(pods[3]!.stdout + pods[3]!.stderr).toMatch(/relation "users" already exists/);
      // Its migrations table was made, and the failed migration rolled back: nothing recorded.
      expect((await migrationRows(dbs[3]!)).map((r) => r.id)).toEqual([0]);
      // Each pod connected to its own database only: the URL of another is in no pod's output.
      for (const [index, pod] of pods.entries()) {
        for (const db of dbs.filter((_, i) => i !== index)) expect(pod.stdout + pod.stderr).not.toContain(db.name);
      }
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

describe('the GitHub fleet example', () => {
  const workflow = parse(readFileSync(path.join(ROOT, '.github', 'workflows', 'fleet-example.yml'), 'utf8')) as {
    jobs: Record<string, { strategy?: { 'fail-fast': boolean; 'max-parallel': number; matrix: { environment: string[] } }; environment?: string; needs?: string; concurrency?: { group: string; 'cancel-in-progress': boolean } }>;
  };

  it('is a matrix over environments, each leg on its own secret and lock group, none cancelled by another, and a deploy that needs all', () => {
    const migrate = workflow.jobs.migrate!;
    expect(migrate.strategy!['fail-fast']).toBe(false);
    expect(migrate.strategy!['max-parallel']).toBeGreaterThan(0);
    expect(migrate.strategy!.matrix.environment.length).toBeGreaterThan(1);
    expect(migrate.environment).toBe('${{ matrix.environment }}');
    expect(migrate.concurrency).toEqual({ group: 'migrate-${{ matrix.environment }}', 'cancel-in-progress': false });
    expect(workflow.jobs.deploy!.needs).toBe('migrate');
  });
});
