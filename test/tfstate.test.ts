/**
 * The one writer of the state files this project writes itself
 * (lib/shared/tfstate.ts), read by the real terraform: an empty state is
 * taken as the stack's existing state, and a record's outputs are read
 * through terraform_remote_state.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { tfstateText } from "../lib/shared/tfstate";
import { terraformEnv } from "../scripts/terraform-env";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-tfstate-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function terraform(...args: string[]) {
  const res = spawnSync("terraform", [...args, "-no-color"], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...terraformEnv() }, encoding: "utf8", timeout: 120_000 });
  if (res.status !== 0) throw new Error(`terraform ${args.join(" ")} exited ${res.status}:\n${res.stdout}${res.stderr}`);
  return res.stdout;
}

test("an empty state is a state terraform applies onto and keeps (its lineage), and a written output reads back through terraform_remote_state", () => {
  const empty = tfstateText();
  const lineage = JSON.parse(empty).lineage;
  fs.writeFileSync(path.join(dir, "terraform.tfstate"), empty);
  fs.writeFileSync(path.join(dir, "record.tfstate"), tfstateText({ outputs: { greeting: { value: { a: "hello" }, type: ["map", "string"] } }, serial: 1 }));
  fs.writeFileSync(
    path.join(dir, "main.tf.json"),
    JSON.stringify({
      data: { terraform_remote_state: { record: { backend: "local", config: { path: "record.tfstate" } } } },
      output: { seen: { value: "${data.terraform_remote_state.record.outputs.greeting.a}" } },
    }),
  );
  terraform("init", "-input=false");
  terraform("apply", "-auto-approve", "-input=false");
  const state = JSON.parse(fs.readFileSync(path.join(dir, "terraform.tfstate"), "utf8"));
  expect(state.lineage).toBe(lineage);
  expect(state.serial).toBeGreaterThan(0);
  expect(state.outputs.seen.value).toBe("hello");
});

test("each empty state has a lineage of its own; a given lineage and serial are kept", () => {
  const [a, b] = [JSON.parse(tfstateText()), JSON.parse(tfstateText())];
  expect(a.lineage).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(b.lineage).not.toBe(a.lineage);
  expect(a).toEqual({ ...b, lineage: a.lineage });
  expect(a).toMatchObject({ version: 4, serial: 0, outputs: {}, resources: [] });
  expect(JSON.parse(tfstateText({ lineage: "l-1", serial: 3 }))).toMatchObject({ lineage: "l-1", serial: 3 });
});
