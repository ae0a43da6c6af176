/**
 * The one place the construct reads the environment of the synth: the values
 * of SecretValue.fromEnv and TFYSG_DIGEST_KEY, both read to compute
 * fingerprints (never written anywhere). The construct context key
 * `secret-groups:env`, an object of variable name to value, set on the App or
 * a stack, is read instead of `process.env` when present: an app or a test
 * can synthesize with an environment of its own without changing the
 * process's.
 */
import { Construct } from "constructs";

export const SYNTH_ENV_CONTEXT = "secret-groups:env";

export type SynthEnv = Readonly<Record<string, string | undefined>>;

export function synthEnv(scope: Construct): SynthEnv {
  const given = scope.node.tryGetContext(SYNTH_ENV_CONTEXT) as SynthEnv | undefined;
  return given && typeof given === "object" ? given : process.env;
}
