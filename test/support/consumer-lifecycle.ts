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

    it("installs without @cdktf/provider-null", () => {
      expect(fs.readdirSync(path.join(app.dir, "node_modules"))).toContain("cdktf-secret-groups");
      expect(fs.existsSync(path.join(app.dir, "node_modules", "@cdktf", "provider-null"))).toBe(false);
    });

    it("compiles without a diagnostic under strict and exactOptionalPropertyTypes, which a probe shows are in effect on its types", async () => {
      const { main, probe } = await app.typecheck();
      expect([main.code, main.output]).toEqual([0, ""]);
      expect(probe.code).not.toBe(0);
      expect(probe.output).toContain("exactOptionalPropertyTypes");
    });

    it("deploys 2 groups", async () => {
      const { sent } = await cdktf("deploy", "pw-1");
      expect(sent).toEqual(["POST 200", "POST 200"]);
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
