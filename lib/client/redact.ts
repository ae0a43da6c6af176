/**
 * The one redaction rule. Everything the client and the hook print or throw
 * passes through a Redactor that knows the token and every secret value of the
 * current operation, so a value can only leak through code that bypasses it.
 */

/** Shorter values cannot be scrubbed without mangling every message. */
export const MIN_REDACTED_LENGTH = 4;
export const REDACTED = "[REDACTED]";

export class Redactor {
  private readonly needles: string[] = [];

  constructor(values: Iterable<string | undefined> = []) {
    this.add(...values);
  }

  add(...values: (string | undefined)[]): this {
    for (const v of values) {
      if (typeof v !== "string" || v.length < MIN_REDACTED_LENGTH || this.needles.includes(v)) continue;
      this.needles.push(v);
      // Longest first, so a value that contains another is scrubbed whole.
      this.needles.sort((a, b) => b.length - a.length);
    }
    return this;
  }

  redact(text: string): string {
    let out = text;
    for (const n of this.needles) out = out.split(n).join(REDACTED);
    return out;
  }
}
