import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `npm pack` of this repository into a temporary directory; returns the tarball's path. */
export function packTarball(root = path.resolve('.')): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-action-pack-'));
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }).trim();
  return path.join(dir, out.split('\n').pop()!);
}
