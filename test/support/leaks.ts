/**
 * The one leak scanner every test uses: no form of the database password may appear in anything the
 * program wrote (log lines, outputs, summaries, files), except the lines that register it for masking.
 */
export function secretFormsOf(password: string): string[] {
  const forms = new Set([password, encodeURIComponent(password), encodeURIComponent(encodeURIComponent(password))]);
  // A distinctive run of the password, so that a partly encoded copy is still caught.
  if (password.length >= 8) forms.add(password.slice(0, 6));
  return [...forms];
}

/** Lines that contain a secret form, ignoring `::add-mask::` registrations. */
export function findLeaks(text: string, password: string): string[] {
  const forms = secretFormsOf(password);
  return text
    .split(/\r?\n/)
    .filter((line) => !line.startsWith('::add-mask::'))
    .filter((line) => forms.some((form) => line.includes(form)));
}

/** Everything a test's runs wrote; checked and cleared after each test (test/support/leak-check.ts). */
export const written: { source: string; text: string }[] = [];

export function recordWritten(source: string, text: string): void {
  written.push({ source, text });
}
