/** The reconcile decision, without a server: which action each group gets, and what its record keeps. */
import { GroupSpec, Recorded } from "../../lib/shared/contract";
import { planReconcile, recordOf } from "../../lib/runtime/plan";

const spec = (over: Partial<GroupSpec> = {}): GroupSpec => ({
  name: "g-one",
  integrationId: "int-1",
  secrets: [{ key: "A", source: "env", env: "A" }, { key: "B", source: "env", env: "B" }],
  fingerprint: "f1",
  adopt: false,
  removalPolicy: "destroy",
  forceDelete: false,
  collaborators: [],
  ...over,
});
const rec = (over: Partial<Recorded> = {}): Recorded => ({
  id: "id-1",
  fqn: "t:g-one",
  integrationId: "int-1",
  fingerprint: "f1",
  removalPolicy: "destroy",
  forceDelete: false,
  versions: "A:1,B:1",
  secretFqns: { A: "fqn-a" },
  collaborators: "",
  ...over,
});
const admin = { subject: "user:ana@example.com", role: "admin" as const };
const kinds = (desired: GroupSpec[], recorded: Record<string, Recorded>, repair?: Set<string>) =>
  planReconcile(desired, recorded, repair).map((a) => [a.kind, "access" in a ? a.access : undefined]);

describe("planReconcile", () => {
  it("creates what the state does not record, applying collaborators only when there are some", () => {
    expect(kinds([spec()], {})).toEqual([["create", false]]);
    expect(kinds([spec({ collaborators: [admin] })], {})).toEqual([["create", true]]);
  });
  it("keeps what is unchanged: a record written before collaborators were recorded counts as none", () => {
    expect(kinds([spec()], { "g-one": rec() })).toEqual([["keep", undefined]]);
    expect(kinds([spec()], { "g-one": rec({ collaborators: undefined, versions: undefined }) })).toEqual([["keep", undefined]]);
  });
  it("changed collaborators alone: one access action; with new values: an update that also applies them", () => {
    expect(kinds([spec({ collaborators: [admin] })], { "g-one": rec() })).toEqual([["access", undefined]]);
    expect(kinds([spec({ collaborators: [admin], fingerprint: "f2" })], { "g-one": rec() })).toEqual([["update", true]]);
    expect(kinds([spec({ collaborators: [admin] })], { "g-one": rec({ collaborators: "user:ana@example.com=admin" }) })).toEqual([["keep", undefined]]);
  });
  it("a repair updates a group the state says is current, and puts back its declared collaborators", () => {
    const repair = new Set(["g-one"]);
    expect(planReconcile([spec()], { "g-one": rec() }, repair)).toEqual([expect.objectContaining({ kind: "update", repair: true, access: false })]);
    expect(kinds([spec({ collaborators: [admin] })], { "g-one": rec({ collaborators: "user:ana@example.com=admin" }) }, repair)).toEqual([["update", true]]);
    expect(kinds([spec()], {}, repair)).toEqual([["create", false]]);
  });
});

describe("recordOf", () => {
  it("records each key's latest version and the API's secret fqns from the answer; 0 where it did not say", () => {
    const answer = {
      id: "id-2",
      fqn: "t:g-one",
      associatedSecrets: [{ name: "A", fqn: "api-fqn-a", secretVersions: [{ version: 1 }, { version: 3 }] }, { name: "B", fqn: "api-fqn-b" }],
    };
    expect(recordOf(spec({ collaborators: [admin] }), answer)).toEqual(
      expect.objectContaining({ id: "id-2", versions: "A:3,B:0", secretFqns: { A: "api-fqn-a", B: "api-fqn-b" }, collaborators: "user:ana@example.com=admin" }),
    );
  });
  it("carries versions and fqns over when nothing was written, filling in what an old record lacks", () => {
    expect(recordOf(spec(), rec(), rec())).toEqual(expect.objectContaining({ versions: "A:1,B:1", secretFqns: { A: "fqn-a" } }));
    const old = rec({ versions: undefined, secretFqns: undefined, collaborators: undefined });
    expect(recordOf(spec(), old, old)).toEqual(expect.objectContaining({ versions: "", secretFqns: {}, collaborators: "" }));
  });
});
