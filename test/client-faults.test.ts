/**
 * The client against the local control plane with faults injected: lost
 * answers, 5xx, 429 and dropped connections. Every check of the end state is
 * made with the faults cleared, through the API itself. Faults are seeded: a
 * sequential run draws the same fates every time; concurrent ones draw the
 * same sequence, handed out in the order requests arrive.
 */
import { ControlPlane, startControlPlane } from "../control-plane/server";
import { ClientOptions, ControlPlaneClient, NetworkError, SecretGroup, UnauthorizedError } from "../lib/client";
import { createMarker, provenance } from "../lib/shared/ownership";

const TOKEN = "faults-token-5b3e71";
/** The owner token of a stack's state, keying the create markers (shared/ownership). */
const OWNER_TOKEN = "owner-token-of-the-faults-suite-4d2c";
const NO_FAULTS = { failRate: 0, rateLimitEvery: 0, dropRate: 0, latencyMs: 0 };

function client(cp: ControlPlane, opts: ClientOptions = {}): ControlPlaneClient {
  // Small delays keep the run short; 429s still wait the emulator's Retry-After (1 s).
  return new ControlPlaneClient({ host: cp.url, apiKey: TOKEN, baseDelayMs: 20, maxDelayMs: 100, ...opts });
}

/**
 * Runs `fn` on every item, at most `limit` at a time; collects each outcome.
 * Uses allSettled semantics so one failure does not hide the others.
 */
async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}

function values<R>(results: PromiseSettledResult<R>[]): R[] {
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length) throw new Error(`${failed.length} calls failed, first: ${String(failed[0].reason?.message ?? failed[0].reason)}`);
  return results.map((r) => (r as PromiseFulfilledResult<R>).value);
}

const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, "0")}`);

describe("the client against a faulty control plane", () => {
  let cp: ControlPlane;
  beforeEach(async () => {
    cp = await startControlPlane({ port: 0, tokens: [TOKEN] });
  });
  afterEach(async () => {
    await cp.close();
  });

  it("50 concurrent creates under 5xx, 429 and dropped connections end with exactly 50 groups, none twice", async () => {
    cp.setFaults({ failRate: 0.3, rateLimitEvery: 4, dropRate: 0.1, seed: 50 });
    // About half the attempts fail here (a 429 every 4th request, then 30% 5xx,
    // then 10% drops); with 20 attempts a call runs out about 3 times in a million.
    const c = client(cp, { maxAttempts: 20 });
    const wanted = names(50, "svc");
    // As the hook creates: the create markers of this caller's token, and a lost answer resolved by them.
    const created = values(
      await pool(wanted, 10, (name) =>
        c.createGroup({ name, integrationId: "int-vault", secrets: [{ key: "K", value: createMarker(OWNER_TOKEN, name, "K") }] }, async (g) =>
          provenance(await c.listSecrets(g.id, { withValue: true }), OWNER_TOKEN, name) === "this-stack",
        ),
      ),
    );
    const seen = cp.requests();
    cp.setFaults(NO_FAULTS);

    // The faults really fired: answers lost after the write, 5xx and 429.
    const statuses = new Set(seen.map((r) => r.status));
    expect([...statuses].sort()).toEqual(expect.arrayContaining([0, 200, 429, 500]));
    // A create that may have been applied is looked up, never blindly re-sent.
    expect(seen.filter((r) => r.status === 409)).toEqual([]);

    const groups = await client(cp).listGroups();
    expect(groups).toHaveLength(50);
    expect(new Set(groups.map((g) => g.name)).size).toBe(50);
    expect(groups.map((g) => g.name).sort()).toEqual(wanted);
    // Each call answered with the group the control plane holds under that name.
    const byName = new Map(groups.map((g) => [g.name, g.id]));
    expect(created.map((g) => [g.name, g.id])).toEqual(wanted.map((n) => [n, byName.get(n)]));
    const secrets = await client(cp).listSecrets(byName.get("svc-07")!, { withValue: true });
    expect(secrets.map((s) => [s.name, s.value])).toEqual([["K", createMarker(OWNER_TOKEN, "svc-07", "K")]]);
  });

  it("updates, deletes and lists under faults end with the right state", async () => {
    const c = client(cp, { maxAttempts: 20 });
    const all = names(20, "app");
    const groups = values(
      await pool(all, 10, (name) =>
        c.createGroup({
          name,
          integrationId: "int-vault",
          secrets: [
            { key: "KEEP", value: `keep-${name}` },
            { key: "ROTATE", value: `old-${name}` },
            { key: "DROP", value: `drop-${name}` },
          ],
        }),
      ),
    );
    const doomed = groups.slice(0, 10);
    const kept = groups.slice(10);

    cp.setFaults({ failRate: 0.3, rateLimitEvery: 4, dropRate: 0.1, seed: 20 });
    // Every group: one value rotated, one key kept without resending its value, one removed, one added.
    const updated = values(
      await pool(groups, 10, (g) =>
        c.updateGroup(g.id, [{ key: "KEEP" }, { key: "ROTATE", value: `new-${g.name}` }, { key: "ADDED", value: `added-${g.name}` }], g.name),
      ),
    );
    const deleted = values(await pool(doomed, 10, (g) => c.deleteGroup(g.id, { name: g.name })));
    const listed = await c.listGroups();
    const found = await pool(kept, 10, (g) => c.findGroupByName(g.name));
    const seen = cp.requests();
    cp.setFaults(NO_FAULTS);

    expect([...new Set(seen.map((r) => r.status))]).toEqual(expect.arrayContaining([0, 200, 429, 500]));
    expect(updated.map((g) => g.id)).toEqual(groups.map((g) => g.id));
    // A delete retried after its answer was lost is still reported as done.
    expect(deleted).toEqual(doomed.map(() => true));
    expect(listed.map((g) => g.name).sort()).toEqual(kept.map((g) => g.name).sort());
    expect(values(found).map((g) => g?.id)).toEqual(kept.map((g) => g.id));

    const clean = client(cp);
    expect((await clean.listGroups()).map((g) => g.id).sort()).toEqual(kept.map((g) => g.id).sort());
    for (const g of kept) {
      const secrets = await clean.listSecrets(g.id, { withValue: true });
      const byKey = Object.fromEntries(secrets.map((s) => [s.name, s]));
      expect(Object.fromEntries(secrets.map((s) => [s.name, s.value]))).toEqual({
        KEEP: `keep-${g.name}`,
        ROTATE: `new-${g.name}`,
        ADDED: `added-${g.name}`,
      });
      // A PUT applied twice (answer lost, then resent) adds no second version.
      expect(byKey.ROTATE.secretVersions?.map((v) => v.version)).toEqual([1, 2]);
      expect(byKey.KEEP.secretVersions?.map((v) => v.version)).toEqual([1]);
    }
  });

  it("a wrong token fails fast: one request, UnauthorizedError naming the group and TFY_API_KEY", async () => {
    const wrong = client(cp, { apiKey: "not-the-token-1234", maxAttempts: 10 });
    const err = await wrong
      .createGroup({ name: "orders-db", integrationId: "int-vault", secrets: [{ key: "K", value: "v-123456" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect((err as Error).message).toContain('secret group "orders-db"');
    expect((err as Error).message).toContain("check TFY_API_KEY");
    expect(cp.requests()).toHaveLength(1);
    expect(cp.requests()[0]).toMatchObject({ method: "POST", status: 401 });

    // Idempotent calls are not retried on 401 either.
    await expect(wrong.updateGroup("some-id", [{ key: "K", value: "v-123456" }], "orders-db")).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(wrong.deleteGroup("some-id", { name: "orders-db" })).rejects.toBeInstanceOf(UnauthorizedError);
    await expect(wrong.listGroups()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(cp.requests().map((r) => `${r.method} ${r.status}`)).toEqual(["POST 401", "PUT 401", "DELETE 401", "GET 401"]);
    expect(await client(cp).listGroups()).toEqual([]);
  });

  it("a create against a control plane that is down is sent again as is, then fails naming the group and the host", async () => {
    const url = cp.url;
    await cp.close();
    const lines: string[] = [];
    const err = await client(cp, { maxAttempts: 3, log: (l) => lines.push(l) })
      .createGroup({ name: "orders-db", integrationId: "int-vault", secrets: [{ key: "K", value: "v-123456" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toBe(
      `secret group "orders-db": control plane at ${url} did not answer POST /api/svc/v1/secret-groups (connection refused) after 3 attempts; check TFY_HOST and that the control plane is reachable`,
    );
    // Refused means never sent: no look-up by name between the attempts.
    expect(lines.filter((l) => l.includes("-> no answer")).map((l) => l.split(" ")[0])).toEqual(["POST", "POST", "POST"]);
    cp = await startControlPlane({ port: 0, tokens: [TOKEN] });
  });

  it("under heavy faults, no log line, error message or error field holds a value or the token", async () => {
    const SENTINEL = { token: "SENTINEL-TOKEN-9c1d47", value: "SENTINEL-VALUE-e82a05", rotated: "SENTINEL-ROTATED-41b9fe" };
    await cp.close();
    cp = await startControlPlane({ port: 0, tokens: [SENTINEL.token] });

    const lines: string[] = [];
    const errors: unknown[] = [];
    const make = (opts: ClientOptions) =>
      new ControlPlaneClient({ host: cp.url, apiKey: SENTINEL.token, baseDelayMs: 5, maxDelayMs: 20, log: (l) => lines.push(l), ...opts });
    const attempt = async <R>(p: Promise<R>): Promise<R | undefined> => {
      try {
        return await p;
      } catch (err) {
        errors.push(err);
        return undefined;
      }
    };
    const read: string[] = [];
    const exercise = async (c: ControlPlaneClient, prefix: string) => {
      const groups: SecretGroup[] = [];
      for (const name of names(6, prefix)) {
        const g = await attempt(
          c.createGroup({ name, integrationId: "int-vault", secrets: [{ key: "PASSWORD", value: `${SENTINEL.value}-${name}` }] }),
        );
        if (g) groups.push(g);
      }
      for (const g of groups) {
        await attempt(c.updateGroup(g.id, [{ key: "PASSWORD", value: `${SENTINEL.rotated}-${g.name}` }], g.name));
        const secrets = await attempt(c.listSecrets(g.id, { withValue: true }));
        read.push(...(secrets ?? []).map((s) => s.value ?? ""));
        await attempt(c.getGroup(g.id, g.name));
      }
      await attempt(c.listGroups());
      for (const g of groups) await attempt(c.deleteGroup(g.id, { name: g.name }));
    };

    // Failing, with a budget too small to get through: retries run out, on
    // lost connections (some after the write was applied), then on 5xx and 429.
    cp.setFaults({ dropRate: 1 });
    await exercise(make({ maxAttempts: 2 }), "dropped");
    cp.setFaults({ dropRate: 0, failRate: 0.9, rateLimitEvery: 3, seed: 3 });
    await exercise(make({ maxAttempts: 2 }), "failing");
    // Every answer a 500 until the budget runs out: a ServerError, whatever the dice did above.
    cp.setFaults({ failRate: 1, rateLimitEvery: 0 });
    await attempt(make({ maxAttempts: 2 }).listGroups());
    // Half failing with room to retry: creates, reads with values, rotations and deletes go through.
    cp.setFaults({ failRate: 0.4, rateLimitEvery: 0, dropRate: 0.3, seed: 4 });
    await exercise(make({ maxAttempts: 12 }), "lucky");
    // Definite refusals carry the server's message: a wrong token, a value over the limit.
    cp.setFaults(NO_FAULTS);
    await attempt(
      make({ apiKey: `${SENTINEL.token}-wrong` }).createGroup({ name: "wrong-token", integrationId: "i", secrets: [{ key: "P", value: SENTINEL.value }] }),
    );
    await attempt(
      make({}).createGroup({ name: "too-big", integrationId: "i", secrets: [{ key: "P", value: SENTINEL.value.repeat(4000) }] }),
    );

    // The scan is not vacuous: retries were logged, calls failed, values went through.
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.some((l) => l.startsWith("retrying "))).toBe(true);
    expect(errors.length).toBeGreaterThan(5);
    expect([...new Set(errors.map((e) => (e as Error).constructor.name))]).toEqual(
      expect.arrayContaining(["NetworkError", "ServerError", "UnauthorizedError", "ValidationError"]),
    );
    expect(read.some((v) => v.startsWith(SENTINEL.rotated))).toBe(true);

    const dumps = errors.map((e) => {
      const err = e as Error;
      return [err.message, String(err), err.stack ?? "", JSON.stringify(err), JSON.stringify(Object.getOwnPropertyDescriptors(err))].join("\n");
    });
    const haystack = [...lines, ...dumps].join("\n");
    for (const needle of Object.values(SENTINEL)) expect(haystack).not.toContain(needle);
  });
});
