export function parseOutputFile(text: string): Record<string, string>;
