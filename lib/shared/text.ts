/** Wording shared by everything that prints: "1 secret", "2 secrets". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/**
 * Text from elsewhere (a server's names, ids, messages) made safe to print
 * on a terminal: control characters (C0, DEL, C1: escape sequences, carriage
 * returns, new lines), bidirectional overrides and line separators are shown
 * as \u escapes instead of acting on the terminal.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
