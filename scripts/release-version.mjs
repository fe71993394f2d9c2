// The version of a release, in the three places that hold it: package.json, package-lock.json (its
// root entries) and src/version.ts (what --version prints). The component's `package` default
// (templates/migrate.yml) is generated from package.json by `npm run build`.
//
//   node scripts/release-version.mjs 1.2.3          set the version (only upwards), then: npm run build
//   node scripts/release-version.mjs --check 1.2.3  exit 1 unless every place says 1.2.3 (the release
//                                                   workflow runs this with its tag, v removed)
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

/** -1, 0 or 1 as `a` is below, equal to or above `b` (both X.Y.Z). Pure. */
export function compareVersions(a, b) {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i += 1) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

const files = (root) => ({
  pkg: path.join(root, 'package.json'),
  lock: path.join(root, 'package-lock.json'),
  source: path.join(root, 'src', 'version.ts'),
});

/** The version each place holds now. */
export function versionsIn(root) {
  const f = files(root);
  const lock = JSON.parse(readFileSync(f.lock, 'utf8'));
  return {
    'package.json': JSON.parse(readFileSync(f.pkg, 'utf8')).version,
    'package-lock.json': lock.version,
    'package-lock.json packages[""]': lock.packages?.['']?.version,
    'src/version.ts': /export const VERSION = '([^']*)';/.exec(readFileSync(f.source, 'utf8'))?.[1],
  };
}

/** Set every place to `version`; throws (changing nothing) for anything but a higher X.Y.Z. */
export function setVersion(root, version) {
  if (!SEMVER.test(version)) throw new Error(`"${version}" is not a version X.Y.Z (no "v": the tag is v${version.replace(/^v/, '')}, the version is without it)`);
  const current = versionsIn(root)['package.json'];
  if (compareVersions(version, current) <= 0) throw new Error(`${version} is not above the current version ${current}; a released version is never reused`);
  const f = files(root);
  const pkgText = readFileSync(f.pkg, 'utf8');
  const lockText = readFileSync(f.lock, 'utf8');
  const sourceText = readFileSync(f.source, 'utf8');
  const pkg = JSON.parse(pkgText);
  pkg.version = version;
  const lock = JSON.parse(lockText);
  lock.version = version;
  if (lock.packages?.['']) lock.packages[''].version = version;
  const source = sourceText.replace(/export const VERSION = '[^']*';/, `export const VERSION = '${version}';`);
  if (source === sourceText) throw new Error('src/version.ts has no VERSION line');
  writeFileSync(f.pkg, `${JSON.stringify(pkg, null, 2)}\n`);
  writeFileSync(f.lock, `${JSON.stringify(lock, null, 2)}\n`);
  writeFileSync(f.source, source);
}

/** The places that do not hold `version`, as "place: value" lines; empty when all do. */
export function mismatches(root, version) {
  return Object.entries(versionsIn(root))
    .filter(([, value]) => value !== version)
    .map(([place, value]) => `${place}: ${value ?? 'none'}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  const args = process.argv.slice(2);
  try {
    if (args[0] === '--check' && args.length === 2) {
      const wrong = mismatches(root, args[1]);
      if (wrong.length > 0) throw new Error(`the release is ${args[1]}, but ${wrong.join('; ')}: run node scripts/release-version.mjs ${args[1]} and npm run build, commit, then tag`);
      console.log(`Every place says ${args[1]}.`);
    } else if (args.length === 1 && !args[0].startsWith('--')) {
      setVersion(root, args[0]);
      console.log(`Version ${args[0]} set in package.json, package-lock.json and src/version.ts. Next: npm run build (the component's package default follows), commit, tag v${args[0]} (GitHub) and ${args[0]} (GitLab), push the tags.`);
    } else {
      throw new Error('usage: node scripts/release-version.mjs X.Y.Z | --check X.Y.Z');
    }
  } catch (error) {
    console.error(`release-version: ${error.message}`);
    process.exit(1);
  }
}
