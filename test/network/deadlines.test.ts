/**
 * Time limits: a request's timeout counts its whole answer (a server that
 * drips one byte at a time does not keep it alive), and the run's deadline
 * stops every attempt. Timeouts here are small so the tests stay short; no
 * assertion is about how long anything took.
 */
import { ConfigError, ControlPlaneClient, DeadlineError, NetworkError } from "../../lib/client";
import { TestServer, drip, testServer } from "./support";

const TOKEN = "deadline-token-sentinel-2d7f";
let server: TestServer;
afterEach(async () => server?.close());

function client(extra: Partial<ConstructorParameters<typeof ControlPlaneClient>[0]> = {}) {
  return new ControlPlaneClient({ host: server.url, apiKey: TOKEN, baseDelayMs: 10, maxDelayMs: 20, env: {}, ...extra });
}

describe("per-request timeout", () => {
  it("counts the whole answer: a body dripping one byte at a time times out, then the failure says what to do", async () => {
    server = await testServer(drip(50));
    const err = await client({ timeoutMs: 400, maxAttempts: 2 }).getGroup("x", "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toBe(
      `secret group "payments-db": control plane at ${server.url} did not answer GET /api/svc/v1/secret-groups/x (no complete answer within 0.4 s) after 2 attempts; check that the control plane is reachable; if it is only slow, raise TFYSG_TIMEOUT (seconds)`,
    );
    expect(server.seen).toHaveLength(2);
  });

  it("reads TFYSG_TIMEOUT (seconds), and refuses a bad one before any request", async () => {
    server = await testServer(drip(50));
    const err = await client({ maxAttempts: 1, env: { TFYSG_TIMEOUT: "0.3" } }).getGroup("x").catch((e) => e);
    expect(err.message).toContain("no complete answer within 0.3 s");
    for (const bad of ["0", "-1", "soon"]) {
      expect(() => client({ env: { TFYSG_TIMEOUT: bad } })).toThrow(ConfigError);
    }
    expect(server.seen).toHaveLength(1);
  });

  it("a create that timed out is looked up by name, never blindly sent again, and the group found is taken on the caller's proof", async () => {
    let n = 0;
    server = await testServer((req, res) => {
      if (n++ === 0) return drip(50)(req, res);
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: "g1", fqn: "t:slow-db", integrationId: "int", associatedSecrets: [{ name: "K" }] }], pagination: { total: 1 } }));
    });
    const proven: string[] = [];
    const g = await client({ timeoutMs: 300 }).createGroup({ name: "slow-db", integrationId: "int", secrets: [{ key: "K", value: "v-sentinel-1234" }] }, async (found) => {
      proven.push(found.id);
      return true;
    });
    expect(proven).toEqual(["g1"]);
    expect(g.id).toBe("g1");
    expect(g.name).toBe("slow-db");
    expect(server.seen.map((r) => r.method)).toEqual(["POST", "GET"]);
  });
});

describe("run deadline", () => {
  it("cuts the request in flight at the deadline, and names the group, the host and what to do", async () => {
    server = await testServer(drip(50));
    const err = await client({ timeoutMs: 60_000, deadline: Date.now() + 500 }).updateGroup("x", [{ key: "K", value: "v-sentinel-5678" }], "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect(err.message).toBe(
      `secret group "payments-db": the run's deadline passed during PUT /api/svc/v1/secret-groups/x to the control plane at ${server.url} (after 1 attempt); check that the control plane is reachable and answering, then deploy again, or raise TFYSG_DEADLINE (seconds)`,
    );
    expect(server.seen).toHaveLength(1);
  });

  it("starts no attempt after the deadline, and does not wait for a retry that would come after it", async () => {
    server = await testServer((_req, res) => {
      res.writeHead(429, { "Retry-After": "30", "Content-Type": "application/json" });
      res.end("{}");
    });
    const late = await client({ deadline: Date.now() + 2_000 }).getGroup("x", "g").catch((e) => e);
    expect(late).toBeInstanceOf(DeadlineError);
    expect(server.seen).toHaveLength(1);

    const past = await client({ deadline: Date.now() - 1 }).getGroup("x", "g").catch((e) => e);
    expect(past).toBeInstanceOf(DeadlineError);
    expect(past.message).toContain("(before it was sent)");
    expect(server.seen).toHaveLength(1);
  });
});
