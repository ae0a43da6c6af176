/**
 * The fixture of the deploy tests: desired groups whose values reach the hook
 * through the deploy environment (SecretValue.fromEnv), as most users write
 * them. One builder for the app, one for the environment that goes with it.
 */
import { Construct } from "constructs";
import { TerraformOutput, TerraformStack } from "cdktf";
import { SecretGroup, SecretValue } from "../../lib";

export interface GroupFixture {
  name: string;
  /** key -> value. */
  values: Record<string, string>;
  /** Default "int-vault". */
  integrationId?: string;
  forceDelete?: boolean;
  /** Nest the construct one level down, under this id: a refactor that keeps the name. */
  movedTo?: string;
}

/** Desired groups as a map, name -> key -> value: the shape for tests that edit single values. */
export type Desired = Record<string, Record<string, string>>;

export function fromDesired(d: Desired): GroupFixture[] {
  return Object.entries(d).map(([name, values]) => ({ name, values: { ...values } }));
}

export function toDesired(groups: readonly GroupFixture[]): Desired {
  return Object.fromEntries(groups.map((g) => [g.name, { ...g.values }]));
}

/** The environment variable that carries one secret's value. */
export function envName(group: string, key: string): string {
  return `SG_${group.replace(/-/g, "_").toUpperCase()}_${key}`;
}

/** `n` groups named `<prefix>-00`, `<prefix>-01`, ..., each with these keys, values naming group, key and `generation`. */
export function numberedGroups(n: number, prefix: string, keys = ["USER", "PASSWORD", "URL"], generation = "v1"): GroupFixture[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${prefix}-${String(i).padStart(2, "0")}`;
    return { name, values: Object.fromEntries(keys.map((k) => [k, `${k.toLowerCase()}-of-${name}-${generation}`])) };
  });
}

/** The app: one SecretGroup per fixture; with `outputs`, a `<name>-id` output of each group's id. */
export function groupsApp(groups: readonly GroupFixture[], { outputs = false } = {}): (stack: TerraformStack) => void {
  return (stack) => {
    for (const g of groups) {
      const scope = g.movedTo ? new Construct(stack, "team") : stack;
      const group = new SecretGroup(scope, g.movedTo ?? g.name, {
        name: g.name,
        integrationId: g.integrationId ?? "int-vault",
        secrets: Object.fromEntries(Object.keys(g.values).map((k) => [k, SecretValue.fromEnv(envName(g.name, k))])),
        forceDelete: g.forceDelete,
      });
      if (outputs) new TerraformOutput(stack, `${g.name}-id`, { value: group.groupId });
    }
  };
}

/** The deploy environment that carries the fixtures' values. */
export function groupsEnv(groups: readonly GroupFixture[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const g of groups) for (const [k, v] of Object.entries(g.values)) env[envName(g.name, k)] = v;
  return env;
}
