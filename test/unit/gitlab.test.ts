import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { INPUTS } from '../../src/inputs.js';
import { VERSION } from '../../src/version.js';

const [specDoc, jobDoc] = parseAllDocuments(readFileSync('templates/migrate.yml', 'utf8')).map((d) => d.toJS());
const specInputs = specDoc.spec.inputs as Record<string, { description?: string; default?: unknown; options?: string[] }>;

describe('GitLab component templates/migrate.yml', () => {
  it('has every action input except the two secret URLs (their variables\' names instead), each described, with the same default', () => {
    for (const input of INPUTS) {
      if ('only' in input && input.only === 'action') {
        expect(specInputs).not.toHaveProperty(input.name);
        continue;
      }
      if (input.name === 'database-url' || input.name === 'shadow-database-url') {
        expect(specInputs).not.toHaveProperty(input.name);
        expect(specInputs).toHaveProperty(`${input.name}-variable`);
        continue;
      }
      expect(specInputs[input.name], input.name).toBeDefined();
      expect(specInputs[input.name]!.description).toBe(input.description);
      expect(String(specInputs[input.name]!.default)).toBe(input.default);
    }
    for (const [name, spec] of Object.entries(specInputs)) expect(spec.description, name).toBeTruthy();
  });

  it('runs the released version of this package by default', () => {
    expect(specInputs.package!.default).toBe(`migrate-action@${VERSION}`);
    expect(VERSION).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('defines one job and no global keywords', () => {
    expect(Object.keys(jobDoc)).toEqual(['$[[ inputs.job-name ]]']);
    const job = jobDoc['$[[ inputs.job-name ]]'];
    expect(job.resource_group).toBe('$[[ inputs.resource-group ]]');
    expect(job.artifacts.reports.dotenv).toBe('migrate.env');
    expect(job.script.join('\n')).not.toContain('--database-url');
    expect(job.script.join('\n')).not.toContain('--shadow-database-url');
  });

  it('hands gitlab-token to the CLI in its environment only, expanded by GitLab from the variable it names', () => {
    const job = jobDoc['$[[ inputs.job-name ]]'];
    const script = job.script.join('\n');
    expect(script).not.toContain('--gitlab-token');
    expect(script).not.toContain('inputs.gitlab-token');
    expect(script).toContain('if [ "$[[ inputs.comment ]]" = "true" ]; then GITLAB_TOKEN="$MIGRATE_INPUT_GITLAB_TOKEN"; export GITLAB_TOKEN; fi\nnpx ');
    // A plain string: GitLab expands `$NAME` in it (the other free-text inputs say expand: false).
    expect(job.variables.MIGRATE_INPUT_GITLAB_TOKEN).toBe('$[[ inputs.gitlab-token ]]');
  });

  it('is included in its own pipeline with input names it declares (GitLab rejects unknown inputs)', () => {
    const pipeline = parse(readFileSync('.gitlab-ci-component.yml', 'utf8'));
    const include = pipeline.include.find((i: { component?: string }) => i.component);
    expect(include.component).toBe('$CI_SERVER_FQDN/$CI_PROJECT_PATH/migrate@$CI_COMMIT_SHA');
    for (const name of Object.keys(include.inputs)) expect(Object.keys(specInputs), name).toContain(name);
    expect(pipeline).toHaveProperty(String(specInputs['job-name']!.default));
  });
});
