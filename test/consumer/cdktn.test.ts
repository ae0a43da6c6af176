/**
 * CDK Terrain, the fork users move to: an app on `cdktn` (through the npm
 * alias the README gives) synthesizes, and its stack applies with plain
 * terraform, on this machine's Node 20, where the cdktn CLI (Node >= 22.19)
 * cannot run. The CLI itself runs end to end on Node 22 and 24 in
 * node22-cdktn.test.ts and node24-cdktn.test.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { DEV, deployEnv, useConsumerApp } from "../support/consumer";

describe("a consumer app on cdktn 0.24 (the fork), synthesized and applied with plain terraform", () => {
  const { app, cp, send } = useConsumerApp({
    cdktf: "npm:cdktn@0.24.0",
    constructs: "10.6.0",
    typescript: DEV.typescript!,
    "@types/node": DEV["@types/node"]!,
  });
  const terraform = (args: string[], dbPassword: string) => send("terraform", [...args, "-no-color"], dbPassword, { cwd: app.stackDir });

  it("runs on cdktn, and compiles without a diagnostic under strict and exactOptionalPropertyTypes, which a probe shows are in effect", async () => {
    const cdktf = JSON.parse(fs.readFileSync(path.join(app.dir, "node_modules", "cdktf", "package.json"), "utf8"));
    expect([cdktf.name, cdktf.version]).toEqual(["cdktn", "0.24.0"]);
    const { main, probe } = await app.typecheck();
    expect([main.code, main.output]).toEqual([0, ""]);
    expect(probe.code).not.toBe(0);
    expect(probe.output).toContain("exactOptionalPropertyTypes");
  });

  it("synthesizes with node main.js, a stack with no absolute path of this machine", async () => {
    await app.exec("node", ["main.js"], deployEnv(cp(), "pw-1"));
    const config = fs.readFileSync(path.join(app.stackDir, "cdk.tf.json"), "utf8");
    expect(config).not.toContain(app.dir);
    expect(config).not.toContain("pw-1");
  });

  it("applies with plain terraform: 2 groups, then a no-op, a rotation, a destroy", async () => {
    await terraform(["init", "-input=false"], "pw-1");
    expect([...(await terraform(["apply", "-auto-approve", "-input=false"], "pw-1")).sent].sort()).toEqual(["GET 200", "POST 200", "POST 200", "PUT 200", "PUT 200"]);
    expect(await cp().groupNames()).toEqual(["consumer-api", "consumer-db"]);

    const noop = await terraform(["apply", "-auto-approve", "-input=false"], "pw-1");
    expect(noop.output).toContain("No changes.");
    expect(noop.sent).toEqual([]);

    expect((await terraform(["apply", "-auto-approve", "-input=false"], "pw-2")).sent).toEqual(["PUT 200"]);

    expect((await terraform(["destroy", "-auto-approve", "-input=false"], "pw-2")).sent).toEqual(["DELETE 200", "DELETE 200"]);
    expect(await cp().groupNames()).toEqual([]);
  });
});
