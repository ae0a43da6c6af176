import * as fs from "fs";
import * as path from "path";
import { useConsumerApp } from "./consumer";
import { nodeRecord } from "./node";

export interface LifecycleOptions {
  /** The CLI that deploys: cdktf, or the fork's cdktn (its package `cdktn-cli`, installed as the app chooses). Default cdktf. */
  cli?: "cdktf" | "cdktn";
  /** Run everything (npm, tsc, the CLI, the app, the hook, the control plane) under this Node version, installed from the npm registry (node.ts); default this machine's. */
  node?: string;
}

/**
 * The README's user story on a given cdktf (or cdktn) and Node: install the
 * tarball into a fresh app, compile it under strict settings, and drive it
 * with the real CLI against `secret-groups control-plane`: deploy 2 groups, a
 * no-op that sends nothing, a rotation that is one PUT to the same group,
 * `secret-groups drift` finding a group deleted by hand and repairing it, a
 * rename that creates before it deletes, a destroy.
 */
export function consumerLifecycle(title: string, dependencies: Record<string, string>, options: LifecycleOptions = {}): void {
  describe(title, () => {
    const cliName = options.cli ?? "cdktf";
    const { app, cp, send } = useConsumerApp(dependencies, options.node ? { node: options.node } : {});
    const cli = (command: "deploy" | "destroy", dbPassword: string) => send(app.bin(cliName), [command, "--auto-approve"], dbPassword);
    const drift = (args: string[], code: number) => send(app.bin("secret-groups"), ["drift", ...args], "pw-2", { codes: [code] });
    const idOf = async (name: string) => (await cp().client().findGroupByName(name))?.id;

    it("installs without @cdktf/provider-null, with the CLI on the Node it runs on", async () => {
      expect(fs.readdirSync(path.join(app.dir, "node_modules"))).toContain("cdktf-secret-groups");
      expect(fs.existsSync(path.join(app.dir, "node_modules", "@cdktf", "provider-null"))).toBe(false);
      expect(fs.existsSync(app.bin(cliName))).toBe(true);
      if (options.node) expect((await app.exec("node", ["--version"])).stdout.trim()).toBe(`v${options.node}`);
    });

    it("compiles without a diagnostic under strict and exactOptionalPropertyTypes, which a probe shows are in effect on its types", async () => {
      const { main, probe } = await app.typecheck();
      expect([main.code, main.output]).toEqual([0, ""]);
      expect(probe.code).not.toBe(0);
      expect(probe.output).toContain("exactOptionalPropertyTypes");
    });

    /**
     * The creates and deletes a run sent, in order. A create may bring reads and
     * a PUT of its own (the hook may write a new group's values in a second
     * request); what must hold is which groups were created and deleted, and when.
     */
    const writes = (sent: string[]) => sent.filter((r) => /^(POST|DELETE) /.test(r));

    it("deploys 2 groups", async () => {
      const { sent } = await cli("deploy", "pw-1");
      // One look-up of the names, then per group a POST (create markers) and a PUT (its values).
      expect([...sent].sort()).toEqual(["GET 200", "POST 200", "POST 200", "PUT 200", "PUT 200"]);
      expect(sent.every((r) => r.endsWith(" 200"))).toBe(true);
      expect(await cp().groupNames()).toEqual(["consumer-api", "consumer-db"]);
    });

    it("a second deploy changes nothing and sends no request", async () => {
      const { output, sent } = await cli("deploy", "pw-1");
      expect(output).toContain("No changes.");
      expect(sent).toEqual([]);
    });

    it("a rotated value is one PUT to the same group", async () => {
      const id = await idOf("consumer-db");
      const { sent } = await cli("deploy", "pw-2");
      expect(sent).toEqual(["PUT 200"]);
      expect(await idOf("consumer-db")).toBe(id);
    });

    it("secret-groups drift: in sync after a deploy; finds a group deleted by hand; --repair puts it back", async () => {
      const inSync = await drift([], 0);
      expect(inSync.stdout).toContain("in sync: consumer (2 groups)");
      expect(inSync.sent).toEqual(["GET 200"]);

      const api = (await cp().client().findGroupByName("consumer-api"))!;
      await cp().client().deleteGroup(api.id);
      const found = await drift([], 2);
      expect(found.stdout).toContain(`consumer: secret group "consumer-api": deleted on the control plane (the state recorded id ${api.id})`);
      expect(found.sent).toEqual(["GET 200"]);

      const repaired = await drift(["--repair"], 0);
      expect(repaired.stdout).toContain("repaired: every group is back to the code");
      const back = (await cp().client().findGroupByName("consumer-api"))!;
      expect(back.fqn).toBe(api.fqn);
      expect((await drift([], 0)).stdout).toContain("in sync: consumer (2 groups)");
    });

    it("a rename in the code creates the new group before it deletes the old one", async () => {
      app.writeMain("consumer-db-v2");
      await app.compile();
      const { sent } = await cli("deploy", "pw-2");
      expect(writes(sent)).toEqual(["POST 200", "DELETE 200"]);
      expect(sent.every((r) => r.endsWith(" 200"))).toBe(true);
      expect(await cp().groupNames()).toEqual(["consumer-api", "consumer-db-v2"]);
    });

    it("destroy deletes both groups", async () => {
      const { sent } = await cli("destroy", "pw-2");
      expect(sent).toEqual(["DELETE 200", "DELETE 200"]);
      expect(await cp().groupNames()).toEqual([]);
    });

    it("no value reached any output", () => {
      for (const value of ["pw-1", "pw-2", "api-token-7f3a"]) expect(app.outputs.join("\n")).not.toContain(value);
    });

    if (options.node) {
      const version = `v${options.node}`;
      it(`ran npm, the ${cliName} CLI, the app, the hook and secret-groups on Node ${options.node}, and no other Node`, () => {
        const record = nodeRecord(app.nodeRecordFile);
        expect([...new Set(record.map((r) => r.version))]).toEqual([version]);
        const scripts = record.map((r) => r.script);
        for (const program of [/[/\\]npm(-cli\.js)?$/, new RegExp(`[/\\\\]${cliName}(\\.js)?$`), /[/\\]main\.js$/, /[/\\]hook\.js$/, /[/\\]secret-groups(\.js)?$/]) {
          expect(scripts).toEqual(expect.arrayContaining([expect.stringMatching(program)]));
        }
      });
    }
  });
}
