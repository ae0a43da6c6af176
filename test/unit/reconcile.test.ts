/**
 * The pure parts of the reconcile: the decision from desired and recorded,
 * the fingerprints, and the escaping of what the construct writes.
 */
import { fingerprint } from "../../lib/construct/fingerprint";
import { escapeTemplate } from "../../lib/construct/terraform-text";
import { planReconcile, recordOf } from "../../lib/runtime/plan";
import { GroupSpec, Recorded } from "../../lib/shared/contract";

const spec = (name: string, over: Partial<GroupSpec> = {}): GroupSpec => ({
  name,
  integrationId: "int-1",
  secrets: [{ key: "A", source: "env", env: "A" }],
  fingerprint: "fp-1",
  adopt: false,
  removalPolicy: "destroy",
  forceDelete: false,
  ...over,
});
const recorded = (over: Partial<Recorded> = {}): Recorded => ({
  id: "id-1",
  fqn: "t:g",
  integrationId: "int-1",
  fingerprint: "fp-1",
  removalPolicy: "destroy",
  forceDelete: false,
  ...over,
});

describe("planReconcile", () => {
  it("creates what the state does not record, even a record without id", () => {
    expect(planReconcile([spec("a"), spec("b")], { b: recorded({ id: "" }) }).map((a) => a.kind)).toEqual(["create", "create"]);
  });

  it("keeps what is unchanged: no request", () => {
    expect(planReconcile([spec("a")], { a: recorded() }).map((a) => a.kind)).toEqual(["keep"]);
  });

  it("updates what changed, in place", () => {
    const [a] = planReconcile([spec("a", { fingerprint: "fp-2" })], { a: recorded() });
    expect(a).toMatchObject({ kind: "update", recorded: { id: "id-1" } });
  });

  it("moves a group whose integration changed, whatever its fingerprint", () => {
    expect(planReconcile([spec("a", { integrationId: "int-2", fingerprint: "fp-2" })], { a: recorded() }).map((a) => a.kind)).toEqual(["move"]);
  });

  it("ignores records of groups it is not asked about (the reaper's)", () => {
    expect(planReconcile([spec("a")], { a: recorded(), gone: recorded({ id: "id-9" }) })).toHaveLength(1);
  });

  it("records the desired policies with the id and fqn the control plane returned", () => {
    expect(recordOf(spec("a", { removalPolicy: "retain", forceDelete: true }), { id: "x", fqn: "t:a" })).toEqual({
      id: "x",
      fqn: "t:a",
      integrationId: "int-1",
      fingerprint: "fp-1",
      removalPolicy: "retain",
      forceDelete: true,
    });
  });
});

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
