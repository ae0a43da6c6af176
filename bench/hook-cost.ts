/**
 * What one hook invocation costs, start-up included, measured the way
 * Terraform's local-exec runs the runner: `/bin/sh -c "exec node hook.js <op>"`
 * with the environment the construct gives it, one at a time, the kinds
 * interleaved so that drift on the machine hits them all alike.
 */
import * as fs from "fs";
import * as path from "path";
import { ControlPlaneClient } from "../lib/client";
import { API_ROUTES } from "../lib/shared/api";
import { GroupSpec, HOOK_ENV, HookOp, Recorded } from "../lib/shared/contract";
import { ControlPlane } from "../control-plane/server";
import { INTEGRATION_ID, KEYS } from "./stacks";
import { Spread, spread, timedRun } from "./stats";

export interface InvocationKind {
  label: string;
  /** What the row shows, for the report. */
  note: string;
  samples: number[];
  stats?: Spread;
  /** API requests the kind sent per invocation (checked against the log). */
  requestsPerRun?: number;
  /** The bare-node kind this one is compared with (same environment). */
  reference?: string;
}

export interface HookCost {
  reps: number;
  bundleBytes: number;
  kinds: InvocationKind[];
  /** Median of the runner sending one POST minus the median of bare node: the start-up target. */
  overMedianMs: number;
}

export const BARE = "sh -c 'node -e 0'";
/** The start-up target's row: what a first deploy of one group runs. */
export const RUNNER_POST = "runner: reconcile, one new group (look-up, POST, PUT)";
export const CURL = "curl POST (baseline)";
const NO_CA_BARE = "sh -c 'node -e 0', no NODE_EXTRA_CA_CERTS";

function spec(name: string, fingerprint: string): GroupSpec {
  return {
    name,
    integrationId: INTEGRATION_ID,
    secrets: KEYS.map((key, index) => ({ key, source: "value", index })),
    fingerprint,
    adopt: false,
    removalPolicy: "destroy",
    forceDelete: false,
    collaborators: [],
  };
}

function recorded(id: string, fingerprint: string): Recorded {
  return { id, fqn: `bench:${id}`, integrationId: INTEGRATION_ID, fingerprint, removalPolicy: "destroy", forceDelete: false };
}

/** The environment the construct gives a runner of one group (see lib/construct/stack-runtime.ts). */
function runnerEnv(name: string, fingerprint: string, was: Recorded | undefined, scratch: string): Record<string, string> {
  const env: Record<string, string> = {
    [HOOK_ENV.groups]: JSON.stringify([spec(name, fingerprint)]),
    [HOOK_ENV.recorded]: JSON.stringify(was ? { [name]: was } : {}),
    [HOOK_ENV.removing]: "[]",
    [HOOK_ENV.record]: `${scratch}/${name}.tfstate`,
    [HOOK_ENV.done]: `${scratch}/${name}.done`,
    [HOOK_ENV.owner]: "bench-owner-token-0c9e7d2a",
  };
  KEYS.forEach((_, i) => (env[`${HOOK_ENV.valuePrefix}${i}`] = `${name}-value-${i}-${fingerprint}`));
  return env;
}

/**
 * Runs every kind `reps` times, round robin. The hook bundle is copied into a
 * scratch folder, as Terraform runs it from the stack's assets.
 */
export async function measureHookCost(opts: {
  cp: ControlPlane;
  token: string;
  bundle: string;
  workDir: string;
  reps: number;
  baseEnv: NodeJS.ProcessEnv;
}): Promise<HookCost> {
  const { cp, token, workDir, reps } = opts;
  fs.rmSync(workDir, { recursive: true, force: true });
  const scratch = ".secret-groups";
  fs.mkdirSync(path.join(workDir, scratch), { recursive: true });
  const hook = path.join(workDir, "hook.js");
  fs.copyFileSync(opts.bundle, hook);
  const caCerts = opts.baseEnv.NODE_EXTRA_CA_CERTS;
  const node = (op: HookOp) => `exec node hook.js ${op}`;

  const env = { ...opts.baseEnv, TFY_HOST: cp.url, TFY_API_KEY: token };
  const client = new ControlPlaneClient({ host: cp.url, apiKey: token });
  // Groups for the kinds that need one already there: update (PUT), reap and destroy (DELETE).
  const existing = async (prefix: string) => {
    const ids: string[] = [];
    for (let i = 0; i <= reps; i++) {
      const g = await client.createGroup({ name: `${prefix}-${i}`, integrationId: INTEGRATION_ID, secrets: KEYS.map((key) => ({ key, value: "before" })) });
      ids.push(g.id);
    }
    return ids;
  };
  const toUpdate = await existing("hc-put");
  const toReap = await existing("hc-reap");
  const toDestroy = await existing("hc-destroy");
  const doomed = (name: string, id: string) => ({ [HOOK_ENV.doomed]: JSON.stringify({ [name]: recorded(id, "f-old") }) });

  interface Kind {
    label: string;
    note: string;
    requests: number;
    cmd: string;
    env: (i: number) => Record<string, string>;
    /** Variables removed from the environment for this kind. */
    unset?: string[];
    reference?: string;
  }
  const curlBody = (i: number) =>
    JSON.stringify({ name: `hc-curl-${i}`, integrationId: INTEGRATION_ID, secrets: KEYS.map((key) => ({ key, value: "v" })) });
  const kinds: Kind[] = [
    { label: "sh -c true", note: "the shell alone", requests: 0, cmd: "true", env: () => ({}) },
    { label: BARE, note: "bare node start-up", requests: 0, cmd: "node -e 0", env: () => ({}) },
    {
      label: RUNNER_POST,
      note: "a runner of one new group (first deploy): plan, the look-up of its name, a POST with create markers, a PUT of its values, record and done files written",
      requests: 3,
      cmd: node("reconcile"),
      env: (i) => runnerEnv(`hc-create-${i}`, "f1", undefined, scratch),
    },
    {
      label: "runner: reconcile, 1 PUT",
      note: "a runner of one rotated group: 1 PUT to the recorded id",
      requests: 1,
      cmd: node("reconcile"),
      env: (i) => runnerEnv(`hc-put-${i}`, `f-new-${i}`, recorded(toUpdate[i], "f-old"), scratch),
    },
    {
      label: "runner: reconcile, nothing to send",
      note: "the recorded fingerprint matches: no request, record written (no deploy runs this: an unchanged runner is not replaced)",
      requests: 0,
      cmd: node("reconcile"),
      env: () => runnerEnv("hc-put-0", "f-same", recorded(toUpdate[0], "f-same"), scratch),
    },
    {
      label: "reaper: reap, 1 DELETE",
      note: "one group removed from the code",
      requests: 1,
      cmd: node("reap"),
      env: (i) => ({ ...doomed(`hc-reap-${i}`, toReap[i]), [HOOK_ENV.done]: `${scratch}/reap-${i}.done` }),
    },
    {
      label: "keeper: destroy, 1 DELETE",
      note: "`cdktf destroy` of a runner of one group",
      requests: 1,
      cmd: node("destroy"),
      env: (i) => doomed(`hc-destroy-${i}`, toDestroy[i]),
    },
    {
      label: CURL,
      note: "the hand-written hook's whole invocation",
      requests: 1,
      cmd: `curl -s -X POST $TFY_HOST${API_ROUTES.groups} -H "Authorization: Bearer $TFY_API_KEY" -H 'Content-Type: application/json' -d "$BODY"`,
      env: (i) => ({ BODY: curlBody(i) }),
    },
    ...(caCerts
      ? [
          { label: NO_CA_BARE, note: "bare node, the CA file not loaded", requests: 0, cmd: "node -e 0", env: () => ({}), unset: ["NODE_EXTRA_CA_CERTS"] },
          {
            reference: NO_CA_BARE,
            label: "runner: reconcile, one new group, no NODE_EXTRA_CA_CERTS",
            note: "the same, the CA file not loaded",
            requests: 3,
            cmd: node("reconcile"),
            env: (i: number) => runnerEnv(`hc-noca-${i}`, "f1", undefined, scratch),
            unset: ["NODE_EXTRA_CA_CERTS"],
          },
        ]
      : []),
  ];

  const samples = kinds.map(() => [] as number[]);
  const requests = kinds.map(() => 0);
  // Round 0 is a warm-up, not counted: the first spawns pay for a cold page cache.
  for (let i = 0; i <= reps; i++) {
    for (let k = 0; k < kinds.length; k++) {
      const before = cp.requests().length;
      const kindEnv: NodeJS.ProcessEnv = { ...env, ...kinds[k].env(i) };
      for (const name of kinds[k].unset ?? []) delete kindEnv[name];
      const res = await timedRun("/bin/sh", ["-c", kinds[k].cmd], { cwd: workDir, env: kindEnv });
      if (res.code !== 0) throw new Error(`${kinds[k].label} exited ${res.code}: ${res.output}`);
      const sent = cp.requests().slice(before);
      const failed = sent.filter((r) => r.status < 200 || r.status >= 300);
      if (failed.length) throw new Error(`${kinds[k].label}: the control plane answered ${failed.map((r) => `${r.method} ${r.path} ${r.status}`).join(", ")}`);
      if (i === 0) continue;
      samples[k].push(res.ms);
      requests[k] += sent.length;
    }
  }
  kinds.forEach((k, i) => {
    if (requests[i] !== k.requests * reps) {
      throw new Error(`${k.label}: expected ${k.requests} API request(s) per run, saw ${requests[i]} in ${reps} runs`);
    }
  });
  const result: InvocationKind[] = kinds.map((k, i) => ({
    label: k.label,
    note: k.note,
    samples: samples[i].map((v) => Math.round(v * 10) / 10),
    stats: spread(samples[i]),
    requestsPerRun: requests[i] / reps,
    reference: k.cmd.includes("hook.js") ? (k.reference ?? BARE) : undefined,
  }));
  const med = (label: string) => result.find((r) => r.label === label)!.stats!.median;
  return {
    reps,
    bundleBytes: fs.statSync(hook).size,
    kinds: result,
    overMedianMs: med(RUNNER_POST) - med(BARE),
  };
}
