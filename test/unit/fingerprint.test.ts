/**
 * The pure parts of what the construct writes: the fingerprints that detect
 * changed values, and the escaping of literals in Terraform templates. (The
 * reconcile decision is tested in plan.test.ts.)
 */
import { fingerprint } from "../../lib/construct/fingerprint";
import { escapeTemplate } from "../../lib/construct/terraform-text";

describe("fingerprint", () => {
  const key = "k".repeat(32);
  it("is keyed when a value is seen, and changes with the value, the key set, the version and the key", () => {
    const base = fingerprint("g", undefined, [{ key: "A", value: "1" }], key);
    expect(base).toMatch(/^hmac:[0-9a-f]{32}$/);
    expect(fingerprint("g", undefined, [{ key: "A", value: "2" }], key)).not.toBe(base);
    expect(fingerprint("g", undefined, [{ key: "A", value: "1" }, { key: "B", unseen: "env:B" }], key)).not.toBe(base);
    expect(fingerprint("g", "2", [{ key: "A", value: "1" }], key)).not.toBe(base);
    expect(fingerprint("g", undefined, [{ key: "A", value: "1" }], "j".repeat(32))).not.toBe(base);
  });

  it("does not depend on the order of the keys", () => {
    const parts = [
      { key: "A", value: "1" },
      { key: "B", value: "2" },
    ];
    expect(fingerprint("g", undefined, parts, key)).toBe(fingerprint("g", undefined, [...parts].reverse(), key));
  });

  it("hashes public parts alone when no value is seen, and needs no key then", () => {
    expect(fingerprint("g", "1", [{ key: "A", unseen: "env:A" }], undefined)).toMatch(/^public:[0-9a-f]{32}$/);
    expect(() => fingerprint("g", undefined, [{ key: "A", value: "1" }], undefined)).toThrow("TFYSG_DIGEST_KEY");
  });
});

describe("escapeTemplate", () => {
  it.each([
    ["${x}", "$${x}"],
    ["%{if a}", "%%{if a}"],
    ["$${x}", "$$${x}"],
    ["a$b%c{d}", "a$b%c{d}"],
  ])("%s", (raw, escaped) => {
    expect(escapeTemplate(raw)).toBe(escaped);
  });
});
