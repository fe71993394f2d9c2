// GITHUB_OUTPUT's `name<<DELIMITER ... DELIMITER` blocks as a map (what the runner itself parses).
export function parseOutputFile(text) {
  const outputs = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const head = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!head) continue;
    const value = [];
    for (i += 1; i < lines.length && lines[i] !== head[2]; i += 1) value.push(lines[i]);
    outputs[head[1]] = value.join('\n');
  }
  return outputs;
}
