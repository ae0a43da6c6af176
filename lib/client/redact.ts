/**
 * The one redaction rule. Everything the client and the hook print or throw
 * passes through a Redactor that knows the token and every secret value of the
 * current run, so a value can only leak through code that bypasses it.
 *
 * - Values win: a value is scrubbed wherever it appears, even inside a group
 *   name, a key or a path. Nothing is "allowed" around it.
 * - A server may echo a value back in any encoding: raw, JSON-escaped (also
 *   with \uXXXX for non-ASCII, escaped slashes, twice escaped), URL-encoded
 *   (also with "+" for spaces, lowercase hex) and in either Unicode
 *   normalisation. Every form is scrubbed.
 * - Values shorter than MIN_SCRUBBED_LENGTH cannot be scrubbed without
 *   mangling every message ("a", "1", "on"). Our own messages never quote
 *   values; the only text that might is what the server wrote, and
 *   `serverText` withholds that whole when it holds a short value in any form.
 * - Scrub first, cut after: a value crossing a cut cannot leave its prefix.
 */

export const MIN_SCRUBBED_LENGTH = 4;
export const REDACTED = "[REDACTED]";
/** What replaces a server message that quotes a value too short to scrub. */
export const WITHHELD = "the server's message is withheld: it may quote a secret value too short to scrub";

export class Redactor {
  private readonly values = new Set<string>();
  /** Every form of every value of MIN_SCRUBBED_LENGTH or more, longest first. */
  private needles: string[] = [];
  /** Every form of the shorter values. */
  private short: string[] = [];

  constructor(values: Iterable<string | undefined> = []) {
    this.add(...values);
  }

  add(...values: (string | undefined)[]): this {
    let changed = false;
    for (const v of values) {
      if (typeof v !== "string" || v === "" || this.values.has(v)) continue;
      this.values.add(v);
      const target = v.length >= MIN_SCRUBBED_LENGTH ? this.needles : this.short;
      for (const form of encodings(v)) if (!target.includes(form)) target.push(form);
      changed = true;
    }
    // Longest first, so a value that contains another is scrubbed whole.
    if (changed) this.needles.sort((a, b) => b.length - a.length);
    return this;
  }

  /** Our own text (messages, log lines, error fields): every form of every value scrubbed. */
  redact(text: string): string {
    let out = text;
    for (const n of this.needles) if (out.includes(n)) out = out.split(n).join(REDACTED);
    return out;
  }

  /**
   * Text the server wrote, which may echo what we sent: scrubbed, then cut to
   * `max` characters. A value the server itself cut off is scrubbed too (a tail
   * that begins a value). Withheld whole when it holds a value too short to scrub.
   */
  serverText(text: string, max = 300): string {
    let out = scrubCutTail(this.redact(text), this.needles);
    if (this.short.some((s) => out.includes(s))) return WITHHELD;
    if (out.length > max) out = `${Array.from(out).slice(0, max).join("")}…`;
    return out;
  }
}

/** The forms in which a server may echo `v` back. */
function encodings(v: string): Set<string> {
  const forms = new Set<string>();
  for (const raw of new Set([v, v.normalize("NFC"), v.normalize("NFD")])) {
    const json = JSON.stringify(raw).slice(1, -1);
    const asciiLower = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const asciiUpper = asciiLower.replace(/\\u([0-9a-f]{4})/g, (_, h: string) => `\\u${h.toUpperCase()}`);
    for (const f of [raw, json, asciiLower, asciiUpper, JSON.stringify(json).slice(1, -1)]) {
      forms.add(f);
      forms.add(f.replace(/\//g, "\\/"));
    }
    for (const encode of [encodeURIComponent, encodeURI]) {
      let url: string;
      try {
        url = encode(raw);
      } catch {
        continue; // a lone surrogate has no URL form
      }
      forms.add(url);
      forms.add(url.replace(/%20/g, "+"));
      forms.add(url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()));
    }
  }
  return forms;
}

/** Scrubs the end of `text` when it is the beginning of a value (a value cut by the server). */
function scrubCutTail(text: string, needles: string[]): string {
  const body = text.replace(/(\.\.\.|…)\s*$/, "");
  for (const n of needles) {
    const from = Math.max(0, body.length - n.length + 1);
    for (let i = from; i <= body.length - MIN_SCRUBBED_LENGTH; i++) {
      if (body.charCodeAt(i) === n.charCodeAt(0) && n.startsWith(body.slice(i))) {
        return `${body.slice(0, i)}${REDACTED}${text.slice(body.length)}`;
      }
    }
  }
  return text;
}
