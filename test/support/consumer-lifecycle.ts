import * as fs from "fs";
import * as path from "path";
import { useConsumerApp } from "./consumer";

/**
 * The README's user story on a given cdktf: install the tarball into a fresh
 * app, compile it under strict settings, and drive it with the real cdktf CLI
 * against `secret-groups control-plane`: deploy 2 groups, a no-op that sends
 * nothing, a rotation that is one PUT, a destroy.
 */
export function consumerLifecycle(title: string, dependencies: Record<string, string>): void {
  describe(title, () => {
    const { app, cp, send } = useConsumerApp(dependencies);
    const cdktf = (command: "deploy" | "destroy", dbPassword: string) => send(app.bin("cdktf"), [command, "--auto-approve"], dbPassword);

    it("installs without @cdktf/provider-null and compiles with strict and exactOptionalPropertyTypes", () => {
      expect(fs.existsSync(path.join(app.dir, "node_modules", "@cdktf", "provider-null"))).toBe(false);
      expect(fs.existsSync(path.join(app.dir, "main.js"))).toBe(true);
    });

    it("deploys 2 groups", async () => {
      const { sent } = await cdktf("deploy", "pw-1");
      // One look-up of the names, then per group a POST (create markers) and a PUT (its values).
      expect([...sent].sort()).toEqual(["GET 200", "POST 200", "POST 200", "PUT 200", "PUT 200"]);
      expect(await cp().groupNames()).toEqual(["consumer-api", "consumer-db"]);
    });

    it("a second deploy changes nothing and sends no request", async () => {
      const { output, sent } = await cdktf("deploy", "pw-1");
      expect(output).toContain("No changes.");
      expect(sent).toEqual([]);
    });

    it("a rotated value is one PUT", async () => {
      const { sent } = await cdktf("deploy", "pw-2");
      expect(sent).toEqual(["PUT 200"]);
    });

    it("destroy deletes both groups", async () => {
      const { sent } = await cdktf("destroy", "pw-2");
      expect(sent).toEqual(["DELETE 200", "DELETE 200"]);
      expect(await cp().groupNames()).toEqual([]);
    });

    it("no value reached any output", () => {
      for (const value of ["pw-1", "pw-2", "api-token-7f3a"]) expect(app.outputs.join("\n")).not.toContain(value);
    });
  });
}
