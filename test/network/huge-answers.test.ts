/**
 * A control plane that answers with more than anyone asked for: 1 GiB
 * bodies, or valid JSON of millions of objects, to every request at once.
 * The client reads at most ANSWER_LIMITS.bytes (8 MiB) of an answer and cuts
 * the request there, and parses no answer of more than ANSWER_LIMITS.values
 * (250,000) JSON values; a deploy with every request of the hook in flight keeps the hook's
 * peak memory (measured by the hook process itself) below 512 MiB.
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { TerraformStack } from "cdktf";
import { ControlPlane } from "../../control-plane/server";
import { SecretGroup, SecretValue } from "../../lib";
import { ANSWER_LIMITS, AnswerTooLargeError, ControlPlaneClient } from "../../lib/client";
import { DEFAULT_CONCURRENCY } from "../../lib/shared/contract";
import { Project, TOKEN } from "../../scripts/harness";
import { TestServer, expectNoneOf, testServer } from "./support";

const VALUE = "huge-answer-value-sentinel-5d0e";
const NO_PROXY_ENV = { HTTPS_PROXY: "", https_proxy: "", ALL_PROXY: "", all_proxy: "", NO_PROXY: "", no_proxy: "" };
const MiB = 1024 * 1024;
/** What the hook may hold at its peak, whatever the server sends. */
const MEMORY_LIMIT_MIB = 512;

/** Bytes the last flood() wrote before the client hung up (or all of them), and when that answer closed. */
let flooded = 0;
let floodClosed: Promise<void> = Promise.resolve();

/** Streams `total` bytes of `chunk` (1 GiB by default), as fast as the client reads them, until it hangs up. */
function flood(total = 1024 * MiB, chunk: Buffer = Buffer.alloc(MiB, 0x20)) {
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    floodClosed = new Promise((r) => res.once("close", () => r()));
    let sent = 0;
    const pump = () => {
      while (sent < total && !res.destroyed) {
        sent += chunk.length;
        flooded = sent;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.write('{"data":');
    pump();
  };
}

/** Valid JSON just under the byte limit that parses into millions of objects: `{"data":[{},{},...]}`. */
function objectBomb() {
  const count = Math.floor((ANSWER_LIMITS.bytes - 64) / 3);
  const body = Buffer.from(`{"data":[${"{},".repeat(count - 1)}{}]}`);
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  };
}

/** Valid JSON of one object with as many keys as fit under the byte limit (half a million), or `keys` of them. */
function keyBomb(keys = Infinity) {
  const parts: string[] = [];
  let bytes = 16;
  for (let i = 0; bytes < ANSWER_LIMITS.bytes - 64 && i < keys; i++) {
    const part = `"k${i.toString(36)}":${i}`;
    parts.push(part);
    bytes += part.length + 1;
  }
  const body = Buffer.from(`{"data":{${parts.join(",")}}}`);
  return (_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
    res.end(body);
  };
}

describe("answers larger than the client reads", () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it("a 1 GiB answer is cut at the limit and fails at once as 'answer too large', naming the group and the call", async () => {
    server = await testServer(flood());
    const c = new ControlPlaneClient({ host: server.url, apiKey: TOKEN, env: {}, baseDelayMs: 10, maxDelayMs: 20 });
    const started = Date.now();
    const err = await c.getGroup("g-1", "payments-db").catch((e) => e);
    expect(err).toBeInstanceOf(AnswerTooLargeError);
    expect(err.message).toBe(
      `secret group "payments-db": the control plane at ${server.url} answered GET /api/svc/v1/secret-groups/g-1 with more than 8 MiB: answer too large, cut there; check that TFY_HOST is the control plane's API and not a proxy, gateway or download`,
    );
    expect(server.seen).toHaveLength(1); // not retried
    // Cut: the server could write little more than the limit (plus what socket buffers hold) before the client hung up.
    await floodClosed;
    expect(flooded).toBeLessThan(ANSWER_LIMITS.bytes + 32 * MiB);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe("a deploy against a server that floods every request", () => {
  let server: TestServer;
  let project: Project;
  let rssDir: string;
  afterEach(async () => {
    await server?.close();
    project?.cleanup();
    fs.rmSync(rssDir, { recursive: true, force: true });
  });

  it.each([
    ["1 GiB bodies", flood],
    ["8 MiB of valid JSON that parses into millions of objects", objectBomb],
    ["8 MiB of valid JSON: one object of half a million keys", keyBomb],
    ["valid JSON just under the value limit: one object of 249,990 keys, parsed", () => keyBomb(ANSWER_LIMITS.values - 10)],
  ])("%s to all 8 requests in flight: the hook stays below 512 MiB, every group fails naming itself, nothing leaks", async (what, handler) => {
    // The look-up of the names before any create is answered (none exists), so that all 8 creates are in flight at once.
    const flooding = handler();
    server = await testServer((req, res) => {
      if (req.method === "GET" && (req.url ?? "").startsWith("/api/svc/v1/secret-groups?")) {
        res.writeHead(200, { "Content-Type": "application/json" });
        return void res.end(JSON.stringify({ data: [], pagination: { total: 0, offset: 0, limit: 1000 } }));
      }
      flooding(req, res);
    });
    rssDir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-rss-"));
    // Loaded into every node the deploy starts: the hook writes its own peak resident size when it exits.
    const recorder = path.join(rssDir, "record-rss.js");
    fs.writeFileSync(
      recorder,
      `process.on("exit", () => { if (/hook\\.js$/.test(process.argv[1] || "")) require("fs").writeFileSync(${JSON.stringify(rssDir)} + "/" + process.pid + ".rss", String(process.resourceUsage().maxRSS)); });\n`,
    );
    project = new Project({ url: server.url } as ControlPlane, "huge");
    const names = Array.from({ length: DEFAULT_CONCURRENCY }, (_, i) => `huge-${i}-db`);
    project.synth((stack: TerraformStack) => {
      for (const name of names) new SecretGroup(stack, name, { name, integrationId: "int-vault", secrets: { DB_PASSWORD: SecretValue.fromEnv("DB_PASSWORD") } });
    });
    const started = Date.now();
    const res = await project.apply({ ...NO_PROXY_ENV, DB_PASSWORD: VALUE, NODE_OPTIONS: `--require ${recorder}` });
    const seconds = (Date.now() - started) / 1000;
    expect(res.code).not.toBe(0);
    const oneLine = res.output.replace(/\s+/g, " ");
    for (const name of names) expect(oneLine).toContain(`secret group "${name}"`);
    if (what.startsWith("1 GiB")) expect(oneLine).toContain("answer too large, cut there");
    else if (what.includes("parsed")) expect(oneLine).toContain("but data.id is missing");
    else expect(oneLine).toContain(`with more than ${ANSWER_LIMITS.values} JSON values: answer too large`);

    const peaks = fs.readdirSync(rssDir).filter((f) => f.endsWith(".rss")).map((f) => Number(fs.readFileSync(path.join(rssDir, f), "utf8")) / 1024);
    expect(peaks.length).toBeGreaterThan(0);
    const peak = Math.max(...peaks);
    console.log(`${what}: ${server.seen.length} requests, hook peak RSS ${peak.toFixed(0)} MiB, apply ${seconds.toFixed(1)} s`);
    expect(server.seen.filter((r) => r.method === "POST").length).toBe(names.length);
    expect(peak).toBeLessThan(MEMORY_LIMIT_MIB);
    expectNoneOf(res.output, [TOKEN, VALUE]);
    for (const f of project.files()) expectNoneOf(fs.readFileSync(f), [TOKEN, VALUE]);
  });
});
