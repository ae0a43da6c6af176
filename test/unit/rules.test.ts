import { groupNameProblems, keySetProblems, secretKeyProblems, secretValueProblems, subjectProblems } from "../../lib/shared/rules";

describe("rules", () => {
  it.each(["abc", "payments-db", "a1-b2", "a".repeat(64)])("accepts name %s", (n) => expect(groupNameProblems(n)).toEqual([]));
  it.each(["", "ab", "Payments", "1abc", "abc-", "a_b", "a".repeat(65), " abc", "déjà"])("refuses name %j", (n) =>
    expect(groupNameProblems(n)).toHaveLength(1),
  );
  it("checks keys", () => {
    expect(secretKeyProblems("DB_PASSWORD")).toEqual([]);
    expect(secretKeyProblems("_x")).toEqual([]);
    expect(secretKeyProblems("1X")).toHaveLength(1);
    expect(secretKeyProblems("A-B")).toHaveLength(1);
  });
  it("checks key sets, folding case only when asked", () => {
    expect(keySetProblems([])).toEqual(["secrets is empty: a group needs at least one secret"]);
    expect(keySetProblems(["A", "A"])).toEqual(['secret key "A" appears more than once']);
    expect(keySetProblems(["Key", "KEY"])).toEqual([]);
    expect(keySetProblems(["Key", "KEY"], { foldCase: true })).toEqual(['secret keys "Key" and "KEY" differ only in case']);
    expect(keySetProblems(Array.from({ length: 101 }, (_, i) => `K${i}`))).toEqual([
      "secrets has 101 keys, more than the 100 allowed",
    ]);
  });
  it("checks value size in bytes, never quoting the value", () => {
    expect(secretValueProblems("K", "x".repeat(65536))).toEqual([]);
    const p = secretValueProblems("K", "é".repeat(40000));
    expect(p).toEqual(['secret "K": value is 80000 bytes, more than the 65536 allowed']);
  });
  it.each(["user:ana@example.com", "user:a.b+c@sub.example.io", "team:payments", "team:Platform_Ops-2"])("accepts subject %s", (subject) =>
    expect(subjectProblems(subject)).toEqual([]),
  );
  it.each(["ana@example.com", "user:ana", "user:ana@example", "team:", "team:a,b", "user:a=b@example.com", "serviceaccount:ci", " team:ops"])(
    "refuses subject %j",
    (subject) => expect(subjectProblems(subject)).toHaveLength(1),
  );
});
