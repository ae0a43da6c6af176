/**
 * Answers that break the contract, and certificates that are not trusted:
 * clear errors naming the host and what was wrong, never a second create,
 * never an unbounded list, never a retry that cannot help.
 */
import * as fs from "fs";
import * as https from "https";
import { AddressInfo } from "net";
import { ControlPlaneClient, REDACTED, TlsError, UnexpectedAnswerError, WITHHELD } from "../../lib/client";
import { TestServer, makeCerts, testServer } from "./support";

const TOKEN = "answers-token-sentinel-6c0a";
const VALUE = "answers-value-sentinel-e41b";
let server: TestServer;
afterEach(async () => server?.close());

function client(lines: string[] = []) {
  return new ControlPlaneClient({ host: server.url, apiKey: TOKEN, baseDelayMs: 1, maxDelayMs: 2, env: {}, log: (l) => lines.push(l) });
}

function answering(status: number, body: string, type = "application/json") {
  return testServer((_req, res) => {
    res.writeHead(status, { "Content-Type": type });
    res.end(body);
  });
}

const create = (c: ControlPlaneClient) =>
  c.createGroup({ name: "payments-db", integrationId: "int", secrets: [{ key: "K", value: VALUE }] }).catch((e) => e);

describe("answers that break the contract", () => {
  it.each([
    ["a 200 without id", JSON.stringify({ data: { fqn: "t:payments-db", name: "payments-db" } }), "application/json", "data.id is missing"],
    ["HTML", "<html><body>Sign in</body></html>", "text/html", "the body is HTML, not JSON"],
    ["{}", "{}", "application/json", "data is missing, not a secret group"],
    ["an empty body", "", "application/json", "the body is empty, not JSON"],
    ["an id that is a number", JSON.stringify({ data: { id: 7, fqn: "t:payments-db" } }), "application/json", "data.id is a number, not a non-empty string"],
  ])("a create answered with %s fails clearly, and is never sent twice", async (_, body, type, problem) => {
    server = await answering(200, body, type);
    const err = await create(client());
    expect(err).toBeInstanceOf(UnexpectedAnswerError);
    expect(err.message).toBe(
      `secret group "payments-db": the control plane at ${server.url} answered POST /api/svc/v1/secret-groups with 200, but ${problem} (the group may have been created); check that TFY_HOST is the control plane's API and not a proxy, gateway or login page`,
    );
    expect(server.seen).toHaveLength(1);
  });

  it("checks reads too, and takes the group name from the fqn when the answer has none", async () => {
    server = await answering(200, JSON.stringify({ data: { id: "g1", fqn: "acme:payments-db", integrationId: "int" } }));
    expect((await client().getGroup("g1")).name).toBe("payments-db");
    await server.close();
    server = await answering(200, JSON.stringify({ data: { id: "g1", fqn: "no-tenant" } }));
    await expect(client().getGroup("g1")).rejects.toThrow("data.fqn is not of the form <tenant>:<name>");
    await server.close();
    server = await answering(200, JSON.stringify({ data: "all good" }));
    await expect(client().listGroups()).rejects.toThrow("data is a string, not a list");
    await server.close();
    server = await answering(200, "<html></html>", "text/html");
    await expect(client().deleteGroup("g1")).rejects.toThrow("the body is HTML, not JSON");
  });

  it("stops a list that never ends after a bounded number of requests", async () => {
    server = await testServer((_req, res, _body, i) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ data: [{ id: `g${i}`, fqn: `t:g${i}` }] }));
    });
    const err = await client().listGroups().catch((e) => e);
    expect(err).toBeInstanceOf(UnexpectedAnswerError);
    expect(err.message).toContain("the list did not end after 100 pages of 1000");
    expect(server.seen).toHaveLength(100);
  });

  it("stops a list that ignores its offset at the first repeated page", async () => {
    server = await answering(200, JSON.stringify({ data: [{ id: "g1", fqn: "t:g1" }], pagination: { total: 5 } }));
    await expect(client().listGroups()).rejects.toThrow("the page at offset 1 repeats items already listed");
    expect(server.seen).toHaveLength(2);
  });
});

describe("error answers", () => {
  const DSN = `postgres://app:${VALUE}@payments-db.internal:5432/app`;
  const SHORT = "ab";

  it("print only the status, the code and the scrubbed message, whatever the server echoes", async () => {
    server = await testServer((_req, res, body) => {
      res.writeHead(422, { "Content-Type": "application/json" });
      // Echoes the request in every form, padded so that the value crosses the 300-character cut.
      const echoed = `${"x".repeat(280)} raw=${DSN} json=${JSON.stringify(body)} url=${encodeURIComponent(DSN)}`;
      res.end(JSON.stringify({ statusCode: 422, code: "BAD", message: echoed, request: JSON.parse(body), token: TOKEN }));
    });
    const lines: string[] = [];
    const c = client(lines);
    const err = await c.updateGroup("g1", [{ key: "DSN", value: DSN }], "payments-db").catch((e) => e);
    expect(err.status).toBe(422);
    expect(err.code).toBe("BAD");
    expect(err.message).toContain(REDACTED);
    const dump = JSON.stringify({ ...err, message: err.message, stack: err.stack }) + lines.join("\n");
    for (const needle of [DSN, VALUE, TOKEN, "postgres://app", JSON.stringify(DSN).slice(1, 20), encodeURIComponent(DSN).slice(0, 20)]) {
      expect({ needle, found: dump.includes(needle) }).toEqual({ needle, found: false });
    }
  });

  it("withhold the server's message when a value is too short to scrub", async () => {
    server = await answering(422, JSON.stringify({ statusCode: 422, message: `value "${SHORT}" is too short` }));
    const err = await client()
      .updateGroup("g1", [{ key: "PIN", value: SHORT }], "payments-db")
      .catch((e) => e);
    expect(err.message).toContain(WITHHELD);
    expect(err.message).not.toContain(`"${SHORT}"`);
  });
});

describe("TLS", () => {
  it("an untrusted certificate fails at once, with what to do", async () => {
    const certs = makeCerts(["127.0.0.1"]);
    let connections = 0;
    const tlsServer = https.createServer({ key: certs.key, cert: certs.cert }, (_req, res) => res.end("{}"));
    tlsServer.on("connection", () => connections++);
    await new Promise<void>((r) => tlsServer.listen(0, "127.0.0.1", r));
    const port = (tlsServer.address() as AddressInfo).port;
    try {
      const c = new ControlPlaneClient({ host: `https://127.0.0.1:${port}`, apiKey: TOKEN, env: {}, baseDelayMs: 1 });
      const err = await c.getGroup("g1", "payments-db").catch((e) => e);
      expect(err).toBeInstanceOf(TlsError);
      expect(err.message).toMatch(/^secret group "payments-db": the certificate of 127\.0\.0\.1 is not trusted; set NODE_EXTRA_CA_CERTS to your CA bundle \(/);
      expect(connections).toBe(1);
      // The same server, its CA given: trusted.
      const trusted = new ControlPlaneClient({ host: `https://127.0.0.1:${port}`, apiKey: TOKEN, env: {}, ca: certs.ca });
      await expect(trusted.deleteGroup("g1")).resolves.toBe(true);
    } finally {
      tlsServer.closeAllConnections();
      await new Promise((r) => tlsServer.close(r));
      fs.rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
