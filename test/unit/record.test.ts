import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HOOK_ENV, RECORD_SHELL_TESTS, parseRecordFile, recordFile } from "../../lib/shared/contract";

/** The shell fast paths must agree with the runtime's reading of the record. */
describe("record file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-record-"));
  const file = path.join(dir, "r.tfstate");
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const sh = (test: string, env: Record<string, string> = {}) => {
    try {
      execFileSync("/bin/sh", ["-c", test], { env: { PATH: process.env.PATH, ...env } });
      return true;
    } catch {
      return false;
    }
  };

  it("round-trips, and an empty record has no id", () => {
    fs.writeFileSync(file, recordFile(null));
    expect(parseRecordFile(fs.readFileSync(file, "utf8"))).toBeNull();
    expect(sh(RECORD_SHELL_TESTS.hasId(file))).toBe(false);
    const rec = { id: "a1-b2", fqn: "t:g", digest: "d".repeat(64) };
    fs.writeFileSync(file, recordFile(rec));
    expect(parseRecordFile(fs.readFileSync(file, "utf8"))).toEqual(rec);
    expect(sh(RECORD_SHELL_TESTS.hasId(file))).toBe(true);
  });

  it("holdsDigest is true exactly when both the id and the digest match", () => {
    fs.writeFileSync(file, recordFile({ id: "a1-b2", fqn: "t:g", digest: "abc123" }));
    const test = RECORD_SHELL_TESTS.holdsDigest(file);
    expect(sh(test, { [HOOK_ENV.groupId]: "a1-b2", [HOOK_ENV.digest]: "abc123" })).toBe(true);
    expect(sh(test, { [HOOK_ENV.groupId]: "a1-b2", [HOOK_ENV.digest]: "abc12" })).toBe(false);
    expect(sh(test, { [HOOK_ENV.groupId]: "a1-b", [HOOK_ENV.digest]: "abc123" })).toBe(false);
    expect(sh(test, { [HOOK_ENV.groupId]: "", [HOOK_ENV.digest]: "abc123" })).toBe(false);
    fs.writeFileSync(file, recordFile(null));
    expect(sh(test, { [HOOK_ENV.groupId]: "", [HOOK_ENV.digest]: "" })).toBe(false);
    expect(sh(test, { [HOOK_ENV.groupId]: "a1-b2", [HOOK_ENV.digest]: "abc123" })).toBe(false);
  });

  it("a missing record file is no record", () => {
    expect(sh(RECORD_SHELL_TESTS.hasId(path.join(dir, "none")))).toBe(false);
  });
});
