/**
 * A stand-alone app for the fresh-process synth measurement:
 * `ts-node --transpile-only bench/synth-app.ts <variant> <groups> <outdir> [skip-validation]`.
 * The values come from the environment, as in the in-process runs. Prints one
 * JSON line with where the time went, in ms since the process started.
 */
import { App, LocalBackend, TerraformStack } from "cdktf";
import { buildStack, Variant } from "./stacks";

// Imports above have run by now: this is node + ts-node + cdktf + lib loading.
const loaded = performance.now();
const [variant, groups, outdir, skip] = process.argv.slice(2);
const app = new App({ outdir, skipValidation: skip === "skip-validation" });
const stack = new TerraformStack(app, "bench");
new LocalBackend(stack, { path: "../../../terraform.bench.tfstate" });
buildStack(stack, { variant: variant as Variant, groups: Number(groups), prefix: "fresh", url: "http://127.0.0.1:9" }, process.env);
const constructed = performance.now();
app.synth();
const synthesized = performance.now();
process.stdout.write(`${JSON.stringify({ loaded, constructed, synthesized })}\n`);
