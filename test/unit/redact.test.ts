import { REDACTED, Redactor, WITHHELD } from "../../lib/client";

describe("Redactor", () => {
  it("scrubs every known value, longest first", () => {
    const r = new Redactor(["secret-one", "secret-one-longer", undefined]);
    expect(r.redact("a secret-one-longer b secret-one")).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it("lets values win over public words: a value inside a group name is scrubbed", () => {
    const dsn = "postgres://app:pw@payments-db.internal";
    const r = new Redactor([dsn, "payments"]);
    const text = r.redact(`secret group "payments-db": server said ${dsn}`);
    expect(text).not.toContain(dsn);
    expect(text).not.toContain("payments");
  });

  it.each([
    ["JSON-escaped quote and newline", 'pa"ss\nword', (v: string) => JSON.stringify(v).slice(1, -1)],
    ["JSON \\u escapes, lowercase", "mot-de-passé", () => "mot-de-pass\\u00e9"],
    ["JSON \\u escapes, uppercase", "mot-de-passé", () => "mot-de-pass\\u00E9"],
    ["escaped slashes", "a/b/c/d", () => "a\\/b\\/c\\/d"],
    ["JSON-escaped twice", 'x"y"z-1', (v: string) => JSON.stringify(JSON.stringify(v).slice(1, -1)).slice(1, -1)],
    ["URL-encoded", "p@ss w&rd=1", encodeURIComponent],
    ["form-encoded", "p@ss w&rd=1", (v: string) => encodeURIComponent(v).replace(/%20/g, "+")],
    ["URL-encoded, lowercase hex", "p@ss w&rd=1", (v: string) => encodeURIComponent(v).toLowerCase()],
    ["the other Unicode normalisation", "cafe\u0301-secret", (v: string) => v.normalize("NFC")],
  ])("scrubs the %s form", (_, value, form) => {
    const r = new Redactor([value]);
    const echoed = `server echoed <${form(value)}> back`;
    expect(echoed).not.toContain(value); // the form differs: the check is not vacuous
    expect(r.redact(echoed)).toBe(`server echoed <${REDACTED}> back`);
  });

  it("scrubs server text before cutting it, so no prefix of a value survives the cut", () => {
    const value = "0123456789abcdefghij";
    const r = new Redactor([value]);
    const message = `${"x".repeat(290)}${value}${"y".repeat(50)}`;
    const out = r.serverText(message, 300);
    expect(out).not.toContain("0123");
    expect(out.startsWith("x".repeat(290) + REDACTED)).toBe(true);
  });

  it("scrubs a value the server itself cut off at the end of its message", () => {
    const r = new Redactor(["0123456789abcdef"]);
    expect(r.serverText("bad value 0123456789…")).toBe(`bad value ${REDACTED}…`);
    expect(r.serverText("bad value 012")).toBe("bad value 012");
  });

  it("withholds server text that holds a value too short to scrub, in any form", () => {
    const r = new Redactor(["é!", "long-enough-value"]);
    expect(r.serverText("value é! is bad")).toBe(WITHHELD);
    expect(r.serverText("value \\u00e9! is bad")).toBe(WITHHELD);
    expect(r.serverText("value %C3%A9! is bad")).toBe(WITHHELD);
    expect(r.serverText("name is taken")).toBe("name is taken");
    // Our own text is never mangled by short values: it never quotes a value.
    expect(r.redact("secret group é!-x")).toBe("secret group é!-x");
  });

  it("does not withhold for a short value found only inside a scrubbed long one", () => {
    const r = new Redactor(["ab", "xxabxx-long"]);
    expect(r.serverText("got xxabxx-long")).toBe(`got ${REDACTED}`);
  });
});

describe("Redactor: encoded and partial echoes (issue 16)", () => {
  const VALUE = "Sentinel'<Pass>&\"word\"-9f3c-ü";
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");
  const swapCase = (s: string) => Array.from(s, (c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");

  it.each([
    ["HTML-escaped, &#39;", (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;")],
    ["HTML-escaped, &#x27;", (v: string) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#x27;")],
    ["base64", b64],
    ["base64 without padding", (v: string) => b64(v).replace(/=+$/, "")],
    ["URL-safe base64", (v: string) => b64(v).replace(/\+/g, "-").replace(/\//g, "_")],
    ["hex", (v: string) => Buffer.from(v).toString("hex")],
    ["HEX", (v: string) => Buffer.from(v).toString("hex").toUpperCase()],
    ["upper case", (v: string) => v.toUpperCase()],
    ["lower case", (v: string) => v.toLowerCase()],
    ["swapped case", swapCase],
    ["URL-encoded, upper case", (v: string) => encodeURIComponent(v).toUpperCase()],
  ])("scrubs the %s form whole", (_, form) => {
    const r = new Redactor([VALUE]);
    const echoed = `server echoed <${form(VALUE)}> back`;
    expect(echoed).not.toContain(VALUE);
    expect(r.redact(echoed)).toBe(`server echoed <${REDACTED}> back`);
    expect(r.serverText(echoed)).toBe(`server echoed <${REDACTED}> back`);
  });

  it.each([0, 1, 2, 4, 5])("scrubs a value base64-encoded inside a longer text (%i bytes before it)", (before) => {
    const r = new Redactor([VALUE]);
    const encoded = b64(`${"k".repeat(before)}${VALUE}${"z".repeat(before % 3)}`);
    const out = r.serverText(`payload ${encoded} rejected`);
    expect(out).toContain(REDACTED);
    // What is left of the encoding is the few characters that also carry the neighbours' bits.
    const left = out.replace(/^payload /, "").replace(/ rejected$/, "").split(REDACTED).join("");
    expect(left.length).toBeLessThanOrEqual(Math.ceil((before * 8) / 6) + 6);
  });

  it("scrubs any run of 12 or more characters of a value, and leaves shorter runs", () => {
    const value = "abcdefghijklmnopqrstuvwxyz-0123456789";
    const r = new Redactor([value]);
    expect(r.serverText(`value too long, starts with ${value.slice(0, 14)}; try again`)).toBe(`value too long, starts with ${REDACTED}; try again`);
    expect(r.serverText(`middle ${value.slice(10, 22)} here`)).toBe(`middle ${REDACTED} here`);
    expect(r.serverText(`MIDDLE ${value.slice(10, 22).toUpperCase()} HERE`)).toBe(`MIDDLE ${REDACTED} HERE`);
    expect(r.redact(`our own line with ${value.slice(3, 20)} in a field`)).toBe(`our own line with ${REDACTED} in a field`);
    // 11 characters: too short to be told apart from ordinary words.
    expect(r.serverText(`short ${value.slice(0, 11)} run`)).toBe(`short ${value.slice(0, 11)} run`);
  });

  it("scrubs a run of an encoded form: the base64 or hex of the value's first characters", () => {
    const value = "prefix-sentinel-4411-and-more-to-come";
    const r = new Redactor([value]);
    const partB64 = b64(value.slice(0, 18));
    const partHex = Buffer.from(value.slice(0, 9)).toString("hex");
    expect(r.serverText(`got ${partB64}`)).toBe(`got ${REDACTED}`);
    expect(r.serverText(`got ${partHex}`)).toBe(`got ${REDACTED}`);
  });

  it("reads at most 4096 characters of a server's message, and scrubs a value cut there", () => {
    const value = "cut-at-the-read-limit-sentinel";
    const r = new Redactor([value]);
    const message = `${"x".repeat(4096 - 8)}${value}${"y".repeat(1_000_000)}`;
    const out = r.serverText(message, 5000);
    expect(out).not.toContain("cut-at");
    expect(out.length).toBeLessThan(4200);
  });

  it("keeps up with the most one hook run can carry: 2 MiB of values, a 4 KiB message, within a second", () => {
    // Linux gives a process about 2 MiB of environment, values included: 32 of 64 KiB.
    const values = Array.from({ length: 32 }, (_, i) => `${i}-`.padEnd(64 * 1024, String.fromCharCode(97 + (i % 26))));
    const r = new Redactor(values);
    const started = Date.now();
    const out = r.serverText(`${"message ".repeat(500)}${values[21].slice(1000, 1020)}`, 10_000);
    expect(out).toContain(REDACTED);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("scrubs alike whether the values' windows are indexed or, past the index's size, scanned", () => {
    const value = "index-or-scan-sentinel-7731-with/slash+plus";
    const texts = [
      `run ${value.slice(2, 16)} here`,
      `base64 ${b64(value.slice(0, 24))} and hex ${Buffer.from(value.slice(0, 10)).toString("hex")}`,
      `upper ${value.toUpperCase().slice(5, 30)}; url ${encodeURIComponent(value).slice(3, 40)}`,
      `json "${JSON.stringify(value).slice(1, 20)}" whole ${value} twice ${value}`,
      `short ${value.slice(0, 11)} stays`,
    ];
    const indexed = new Redactor([value]);
    // The first lines are scanned: the windows are indexed once a redactor has scrubbed a few.
    for (let i = 0; i < 5; i++) indexed.redact(`warm-up line ${i}`);
    // 2 MiB of values, the most one hook run carries: far more windows than the index holds, so the runs are scanned for.
    const filler = Array.from({ length: 32 }, (_, i) => `${i}-`.padEnd(64 * 1024, String.fromCharCode(97 + (i % 26))));
    const scanned = new Redactor([value, ...filler]);
    for (const text of texts) {
      const out = indexed.redact(text);
      expect(scanned.redact(text)).toBe(out);
    }
    expect(texts.map((t) => indexed.redact(t)).filter((t) => t.includes(REDACTED))).toHaveLength(4);
  });
});
