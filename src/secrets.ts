import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Every password that may reach the driver or pg_dump, in every form: the URL's (as written, decoded,
 * re-encoded; also `?password=`), else PGPASSWORD, else the line of the password file (PGPASSFILE or
 * ~/.pgpass) that matches the URL's host, port, database and user. All of them are secrets.
 */
export function connectionSecrets(databaseUrl: string, env: NodeJS.ProcessEnv): string[] {
  const forms = new Set(secretForms(databaseUrl));
  const more = [env.PGPASSWORD ?? '', passwordFromFile(databaseUrl, env) ?? ''];
  // Not percent-encoded where they come from: encode first, so that a literal % is not decoded.
  for (const password of more.filter((p) => p.length > 0)) {
    for (const form of passwordForms(encodeURIComponent(password))) forms.add(form);
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/** The password libpq would take from the password file for this URL; undefined when none matches. */
export function passwordFromFile(databaseUrl: string, env: NodeJS.ProcessEnv): string | undefined {
  let url: URL;
  try {
    url = new URL(databaseUrl.trim().replace(/@(?=[/?#]|$)/, '@localhost'));
  } catch {
    return undefined;
  }
  const file = env.PGPASSFILE || path.join(env.HOME || os.homedir(), '.pgpass');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const query = url.searchParams;
  const decode = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text; // bad percent-encoding: config.ts says so; the lookup goes on with the text as written
    }
  };
  const wanted = [
    query.get('host') || url.hostname || 'localhost',
    query.get('port') || url.port || '5432',
    decode(url.pathname.slice(1)) || '*',
    query.get('user') || decode(url.username) || env.PGUSER || os.userInfo().username,
  ];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const fields = pgpassFields(line);
    if (fields.length < 5) continue;
    if (wanted.every((value, i) => fields[i] === '*' || fields[i] === value)) return fields[4];
  }
  return undefined;
}

/** A password file line's fields: split on colons, with \: and \\ standing for themselves. Pure. */
export function pgpassFields(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  for (let i = 0; i < line.length; i += 1) {
    const char = line[i]!;
    if (char === '\\' && i + 1 < line.length) {
      field += line[i + 1];
      i += 1;
    } else if (char === ':' && fields.length < 4) {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

/**
 * Every form in which the database password may appear: as written in the URL, decoded, and re-encoded.
 * Computed from the raw input before it is validated, so that even a malformed URL is masked.
 */
export function secretForms(databaseUrl: string): string[] {
  const forms = new Set<string>();
  const url = databaseUrl.trim();
  if (url === '') return [];
  forms.add(databaseUrl);
  forms.add(url);
  // The password as written between `user:` and the last `@`, and as a URL parser (and pg) reads it: they
  // differ when the query holds an `@` too. pg also takes a password from `?password=`.
  for (const raw of [rawPassword(url), ...parsedPasswords(url)]) {
    if (raw) for (const form of passwordForms(raw)) forms.add(form);
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
}

/** A password as written (perhaps percent-encoded), decoded, and encoded both ways URLs encode it. */
function passwordForms(raw: string): string[] {
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // bad percent-encoding: the raw form is all we can know
  }
  return [
    raw,
    decoded,
    encodeURIComponent(decoded),
    // the WHATWG URL serializer leaves some characters (e.g. ! * ' ( )) unencoded
    decoded.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=]/g, (c) => encodeURIComponent(c)),
  ];
}

function parsedPasswords(url: string): string[] {
  try {
    const parsed = new URL(url);
    return [parsed.password, parsed.searchParams.get('password') ?? ''];
  } catch {
    return [];
  }
}

/**
 * The password as written between `user:` and the last `@` of the authority. Works on malformed URLs
 * too (e.g. an unencoded `@` or `/` in the password), because masking must not depend on validity.
 */
function rawPassword(url: string): string | undefined {
  const schemeEnd = url.indexOf('://');
  if (schemeEnd < 0) return undefined;
  const rest = url.slice(schemeEnd + 3);
  const at = rest.lastIndexOf('@');
  if (at < 0) return undefined;
  const userinfo = rest.slice(0, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) return undefined;
  return userinfo.slice(colon + 1);
}

/**
 * A token input that is only a variable's reference (`$NAME`, `${NAME}`): what GitLab leaves when the
 * variable it names is not given to the job. It holds nothing secret, and names the variable.
 */
export const UNSET_VARIABLE = /^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/;

/** Replace every secret form in `text` with `***`. A second line of defence behind the runner's masking. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}

/**
 * redact(), but occurrences of `keep` (public names, such as migration files) are left whole, so that a
 * short password inside a file name does not turn `2_create-orders.sql` into `2_create-***.sql`. Pure.
 */
export function redactExcept(text: string, secrets: readonly string[], keep: readonly string[]): string {
  const present = secrets.filter((secret) => secret.length > 0 && text.includes(secret));
  if (present.length === 0) return text;
  // Only names that hold a secret need keeping (a run may have 100,000 names).
  const holders = keep.filter((name) => present.some((secret) => name.includes(secret)));
  const kept: string[] = [];
  // Markers of characters no password holds (NUL cannot be in a URL; the middle one is private-use).
  const marker = (i: number) => `\u0000${String.fromCharCode(0xe000 + i)}\u0000`;
  let out = text;
  for (const name of [...holders].sort((a, b) => b.length - a.length)) {
    if (name.length === 0 || !out.includes(name)) continue;
    out = out.split(name).join(marker(kept.length));
    kept.push(name);
  }
  out = redact(out, present);
  kept.forEach((name, i) => {
    out = out.split(marker(i)).join(name);
  });
  return out;
}
