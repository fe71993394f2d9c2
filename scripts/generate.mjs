// Generated files, from the one manifest of inputs and outputs (src/inputs.ts, compiled to lib/ by tsc):
// action.yml, the GitLab component templates/migrate.yml, and the README's tables. Run by `npm run build`;
// CI fails on a diff, so GitHub's and GitLab's inputs cannot drift apart.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { INPUTS, OUTPUTS } from '../lib/inputs.js';
import { renderTables, withTables } from './readme-tables.mjs';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** action.yml from the manifest. */
export function renderActionYml() {
  const action = {
    name: 'migrate-action',
    description:
      'Apply PostgreSQL migrations (postgres-migrations, Alembic, node-pg-migrate or dbmate) once, under an advisory lock, before the deploy; ' +
      'outputs the database revision and fails the job so that a dependent deploy does not run.',
    author: 'migrate-action',
    branding: { icon: 'database', color: 'blue' },
    inputs: Object.fromEntries(
      INPUTS.filter((i) => i.only !== 'component').map((i) => [
        i.name,
        { description: i.description, ...(i.required ? { required: true } : { default: i.actionDefault ?? i.default }) },
      ]),
    ),
    outputs: Object.fromEntries(OUTPUTS.map((o) => [o.name, { description: o.description }])),
    runs: { using: 'node24', main: 'dist/index.js' },
  };
  return `# Generated from src/inputs.ts by scripts/generate.mjs (npm run build): edit the manifest, not this file.\n${stringify(action, { lineWidth: 110 })}`;
}

/** GitLab-only inputs of the component, before the action's own. */
function componentOnlyInputs(version) {
  return {
    'job-name': { default: 'migrate', description: 'Name of the job; a deploy job lists it in needs.' },
    stage: { default: 'deploy', description: 'Stage of the job. Deploy jobs should also say needs: [<job-name>].' },
    image: {
      default: 'node:24-bookworm',
      description:
        'Image with Node.js 20.19 or newer. When a backup is taken (backup true, or auto for rollback) and pg-dump-path is empty, the job installs the newest PostgreSQL client (it can dump every older server) with apt.',
    },
    package: {
      default: `migrate-action@${version}`,
      description: 'npm package spec the job runs with npx: a version (migrate-action@1.2.3), the path of a packed tarball in the job, or its URL (before a version is published).',
    },
    'database-url-variable': {
      default: 'DATABASE_URL',
      regex: '^[A-Za-z_][A-Za-z0-9_]*$',
      description:
        'Name of the masked CI/CD variable that holds the database URL. When it is empty, the libpq variables (PGHOST, PGUSER, PGPASSWORD, PGDATABASE, ...) are used.',
    },
    'shadow-database-url-variable': {
      default: '',
      regex: '^([A-Za-z_][A-Za-z0-9_]*)?$',
      description:
        "plan and check: name of the masked CI/CD variable that holds shadow-database-url, an empty throwaway database such as the job's postgres service (see shadow-database-url in the README). Empty = no shadow run.",
    },
    environment: {
      default: 'production',
      description: 'Environment of the job (action: prepare): environment-scoped variables such as the database URL become available.',
    },
    'resource-group': {
      default: 'migrate-$CI_ENVIRONMENT_NAME',
      description: 'Resource group of the job: one per environment by default, so two pipelines never migrate the same database at once.',
    },
  };
}

/** Inputs that hold a secret: the component takes the name of a masked variable instead (the script reads it). */
const SECRET_INPUTS = new Set(['database-url', 'shadow-database-url']);

/** templates/migrate.yml: spec inputs (component-only ones, then every action input but database-url) and one job. */
export function renderComponent(version) {
  const inputs = { ...componentOnlyInputs(version) };
  for (const input of INPUTS) {
    if (SECRET_INPUTS.has(input.name) || input.only === 'action') continue;
    const spec = { description: input.description };
    if (input.type) spec.type = input.type;
    spec.default = input.type === 'number' ? Number(input.default) : input.type === 'boolean' ? input.default === 'true' : input.default;
    if (input.options) spec.options = [...input.options];
    if (input.regex) spec.regex = input.regex;
    inputs[input.name] = spec;
  }
  // Free-text inputs reach the script only as job variables (GitLab serialises them; expand: false keeps a
  // `$` literal), referenced in double quotes: the shell never reads an input's value as code. Typed inputs
  // (numbers, booleans, a fixed list of options) are checked by GitLab and written in place.
  const free = (i) => !i.type && !i.options;
  const variableOf = (name) => `MIGRATE_INPUT_${name.toUpperCase().replace(/-/g, '_')}`;
  // The component's token input is no flag either: the script hands it to the CLI in its environment.
  const flags = INPUTS.filter((i) => !SECRET_INPUTS.has(i.name) && !i.only && i.name !== 'command')
    .map((i) => `  --${i.name} "${free(i) ? `$${variableOf(i.name)}` : `$[[ inputs.${i.name} ]]`}" \\`)
    .join('\n');
  const inputVariables = Object.fromEntries(
    INPUTS.filter((i) => !SECRET_INPUTS.has(i.name) && !i.only && free(i)).map((i) => [variableOf(i.name), { value: `$[[ inputs.${i.name} ]]`, expand: false }]),
  );
  const script = [
    'set -eu',
    '# The URL comes from the masked variable named by database-url-variable; it never appears in argv.',
    'DATABASE_URL="$(printenv "$MIGRATE_DATABASE_URL_VARIABLE" || true)"',
    'export DATABASE_URL',
    '# A backup is taken when backup is true, or auto for a rollback that changes something (not a dry run).',
    'MIGRATE_NEEDS_PG_DUMP=false',
    'case "$[[ inputs.backup ]]:$[[ inputs.command ]]:$[[ inputs.dry-run ]]" in true:*|auto:rollback:false) MIGRATE_NEEDS_PG_DUMP=true ;; esac',
    '# The shadow database of plan and check likewise comes from a masked variable, and its copy of the schema needs pg_dump.',
    'if [ -n "$MIGRATE_SHADOW_DATABASE_URL_VARIABLE" ]; then',
    '  SHADOW_DATABASE_URL="$(printenv "$MIGRATE_SHADOW_DATABASE_URL_VARIABLE" || true)"',
    '  if [ -z "$SHADOW_DATABASE_URL" ]; then',
    '    echo "error: shadow-database-url-variable names $MIGRATE_SHADOW_DATABASE_URL_VARIABLE, which is empty or not set in this job: set it as a masked CI/CD variable available to this job, or leave shadow-database-url-variable empty." >&2',
    '    exit 1',
    '  fi',
    '  export SHADOW_DATABASE_URL',
    '  case "$[[ inputs.command ]]" in plan|check) MIGRATE_NEEDS_PG_DUMP=true ;; esac',
    'fi',
    'if [ "$MIGRATE_NEEDS_PG_DUMP" = "true" ] && [ -z "$MIGRATE_INPUT_PG_DUMP_PATH" ] && ! command -v pg_dump >/dev/null 2>&1; then',
    '  printf "\\033[0Ksection_start:%s:migrate_install_client[collapsed=true]\\r\\033[0KInstall the PostgreSQL client for pg_dump\\n" "$(date +%s)"',
    '  apt-get update -qq',
    '  apt-get install -y -qq --no-install-recommends ca-certificates postgresql-common >/dev/null',
    '  /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y >/dev/null',
    '  apt-get install -y -qq --no-install-recommends postgresql-client >/dev/null',
    '  printf "\\033[0Ksection_end:%s:migrate_install_client\\r\\033[0K\\n" "$(date +%s)"',
    'fi',
    '# Each job\'s report is also kept as migrate-report/<job>.env (even when the run fails): a deploy job that',
    '# needs several migrate jobs (one per database) reads every revision there; their dotenv variables share names.',
    'trap \'mkdir -p migrate-report && cp migrate.env "migrate-report/${CI_JOB_NAME_SLUG:-migrate}.env" 2>/dev/null || true\' EXIT',
    '# The comment\'s token reaches the CLI in its environment (GITLAB_TOKEN), never argv, and only when it comments.',
    'if [ "$[[ inputs.comment ]]" = "true" ]; then GITLAB_TOKEN="$MIGRATE_INPUT_GITLAB_TOKEN"; export GITLAB_TOKEN; fi',
    'npx --yes --package "$MIGRATE_PACKAGE" -- migrate-action "$[[ inputs.command ]]" \\',
    flags,
    '  --dotenv migrate.env \\',
    '  --code-quality gl-code-quality-report.json',
  ].join('\n');
  const job = {
    stage: '$[[ inputs.stage ]]',
    image: '$[[ inputs.image ]]',
    resource_group: '$[[ inputs.resource-group ]]',
    environment: { name: '$[[ inputs.environment ]]', action: 'prepare' },
    variables: {
      MIGRATE_PACKAGE: { value: '$[[ inputs.package ]]', expand: false },
      MIGRATE_DATABASE_URL_VARIABLE: '$[[ inputs.database-url-variable ]]',
      MIGRATE_SHADOW_DATABASE_URL_VARIABLE: '$[[ inputs.shadow-database-url-variable ]]',
      // Expanded by GitLab (gitlab-token: $A_MASKED_VARIABLE), unlike the inputs below; engines never see it.
      MIGRATE_INPUT_GITLAB_TOKEN: '$[[ inputs.gitlab-token ]]',
      ...inputVariables,
    },
    script: [script],
    artifacts: { when: 'always', paths: ['migrate-report/'], reports: { dotenv: 'migrate.env', codequality: 'gl-code-quality-report.json' } },
  };
  const header =
    '# Generated from src/inputs.ts by scripts/generate.mjs (npm run build): edit the manifest, not this file.\n' +
    '# One job that migrates the database before the deploy; a deploy job with needs: [<job-name>] runs only when it\n' +
    '# succeeded, and reads MIGRATE_REVISION and the other MIGRATE_* values from its dotenv report.\n';
  return `${header}${stringify({ spec: { inputs } }, { lineWidth: 110 })}---\n${stringify({ '$[[ inputs.job-name ]]': job }, { lineWidth: 0 })}`;
}

mkdirSync(path.join(root, 'templates'), { recursive: true });
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;
writeFileSync(path.join(root, 'templates', 'migrate.yml'), renderComponent(version));

const actionYml = renderActionYml();
writeFileSync(path.join(root, 'action.yml'), actionYml);
const readmePath = path.join(root, 'README.md');
writeFileSync(readmePath, withTables(readFileSync(readmePath, 'utf8'), renderTables(actionYml)));
