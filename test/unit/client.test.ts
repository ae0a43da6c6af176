import * as http from "http";
import { AddressInfo } from "net";
import {
  ConfigError,
  ConflictError,
  ControlPlaneClient,
  NetworkError,
  ServerError,
  UnauthorizedError,
  ValidationError,
  parseHost,
  retryAfterMs,
} from "../../lib/client";

/** A scripted server: each request takes the next step of the script. */
type Step = { status: number; body?: unknown; headers?: Record<string, string> } | "drop";

async function scripted(steps: Step[]) {
  const seen: { method: string; url: string; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, body });
      const step = steps.shift() ?? { status: 500, body: { statusCode: 500, message: "script exhausted" } };
      if (step === "drop") {
        req.socket.destroy();
        return;
      }
      res.writeHead(step.status, { "Content-Type": "application/json", ...step.headers });
      res.end(JSON.stringify(step.body ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

const group = (name: string, keys: string[] = ["A"]) => ({
  id: `id-${name}`,
  fqn: `t:${name}`,
  name,
  integrationId: "int",
  associatedSecrets: keys.map((k) => ({ name: k })),
});
const SECRET = "sentinel-value-4f9a";
const TOKEN = "sentinel-token-77b1";

function client(url: string, lines: string[] = [], sleeps: number[] = []) {
  return new ControlPlaneClient({
    host: url,
    apiKey: TOKEN,
    maxAttempts: 4,
    log: (l) => lines.push(l),
    sleep: async (ms) => void sleeps.push(ms),
  });
}

describe("parseHost", () => {
  it("accepts https and loopback http, defaults to https", () => {
    expect(parseHost("cp.example.com").origin).toBe("https://cp.example.com");
    expect(parseHost("http://127.0.0.1:8787").origin).toBe("http://127.0.0.1:8787");
    expect(parseHost("http://localhost:1").origin).toBe("http://localhost:1");
  });
  it("refuses a token over plain http to a remote host", () => {
    expect(() => parseHost("http://cp.example.com")).toThrow(/refusing to send the API token over plain http/);
    expect(() => parseHost("http://10.0.0.5")).toThrow(ConfigError);
  });
  it("refuses credentials in the URL and odd schemes", () => {
    expect(() => parseHost("https://u:p@cp.example.com")).toThrow(/TFY_API_KEY/);
    expect(() => parseHost("ftp://cp.example.com")).toThrow(/use https/);
  });
  it("names the missing variable before any request", () => {
    expect(() => new ControlPlaneClient({ host: "https://x", apiKey: "" })).toThrow(/TFY_API_KEY is not set/);
    expect(() => new ControlPlaneClient({ host: "", apiKey: "k" })).toThrow(/TFY_HOST is not set/);
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs(undefined)).toBeUndefined();
    const d = retryAfterMs(new Date(Date.now() + 3000).toUTCString())!;
    expect(d).toBeGreaterThan(1000);
    expect(d).toBeLessThanOrEqual(3000);
  });
});

describe("retry policy", () => {
  it("retries 429 honouring Retry-After, then succeeds", async () => {
    const s = await scripted([{ status: 429, headers: { "Retry-After": "2" } }, { status: 200, body: { data: group("g") } }]);
    const sleeps: number[] = [];
    try {
      const g = await client(s.url, [], sleeps).getGroup("id-g");
      expect(g.name).toBe("g");
      expect(s.seen).toHaveLength(2);
      expect(sleeps[0]).toBeGreaterThanOrEqual(2000);
    } finally {
      await s.close();
    }
  });

  it("retries 5xx and lost answers on idempotent calls, up to the attempt budget", async () => {
    const s = await scripted([{ status: 503 }, "drop", { status: 500 }, { status: 502 }]);
    try {
      await expect(client(s.url).getGroup("x", "g")).rejects.toBeInstanceOf(ServerError);
      expect(s.seen).toHaveLength(4);
    } finally {
      await s.close();
    }
  });

  it("never retries 401, and says which variable to check", async () => {
    const s = await scripted([{ status: 401, body: { statusCode: 401, message: "bad token" } }]);
    try {
      const err = await client(s.url).getGroup("x", "payments-db").catch((e) => e);
      expect(err).toBeInstanceOf(UnauthorizedError);
      expect(err.message).toMatch(/^secret group "payments-db": control plane answered 401 Unauthorized .*check TFY_API_KEY$/);
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("never retries 422", async () => {
    const s = await scripted([{ status: 422, body: { statusCode: 422, message: "bad key" } }]);
    try {
      await expect(client(s.url).updateGroup("x", [{ key: "A", value: SECRET }], "g")).rejects.toBeInstanceOf(ValidationError);
      expect(s.seen).toHaveLength(1);
    } finally {
      await s.close();
    }
  });

  it("a create whose answer was lost is looked up by name, not re-sent, and the group found is returned when the proof says this request created it", async () => {
    const s = await scripted(["drop", { status: 200, body: { data: [group("g")], pagination: { total: 1 } } }]);
    try {
      const asked: string[] = [];
      const proof = async (found: { id: string }) => (asked.push(found.id), true);
      const g = await client(s.url).createGroup({ name: "g", integrationId: "int", secrets: [{ key: "A", value: SECRET }] }, proof);
      expect(g.id).toBe("id-g");
      expect(asked).toEqual(["id-g"]);
      expect(s.seen.map((r) => r.method)).toEqual(["POST", "GET"]);
    } finally {
      await s.close();
    }
  });

  it("a lost create that finds a group of its name and shape, without proof, does not take it", async () => {
    const s = await scripted(["drop", { status: 200, body: { data: [group("g")], pagination: { total: 1 } } }]);
    try {
      const err = await client(s.url)
        .createGroup({ name: "g", integrationId: "int", secrets: [{ key: "A", value: SECRET }] })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.message).toContain("a group of that name exists that this request did not create: it is not ours to take");
      expect(s.seen.map((r) => r.method)).toEqual(["POST", "GET"]);
    } finally {
      await s.close();
    }
  });

  it("a create lost before it was applied is sent again after the look-up", async () => {
    const s = await scripted([
      { status: 500 },
      { status: 200, body: { data: [], pagination: { total: 0 } } },
      { status: 200, body: { data: group("g") } },
    ]);
    try {
      const g = await client(s.url).createGroup({ name: "g", integrationId: "int", secrets: [{ key: "A", value: SECRET }] });
      expect(g.id).toBe("id-g");
      expect(s.seen.map((r) => r.method)).toEqual(["POST", "GET", "POST"]);
    } finally {
      await s.close();
    }
  });

  it("a lost create that finds a foreign group of that name does not take it", async () => {
    const s = await scripted(["drop", { status: 200, body: { data: [group("g", ["OTHER"])], pagination: { total: 1 } } }]);
    try {
      await expect(
        client(s.url).createGroup({ name: "g", integrationId: "int", secrets: [{ key: "A", value: SECRET }] }),
      ).rejects.toBeInstanceOf(ConflictError);
    } finally {
      await s.close();
    }
  });

  it("a delete retried after a lost answer treats 404 as done", async () => {
    const s = await scripted(["drop", { status: 404 }]);
    try {
      await expect(client(s.url).deleteGroup("x", { name: "g" })).resolves.toBe(true);
    } finally {
      await s.close();
    }
  });

  it("connection refused ends with a clear error naming the host", async () => {
    const s = await scripted([]);
    await s.close();
    const err = await client(s.url).getGroup("x", "g").catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err.message).toContain(s.url);
    expect(err.message).toMatch(/connection refused\) after 4 attempts; check TFY_HOST/);
  });
});

describe("what the published API does not promise", () => {
  it("a taken name answered 422 with a conflict message is the 409 case; another 422 is not", async () => {
    const s = await scripted([
      { status: 422, body: { statusCode: 422, message: 'Secret group with name "payments-db" already exists' } },
      { status: 422, body: { statusCode: 422, message: "invalid key" } },
    ]);
    const c = client(s.url);
    const input = { name: "payments-db", integrationId: "int", secrets: [{ key: "A", value: SECRET }] };
    const taken = await c.createGroup(input).catch((e) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken.status).toBe(422);
    expect(await c.createGroup(input).catch((e) => e)).toBeInstanceOf(ValidationError);
    await s.close();
  });

  it("finds a group by name from its fqn when the answers have no name field, among search results that only contain it", async () => {
    const bare = (name: string) => ({ id: `id-${name}`, fqn: `acme:${name}`, integrationId: "int" });
    const s = await scripted([{ status: 200, body: { data: [bare("payments-db-old"), bare("payments-db")], pagination: { total: 2 } } }]);
    const found = await client(s.url).findGroupByName("payments-db");
    expect(found).toEqual(expect.objectContaining({ id: "id-payments-db", name: "payments-db" }));
    expect(s.seen.map((r) => r.url)).toEqual(["/api/svc/v1/secret-groups?limit=1000&offset=0&search=payments-db"]);
    await s.close();
  });
});

describe("redaction", () => {
  it("keeps the token and values out of errors, their fields and log lines", async () => {
    const s = await scripted([
      { status: 422, body: { statusCode: 422, message: `value ${SECRET} is bad for token ${TOKEN}` } },
      "drop",
      { status: 500, body: { message: SECRET } },
      { status: 500 },
      { status: 500 },
      { status: 500 },
    ]);
    const lines: string[] = [];
    try {
      const c = client(s.url, lines);
      const errors = [
        await c.updateGroup("x", [{ key: "A", value: SECRET }], "g").catch((e) => e),
        await c.updateGroup("x", [{ key: "A", value: SECRET }], "g").catch((e) => e),
      ];
      // The request did carry them: the scan below is not vacuous.
      expect(s.seen[0].body).toContain(SECRET);
      for (const e of errors) {
        const dump = JSON.stringify({ ...e, message: e.message, stack: e.stack }) + String(e);
        expect(dump).not.toContain(SECRET);
        expect(dump).not.toContain(TOKEN);
      }
      expect(errors[0].message).toContain("[REDACTED]");
      expect(lines.length).toBeGreaterThan(3);
      expect(lines.join("\n")).not.toContain(SECRET);
      expect(lines.join("\n")).not.toContain(TOKEN);
    } finally {
      await s.close();
    }
  });
});
