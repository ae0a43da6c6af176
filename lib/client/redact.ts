/**
 * The one redaction rule. Everything the client and the hook print or throw
 * passes through a Redactor that knows the token and every secret value of the
 * current run, so a value can only leak through code that bypasses it.
 *
 * - Values win: a value is scrubbed wherever it appears, even inside a group
 *   name, a key or a path. Nothing is "allowed" around it.
 * - A server may echo a value back in any encoding: raw, JSON-escaped (also
 *   with \uXXXX for non-ASCII, escaped slashes, twice escaped), HTML-escaped,
 *   URL-encoded (also with "+" for spaces, lowercase hex), base64 (standard
 *   or URL-safe, padded or not, at any byte offset inside a longer encoded
 *   text), hex, in either Unicode normalisation and in any letter case.
 *   Every form is scrubbed.
 * - A value in part: any run of MIN_RUN or more characters of any of those
 *   forms is scrubbed, wherever it stands (a server that quotes the first 14
 *   characters of a value, or the base64 of its prefix).
 * - Values shorter than MIN_SCRUBBED_LENGTH cannot be scrubbed without
 *   mangling every message ("a", "1", "on"). Our own messages never quote
 *   values; the only text that might is what the server wrote, and
 *   `serverText` withholds that whole when it holds a short value in any form.
 * - Scrub first, cut after: a value crossing a cut cannot leave its prefix.
 */

export const MIN_SCRUBBED_LENGTH = 4;
/** A run of this many characters of a value (in any of its forms) is scrubbed wherever it appears. */
export const MIN_RUN = 12;
export const REDACTED = "[REDACTED]";
/** What replaces a server message that quotes a value too short to scrub. */
export const WITHHELD = "the server's message is withheld: it may quote a secret value too short to scrub";
/**
 * How much of a server's message is looked at. Past it the text is dropped
 * unread; a value that crosses this first cut leaves at most a prefix, which
 * the run and cut-tail rules scrub.
 */
const SERVER_TEXT_READ = 4096;

export class Redactor {
  private readonly values = new Set<string>();
  /** Every form of every value of MIN_SCRUBBED_LENGTH or more, case-folded; sorted longest first when a server's text is cut. */
  private needles: string[] = [];
  private needlesSorted = true;
  /**
   * Those shorter than MIN_RUN: the only ones `redact` looks for whole. A
   * longer one is scrubbed as runs: each of its MIN_RUN windows is a window
   * of a run form, so an occurrence is covered end to end.
   */
  private shortNeedles: string[] = [];
  private readonly seen = new Set<string>();
  /** Every form of the shorter values, case-folded. */
  private short: string[] = [];
  /** Every form at least MIN_RUN long, case-folded: the texts a run is looked for in. */
  private readonly runForms = new Set<string>();
  /**
   * The windows of the run forms, indexed once this redactor has scrubbed
   * enough lines to pay for it (a run that prints a few lines scans, as
   * cheaply); null: too many windows, always scanned.
   */
  private windows?: WindowIndex | null;
  private scans = 0;

  constructor(values: Iterable<string | undefined> = []) {
    this.add(...values);
  }

  add(...values: (string | undefined)[]): this {
    for (const v of values) {
      if (typeof v !== "string" || v === "" || this.values.has(v)) continue;
      this.values.add(v);
      const long = v.length >= MIN_SCRUBBED_LENGTH;
      const forms = [...encodings(v)].map(fold);
      for (const folded of forms) {
        const key = `${long ? "n" : "s"}${folded}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        if (!long) this.short.push(folded);
        else {
          this.needles.push(folded);
          if (folded.length < MIN_RUN) this.shortNeedles.push(folded);
        }
      }
      // For runs, one text per family: URL-safe base64 is read as standard, a form inside another adds nothing.
      const runs = [...new Set(forms.filter((f) => f.length >= MIN_RUN).map(canon))];
      const fresh = runs.filter((f) => !this.runForms.has(f) && !runs.some((g) => g !== f && g.includes(f)));
      for (const f of fresh) this.runForms.add(f);
      if (this.windows && !this.windows.add(fresh)) this.windows = null;
      this.needlesSorted = false;
    }
    return this;
  }

  /** Our own text (messages, log lines, error fields): every form of every value, and every run of one, scrubbed. */
  redact(text: string): string {
    if (text === "" || this.values.size === 0) return text;
    const folded = fold(text);
    const hits: Range[] = [];
    for (const n of this.shortNeedles) {
      for (let i = folded.indexOf(n); i >= 0; i = folded.indexOf(n, i + 1)) hits.push([i, i + n.length]);
    }
    if (this.windows === undefined && ++this.scans > SCANS_BEFORE_INDEX) this.windows = WindowIndex.of(this.runForms) ?? null;
    hits.push(...(this.windows ? this.windows.runsIn(folded) : runsOf(folded, this.runForms)));
    return replaceRanges(text, hits);
  }

  /**
   * Text the server wrote, which may echo what we sent: scrubbed, then cut to
   * `max` characters. A value the server itself cut off is scrubbed too (a tail
   * that begins a value). Withheld whole when it holds a value too short to scrub.
   */
  serverText(text: string, max = 300): string {
    const read = text.length > SERVER_TEXT_READ ? text.slice(0, SERVER_TEXT_READ) : text;
    // Longest first, so that the longest value a cut tail begins is the one scrubbed.
    if (!this.needlesSorted) {
      this.needles.sort((a, b) => b.length - a.length);
      this.needlesSorted = true;
    }
    let out = scrubCutTail(this.redact(read), this.needles);
    const folded = fold(out);
    if (this.short.some((s) => folded.includes(s))) return WITHHELD;
    if (out.length > max || read !== text) out = `${Array.from(out).slice(0, max).join("")}…`;
    return out;
  }
}

type Range = [number, number];

/**
 * Lower case, one UTF-16 unit for one, so that positions in the folded text
 * are positions in the original. (The few characters whose lower case is
 * longer are left as they are; their upper- and lower-case forms are forms
 * of their own.)
 */
function fold(s: string): string {
  const lower = s.toLowerCase();
  if (lower.length === s.length) return lower;
  let out = "";
  for (const c of s) {
    const l = c.toLowerCase();
    out += l.length === c.length ? l : c;
  }
  return out;
}

/** The forms in which a server may echo `v` back. */
function encodings(v: string): Set<string> {
  const forms = new Set<string>();
  for (const raw of new Set([v, v.normalize("NFC"), v.normalize("NFD"), v.toUpperCase(), v.toLowerCase()])) {
    const json = JSON.stringify(raw).slice(1, -1);
    const asciiLower = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    for (const f of [raw, json, asciiLower, JSON.stringify(json).slice(1, -1)]) {
      forms.add(f);
      forms.add(f.replace(/\//g, "\\/"));
    }
    for (const html of htmlForms(raw)) forms.add(html);
    for (const encode of [encodeURIComponent, encodeURI]) {
      let url: string;
      try {
        url = encode(raw);
      } catch {
        continue; // a lone surrogate has no URL form
      }
      forms.add(url);
      forms.add(url.replace(/%20/g, "+"));
    }
    const bytes = Buffer.from(raw, "utf8");
    forms.add(bytes.toString("hex"));
    for (const b64 of base64Forms(bytes)) {
      forms.add(b64);
      forms.add(b64.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  forms.delete("");
  return forms;
}

/** `&`, `<`, `>`, `"` and `'` escaped as HTML templates do (named or numeric). */
function htmlForms(raw: string): string[] {
  if (!/[&<>"']/.test(raw)) return [];
  const named = (apos: string, quot: string) =>
    raw.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, quot).replace(/'/g, apos);
  return [named("&#39;", "&quot;"), named("&#x27;", "&quot;"), named("&apos;", "&quot;"), named("&#39;", "&#34;")];
}

/**
 * Base64 of the bytes as they may stand inside a longer encoded text: at each
 * of the three byte offsets, the characters that depend on the value alone
 * (the whole encoding, padded, at offset 0).
 */
function base64Forms(bytes: Buffer): string[] {
  const out = [bytes.toString("base64")];
  for (let shift = 0; shift < 3; shift++) {
    const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64").replace(/=+$/, "");
    const head = Math.ceil((shift * 8) / 6);
    const tail = (shift + bytes.length) % 3 === 0 ? 0 : 1;
    const core = b64.slice(head, b64.length - tail);
    if (core.length >= MIN_SCRUBBED_LENGTH) out.push(core);
  }
  return out;
}

/** URL-safe base64 read as standard base64 (same length): one text to look for runs in, not two. */
function canon(s: string): string {
  return s.replace(/-/g, "+").replace(/_/g, "/");
}

// A module binding, not a global look-up per character (slow inside jest's vm contexts).
const imul = Math.imul;
const BASE = 131;
/** BASE ** (MIN_RUN - 1), in 32-bit arithmetic like the hash itself. */
const TOP = (() => {
  let p = 1;
  for (let i = 1; i < MIN_RUN; i++) p = imul(p, BASE);
  return p;
})();
const FILTER_BITS = 1 << 16;

/** Lines scrubbed by scanning before the windows are indexed: building the index costs about as much as a few scans. */
const SCANS_BEFORE_INDEX = 4;

/** Past this many windows the index would take too much memory (12 bytes a slot, two slots a window): runs are scanned for instead. */
const MAX_INDEXED_WINDOWS = 1 << 22;

/**
 * Every MIN_RUN window of the run forms, by rolling hash, in an open-addressing
 * table: a text's windows are looked up in it, so scrubbing a message costs
 * its own length, not the length of every form of every value (a runner
 * carries up to 200 groups' values, and prints a line per group). Values
 * added later (the client adds what it sends) are added to it in place.
 */
class WindowIndex {
  private readonly forms: string[] = [];
  private windows = 0;
  /** Per slot: a window's hash, its form (-1: empty) and where it starts in that form. */
  private hashes = new Int32Array(1024);
  private formOf = new Int32Array(1024).fill(-1);
  private startOf = new Int32Array(1024);

  /** The index of these forms' windows; undefined when there would be too many. */
  static of(forms: Iterable<string>): WindowIndex | undefined {
    const index = new WindowIndex();
    return index.add(forms) ? index : undefined;
  }

  /** Indexes more forms (canonical); false when that makes too many windows to index. */
  add(forms: Iterable<string>): boolean {
    const k = MIN_RUN;
    for (const form of forms) {
      if (form.length < k) continue;
      this.windows += form.length - k + 1;
      if (this.windows > MAX_INDEXED_WINDOWS) return false;
      while (this.windows * 2 > this.hashes.length) this.grow();
      const f = this.forms.push(form) - 1;
      let h = 0;
      for (let j = 0; j < form.length; j++) {
        if (j >= k) h = (h - imul(form.charCodeAt(j - k), TOP)) | 0;
        h = (imul(h, BASE) + form.charCodeAt(j)) | 0;
        if (j >= k - 1) this.insert(h, f, j - k + 1);
      }
    }
    return true;
  }

  private grow(): void {
    const [hashes, formOf, startOf] = [this.hashes, this.formOf, this.startOf];
    this.hashes = new Int32Array(hashes.length * 2);
    this.formOf = new Int32Array(hashes.length * 2).fill(-1);
    this.startOf = new Int32Array(hashes.length * 2);
    for (let slot = 0; slot < hashes.length; slot++) if (formOf[slot] >= 0) this.place(hashes[slot], formOf[slot], startOf[slot]);
  }

  /** Adds a window once: a repeated one (a value of one character repeated) would make a run of equal slots. */
  private insert(hash: number, form: number, start: number): void {
    const mask = this.hashes.length - 1;
    for (let slot = hash & mask; this.formOf[slot] >= 0; slot = (slot + 1) & mask) {
      if (this.hashes[slot] === hash && this.same(this.forms[this.formOf[slot]], this.startOf[slot], this.forms[form], start)) return;
    }
    this.place(hash, form, start);
  }

  private place(hash: number, form: number, start: number): void {
    const mask = this.hashes.length - 1;
    let slot = hash & mask;
    while (this.formOf[slot] >= 0) slot = (slot + 1) & mask;
    this.hashes[slot] = hash;
    this.formOf[slot] = form;
    this.startOf[slot] = start;
  }

  private same(a: string, at: number, b: string, bt: number): boolean {
    for (let i = 0; i < MIN_RUN; i++) if (a.charCodeAt(at + i) !== b.charCodeAt(bt + i)) return false;
    return true;
  }

  /** The same ranges as runsOf(folded, forms). */
  runsIn(folded: string): Range[] {
    const k = MIN_RUN;
    if (folded.length < k) return [];
    const text = canon(folded);
    const mask = this.hashes.length - 1;
    const hits: Range[] = [];
    let h = 0;
    for (let i = 0; i < text.length; i++) {
      if (i >= k) h = (h - imul(text.charCodeAt(i - k), TOP)) | 0;
      h = (imul(h, BASE) + text.charCodeAt(i)) | 0;
      if (i < k - 1) continue;
      for (let slot = h & mask; this.formOf[slot] >= 0; slot = (slot + 1) & mask) {
        if (this.hashes[slot] === h && this.same(this.forms[this.formOf[slot]], this.startOf[slot], text, i - k + 1)) {
          hits.push([i - k + 1, i + 1]);
          break;
        }
      }
    }
    return hits;
  }
}

/**
 * Where `text` (case-folded) holds a run of MIN_RUN or more characters of one
 * of `forms`: the text's windows are hashed (it is short), each form is
 * scanned with a rolling hash (a bit filter first, so a miss costs a few
 * integer operations), and a matching hash is checked character by
 * character. Overlapping windows make one range.
 */
function runsOf(folded: string, forms: ReadonlySet<string>): Range[] {
  const k = MIN_RUN;
  if (folded.length < k || forms.size === 0) return [];
  const text = canon(folded);
  const windows = new Map<number, number[]>();
  const filter = new Uint32Array(FILTER_BITS / 32);
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    if (i >= k) h = (h - imul(text.charCodeAt(i - k), TOP)) | 0;
    h = (imul(h, BASE) + text.charCodeAt(i)) | 0;
    if (i < k - 1) continue;
    const bit = h & (FILTER_BITS - 1);
    filter[bit >>> 5] |= 1 << (bit & 31);
    const at = windows.get(h);
    if (at) at.push(i - k + 1);
    else windows.set(h, [i - k + 1]);
  }
  const hits: Range[] = [];
  const marked = new Uint8Array(text.length);
  for (const form of forms) {
    h = 0;
    for (let j = 0; j < form.length; j++) {
      if (j >= k) h = (h - imul(form.charCodeAt(j - k), TOP)) | 0;
      h = (imul(h, BASE) + form.charCodeAt(j)) | 0;
      if (j < k - 1) continue;
      const bit = h & (FILTER_BITS - 1);
      if ((filter[bit >>> 5] & (1 << (bit & 31))) === 0) continue;
      const at = windows.get(h);
      if (!at) continue;
      for (const i of at) {
        if (marked[i] || text.slice(i, i + k) !== form.slice(j - k + 1, j + 1)) continue;
        marked[i] = 1;
        hits.push([i, i + k]);
      }
    }
  }
  return hits;
}

/** `text` with every range (overlapping ones merged) replaced by REDACTED. */
function replaceRanges(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  let out = "";
  let at = 0;
  let i = 0;
  while (i < ranges.length) {
    let [start, end] = ranges[i++];
    while (i < ranges.length && ranges[i][0] <= end) end = Math.max(end, ranges[i++][1]);
    out += text.slice(at, start) + REDACTED;
    at = end;
  }
  return out + text.slice(at);
}

/** Scrubs the end of `text` when it is the beginning of a value (a value cut by the server). */
function scrubCutTail(text: string, needles: string[]): string {
  const body = text.replace(/(\.\.\.|…)\s*$/, "");
  const folded = fold(body);
  for (const n of needles) {
    const from = Math.max(0, folded.length - n.length + 1);
    for (let i = from; i <= folded.length - MIN_SCRUBBED_LENGTH; i++) {
      if (folded.charCodeAt(i) === n.charCodeAt(0) && n.startsWith(folded.slice(i))) {
        return `${body.slice(0, i)}${REDACTED}${text.slice(body.length)}`;
      }
    }
  }
  return text;
}
