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
