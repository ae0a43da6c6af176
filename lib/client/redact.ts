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
  private readonly allowed: string[] = [];

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

  /**
   * Public words (a group's name, its keys) stay readable even when a value
   * happens to contain or equal them: "payments" as a value must not turn the
   * group "payments-db" into "[REDACTED]-db".
   */
  allow(...words: string[]): this {
    for (const w of words) if (w && !this.allowed.includes(w)) this.allowed.push(w);
    this.allowed.sort((a, b) => b.length - a.length);
    return this;
  }

  redact(text: string): string {
    let out = text;
    this.allowed.forEach((w, i) => (out = out.split(w).join(`\u0000${i}\u0000`)));
    for (const n of this.needles) out = out.split(n).join(REDACTED);
    return out.replace(/\u0000(\d+)\u0000/g, (_, i) => this.allowed[Number(i)]);
  }
}
