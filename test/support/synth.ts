/** Synthesizes one stack in-process, as `cdktf synth` would, in a temp dir removed after the suite. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { App, LocalBackend, TerraformStack } from "cdktf";

export const SYNTH_DIGEST_KEY = "synth-test-digest-key-0123456789";

/**
 * A synth function for one test file: stack "s", a local backend of its own,
 * the environment given (TFYSG_DIGEST_KEY by default) for the synth only.
 */
export function synthesizer(): (build: (stack: TerraformStack) => void, env?: Record<string, string | undefined>) => { dir: string; json: any; text: string } {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const d of outdirs) fs.rmSync(d, { recursive: true, force: true });
  });
  return (build, env = { TFYSG_DIGEST_KEY: SYNTH_DIGEST_KEY }) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-synth-"));
    outdirs.push(outdir);
    const saved = { ...process.env };
    Object.assign(process.env, env);
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
    try {
      const app = new App({ outdir: path.join(outdir, "cdktf.out") });
      const stack = new TerraformStack(app, "s");
      // cdktf's default backend path is absolute; a portable app names its own.
      new LocalBackend(stack, { path: "../../../terraform.s.tfstate" });
      build(stack);
      app.synth();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const text = fs.readFileSync(path.join(outdir, "cdktf.out", "stacks", "s", "cdk.tf.json"), "utf8");
    return { dir: outdir, json: JSON.parse(text), text };
  };
}
