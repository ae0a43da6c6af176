import { MARKER_PREFIX, createMarker, decideExisting, provenance } from "../../lib/shared/ownership";

const TOKEN = "0f4c2b7e9a1d3c5b7e9f1a2b3c4d5e6f";
const OTHER_TOKEN = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b";

describe("create markers", () => {
  it("depend on the token, the group and the key, and start with the library's prefix", () => {
    const m = createMarker(TOKEN, "payments-db", "PASSWORD");
    expect(m.startsWith(MARKER_PREFIX)).toBe(true);
    expect(m).toBe(createMarker(TOKEN, "payments-db", "PASSWORD"));
    expect(new Set([m, createMarker(OTHER_TOKEN, "payments-db", "PASSWORD"), createMarker(TOKEN, "payments-dc", "PASSWORD"), createMarker(TOKEN, "payments-db", "PASSWORX")]).size).toBe(4);
  });

  it("cannot be confused across the group/key boundary", () => {
    expect(createMarker(TOKEN, "ab", "c")).not.toBe(createMarker(TOKEN, "a", "bc"));
  });
});

describe("provenance of an existing group", () => {
  const ours = (key: string, name = "payments-db") => createMarker(TOKEN, name, key);

  it("this stack: the current value is still this state's marker (killed between the create and the values)", () => {
    expect(provenance([{ name: "A", value: ours("A") }], TOKEN, "payments-db")).toBe("this-stack");
  });

  it("this stack: the marker is in the first version, the real value set since", () => {
    const held = [{ name: "A", value: "real", secretVersions: [{ value: ours("A") }, { value: "real" }] }];
    expect(provenance(held, TOKEN, "payments-db")).toBe("this-stack");
  });

  it("another stack: a marker of this library under another token (another stack, workspace, or a lost state)", () => {
    const held = [{ name: "A", value: "real", secretVersions: [{ value: createMarker(OTHER_TOKEN, "payments-db", "A") }, { value: "real" }] }];
    expect(provenance(held, TOKEN, "payments-db")).toBe("another-stack");
  });

  it("another stack: this token's marker for another group name does not prove this one", () => {
    expect(provenance([{ name: "A", value: ours("A", "payments-dc") }], TOKEN, "payments-db")).toBe("another-stack");
  });

  it("another stack: this token's marker under another key does not prove this one", () => {
    expect(provenance([{ name: "A", value: ours("B") }], TOKEN, "payments-db")).toBe("another-stack");
  });

  it("unknown: no marker at all, whatever the values (equal values are not proof)", () => {
    expect(provenance([{ name: "A", value: "same-value", secretVersions: [{ value: "same-value" }] }], TOKEN, "payments-db")).toBe("unknown");
    expect(provenance([], TOKEN, "payments-db")).toBe("unknown");
    expect(provenance([{ name: "A" }], TOKEN, "payments-db")).toBe("unknown");
  });

  it("this stack wins over another stack's marker in the same group", () => {
    const held = [
      { name: "A", value: createMarker(OTHER_TOKEN, "payments-db", "A") },
      { name: "B", secretVersions: [{ value: ours("B") }] },
    ];
    expect(provenance(held, TOKEN, "payments-db")).toBe("this-stack");
  });
});

describe("what a stack may do with an existing group it does not record", () => {
  it.each([
    [false, "this-stack", "finish"],
    [true, "this-stack", "finish"],
    [false, "another-stack", "refuse"],
    [true, "another-stack", "adopt"],
    [false, "unknown", "refuse"],
    [true, "unknown", "adopt"],
  ] as const)("adoptExisting %s, created by %s: %s", (adopt, origin, decision) => {
    expect(decideExisting(adopt, origin)).toBe(decision);
  });
});
