/**
 * TFYSG_CONCURRENCY, the number of requests one hook run has in flight:
 * a whole number from 1 to 64, empty for the default. Anything else fails
 * the deploy with a message naming the variable, before anything is written.
 */
import { apiClient, expectOk } from "../../scripts/harness";
import { groupsApp, groupsEnv, numberedGroups } from "../support/groups";
import { suiteProjects } from "../support/suite";

const MESSAGE = (raw: string) => `TFYSG_CONCURRENCY must be a whole number from 1 to 64, got ${JSON.stringify(raw)}`;

describe("TFYSG_CONCURRENCY", () => {
  const { setup } = suiteProjects();

  it("refuses 0, 65, 1.5, -1 and a word before any request; takes 1, 64 and empty (the default), each group written once", async () => {
    const { cp, project } = await setup("concurrency");
    const v1 = numberedGroups(3, "conc", ["TOKEN"]);
    project.synth(groupsApp(v1), groupsEnv(v1));

    for (const raw of ["0", "65", "1.5", "-1", "eight"]) {
      const res = await project.apply({ ...groupsEnv(v1), TFYSG_CONCURRENCY: raw });
      expect([raw, res.code]).toEqual([raw, 1]);
      expect(res.output).toContain(MESSAGE(raw));
    }
    expect(cp.requests()).toEqual([]);
    expect(await apiClient(cp).listGroups()).toEqual([]);

    expectOk(await project.apply({ ...groupsEnv(v1), TFYSG_CONCURRENCY: "1" }));
    const created = cp.requests().filter((r) => r.method === "POST" && r.path === "/api/svc/v1/secret-groups");
    expect(created.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await apiClient(cp).listGroups()).map((g) => g.name).sort()).toEqual(v1.map((g) => g.name));

    for (const [raw, gen] of [["64", "v2"], ["", "v3"]]) {
      const next = numberedGroups(3, "conc", ["TOKEN"], gen);
      project.synth(groupsApp(next), groupsEnv(next));
      const mark = cp.requests().length;
      expectOk(await project.apply({ ...groupsEnv(next), TFYSG_CONCURRENCY: raw }));
      expect(cp.requests().slice(mark).filter((r) => r.method !== "GET").map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 200", "PUT 200", "PUT 200"]);
      const client = apiClient(cp);
      for (const g of next) {
        const group = (await client.findGroupByName(g.name))!;
        const secrets = await client.listSecrets(group.id, { withValue: true });
        expect([g.name, secrets.map((x) => [x.name, x.value])]).toEqual([g.name, Object.entries(g.values)]);
      }
    }
  });
});
