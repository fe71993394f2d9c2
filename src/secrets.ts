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
    if (!raw) continue;
    forms.add(raw);
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      // bad percent-encoding: the raw form is all we can know
    }
    forms.add(decoded);
    forms.add(encodeURIComponent(decoded));
    // the WHATWG URL serializer leaves some characters (e.g. ! * ' ( )) unencoded
    forms.add(decoded.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=]/g, (c) => encodeURIComponent(c)));
  }
  return [...forms].filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
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

/** Replace every secret form in `text` with `***`. A second line of defence behind the runner's masking. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***');
  }
  return out;
}
