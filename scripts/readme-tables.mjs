// The README's inputs and outputs tables, generated from action.yml (the metadata users read first).
// scripts/generate.mjs writes them between their markers; a unit test fails when they differ.
import { parse } from 'yaml';

const cell = (text) => String(text).replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');

/** Markdown tables for action.yml's inputs and outputs. */
export function renderTables(actionYml) {
  const action = parse(actionYml);
  const inputs = [
    '| input | default | description |',
    '|---|---|---|',
    ...Object.entries(action.inputs).map(([name, spec]) => {
      const def = spec.required ? '**required**' : spec.default === '' ? '(empty)' : `\`${cell(spec.default)}\``;
      return `| \`${name}\` | ${def} | ${cell(spec.description)} |`;
    }),
  ].join('\n');
  const outputs = [
    '| output | description |',
    '|---|---|',
    ...Object.entries(action.outputs).map(([name, spec]) => `| \`${name}\` | ${cell(spec.description)} |`),
  ].join('\n');
  return { inputs, outputs };
}

/** The README with both tables replaced between `<!-- NAME:start -->` and `<!-- NAME:end -->`. */
export function withTables(readme, tables) {
  let out = readme;
  for (const [name, table] of Object.entries(tables)) {
    const pattern = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(\\n<!-- ${name}:end -->)`);
    if (!pattern.test(out)) throw new Error(`README.md has no <!-- ${name}:start --> ... <!-- ${name}:end --> markers`);
    out = out.replace(pattern, (_, start, end) => `${start}${table}${end}`);
  }
  return out;
}
