/**
 * What one hook invocation costs, start-up included, measured the way
 * Terraform's local-exec runs it: `/bin/sh -c "<command>"`, one at a time, the
 * kinds interleaved so that drift on the machine hits them all alike.
 */
import * as fs from "fs";
import * as path from "path";
import { ControlPlaneClient } from "../lib/client";
import { API_ROUTES } from "../lib/shared/api";
import { HOOK_ENV, SecretSpec, recordFile } from "../lib/shared/contract";
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
  /** Median of the early-exit hook minus the median of bare node. */
  overMedianMs: number;
}

export const BARE = "sh -c 'node -e 0'";
const NO_CA_BARE = "sh -c 'node -e 0', no NODE_EXTRA_CA_CERTS";

function groupEnv(name: string, spec: { digest: string; record: string; id?: string }): Record<string, string> {
  const specs: SecretSpec[] = KEYS.map((key, index) => ({ key, source: "value", index }));
  const env: Record<string, string> = {
    [HOOK_ENV.name]: name,
    [HOOK_ENV.integrationId]: INTEGRATION_ID,
    [HOOK_ENV.secrets]: JSON.stringify(specs),
    [HOOK_ENV.digest]: spec.digest,
    [HOOK_ENV.record]: spec.record,
  };
  KEYS.forEach((_, i) => (env[`${HOOK_ENV.valuePrefix}${i}`] = `${name}-value-${i}-${spec.digest}`));
  if (spec.id) env[HOOK_ENV.groupId] = spec.id;
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
  fs.mkdirSync(path.join(workDir, "records"), { recursive: true });
  const hook = path.join(workDir, "hook.js");
  fs.copyFileSync(opts.bundle, hook);
  const caCerts = opts.baseEnv.NODE_EXTRA_CA_CERTS;

  const env = { ...opts.baseEnv, TFY_HOST: cp.url, TFY_API_KEY: token };
  const client = new ControlPlaneClient({ host: cp.url, apiKey: token });
  // Groups for the kinds that need one already there: update (PUT) and delete.
  const existing = async (prefix: string) => {
    const ids: string[] = [];
    for (let i = 0; i <= reps; i++) {
      const g = await client.createGroup({
        name: `${prefix}-${i}`,
        integrationId: INTEGRATION_ID,
        secrets: KEYS.map((key) => ({ key, value: "before" })),
      });
      ids.push(g.id);
    }
    return ids;
  };
  const toUpdate = await existing("hc-put");
  const toDelete = await existing("hc-del");
  // The early-exit update: the record says this digest was already sent for this id.
  const noopRecord = "records/noop.tfstate";
  fs.writeFileSync(path.join(workDir, noopRecord), recordFile({ id: toUpdate[0], fqn: "bench:noop", digest: "d-same" }));

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
      label: "hook update, early exit",
      note: "start-up alone: bundle load + record read, no request",
      requests: 0,
      cmd: "node hook.js update",
      env: () => groupEnv("hc-noop", { digest: "d-same", record: noopRecord, id: toUpdate[0] }),
    },
    {
      label: "hook create",
      note: "1 POST, record written",
      requests: 1,
      cmd: "node hook.js create",
      env: (i) => groupEnv(`hc-create-${i}`, { digest: "d1", record: `records/create-${i}.tfstate` }),
    },
    {
      label: "hook update, PUT",
      note: "1 PUT (a rotation)",
      requests: 1,
      cmd: "node hook.js update",
      env: (i) => groupEnv(`hc-put-${i}`, { digest: `d-new-${i}`, record: `records/put-${i}.tfstate`, id: toUpdate[i] }),
    },
    {
      label: "hook delete",
      note: "1 DELETE",
      requests: 1,
      cmd: "node hook.js delete",
      env: (i) => ({
        [HOOK_ENV.name]: `hc-del-${i}`,
        [HOOK_ENV.groupId]: toDelete[i],
        [HOOK_ENV.removalPolicy]: "destroy",
        [HOOK_ENV.forceDelete]: "false",
        [HOOK_ENV.record]: `records/del-${i}.tfstate`,
      }),
    },
    {
      label: "curl POST (baseline)",
      note: "the hand-written hook's whole invocation",
      requests: 1,
      cmd: `curl -s -X POST $TFY_HOST${API_ROUTES.groups} -H "Authorization: Bearer $TFY_API_KEY" -H 'Content-Type: application/json' -d "$BODY"`,
      env: (i) => ({ BODY: curlBody(i) }),
    },
    ...(caCerts
      ? [
          {
            label: NO_CA_BARE,
            note: "bare node, the CA file not loaded",
            requests: 0,
            cmd: "node -e 0",
            env: () => ({}),
            unset: ["NODE_EXTRA_CA_CERTS"],
          },
          {
            reference: NO_CA_BARE,
            label: "hook create, no NODE_EXTRA_CA_CERTS",
            note: "1 POST, the CA file not loaded",
            requests: 1,
            cmd: "node hook.js create",
            env: (i: number) => groupEnv(`hc-noca-${i}`, { digest: "d1", record: `records/noca-${i}.tfstate` }),
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
      if (i === 0) continue;
      samples[k].push(res.ms);
      requests[k] += cp.requests().length - before;
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
    reference: k.label.startsWith("hook") ? (k.reference ?? BARE) : undefined,
  }));
  const med = (label: string) => result.find((r) => r.label === label)!.stats!.median;
  return {
    reps,
    bundleBytes: fs.statSync(hook).size,
    kinds: result,
    overMedianMs: med("hook update, early exit") - med(BARE),
  };
}
