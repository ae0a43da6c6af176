/**
 * Hostile-network fixtures, all on 127.0.0.1: throwaway certificates, a
 * recording proxy, and servers that answer badly on purpose.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";

export interface Certs {
  dir: string;
  /** PEM of the CA that signed `cert`; also written to `caFile`. */
  ca: string;
  caFile: string;
  key: string;
  cert: string;
}

/** A fresh CA and a server certificate it signed for `names` (DNS names and IPs), in a temp dir. */
export function makeCerts(names: string[]): Certs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-tls-"));
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.pem"), "-days", "2", "-subj", "/CN=tfysg test CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", `/CN=${names[0]}`);
  const san = names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",");
  fs.writeFileSync(f("ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.pem"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.pem"), "-days", "2", "-extfile", f("ext.cnf"));
  const read = (n: string) => fs.readFileSync(f(n), "utf8");
  return { dir, ca: read("ca.pem"), caFile: f("ca.pem"), key: read("server.key"), cert: read("server.pem") };
}

export interface RecordingProxy {
  url: string;
  port: number;
  /** Every byte any client sent to the proxy, tunnels included. */
  received(): Buffer;
  /** The CONNECT targets asked for, in order. */
  connects: string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy that records every byte clients send it. CONNECT to any
 * `host:port` is tunnelled to 127.0.0.1 at `upstreamPort` (so the client may
 * name a host that does not resolve). Anything but CONNECT is answered 502:
 * a client that sends its request to the proxy in the clear fails, and the
 * recording shows it. With `credentials`, a CONNECT without that
 * Proxy-Authorization is answered 407. With `tls`, an https:// proxy: clients
 * speak TLS to it with that key and certificate, and the recording is what
 * the proxy reads after decrypting.
 */
export async function recordingProxy(upstreamPort: number, opts: { credentials?: string; tls?: { key: string; cert: string } } = {}): Promise<RecordingProxy> {
  const chunks: Buffer[] = [];
  const connects: string[] = [];
  const sockets = new Set<net.Socket>();
  const onClient = (client: net.Socket) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    let head = Buffer.alloc(0);
    let upstream: net.Socket | undefined;
    client.on("data", (chunk: Buffer) => {
      chunks.push(Buffer.from(chunk));
      if (upstream) return void upstream.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const [method, target] = lines[0].split(" ");
      const rest = head.subarray(end + 4);
      if (method !== "CONNECT") return void client.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      connects.push(target);
      const auth = lines.find((l) => /^proxy-authorization:/i.test(l))?.replace(/^[^:]*:\s*/, "");
      if (opts.credentials && auth !== `Basic ${Buffer.from(opts.credentials).toString("base64")}`) {
        return void client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      }
      upstream = net.connect(upstreamPort, "127.0.0.1", () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (rest.length) upstream!.write(rest);
      });
      sockets.add(upstream);
      upstream.on("close", () => sockets.delete(upstream!));
      upstream.on("error", () => client.destroy());
      upstream.on("data", (d) => client.write(d));
      upstream.on("end", () => client.end());
      client.on("end", () => upstream?.end());
    });
  };
  const server = opts.tls ? tls.createServer(opts.tls, onClient) : net.createServer(onClient);
  // A client that refuses the proxy's certificate ends the handshake: not the proxy's error.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}`,
    port,
    received: () => Buffer.concat(chunks),
    connects,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** What a recording must never hold in the clear. */
export function expectNoneOf(recording: Buffer | string, needles: string[]): void {
  const text = Buffer.isBuffer(recording) ? recording.toString("latin1") : recording;
  for (const n of needles) expect({ needle: n, found: text.includes(n) }).toEqual({ needle: n, found: false });
}

export interface TestServer {
  url: string;
  port: number;
  /** Requests seen, in order. */
  seen: { method: string; url: string; body: string }[];
  /** TCP connections accepted. */
  connections: number;
  close(): Promise<void>;
}

/** An http server on 127.0.0.1 whose handler gets each request with its body read. */
export async function testServer(
  handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string, index: number) => void,
): Promise<TestServer> {
  const result: TestServer = { url: "", port: 0, seen: [], connections: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => (body += d));
    req.on("end", () => {
      result.seen.push({ method: req.method!, url: req.url!, body });
      handle(req, res, body, result.seen.length - 1);
    });
  });
  server.on("connection", () => result.connections++);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  result.port = (server.address() as net.AddressInfo).port;
  result.url = `http://127.0.0.1:${result.port}`;
  result.close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return result;
}

/**
 * Answers with headers at once, then one byte every `everyMs`, never ending:
 * a server that is alive but never finishes its answer.
 */
export function drip(everyMs: number): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.write("{");
    const timer = setInterval(() => res.write(" "), everyMs);
    res.on("close", () => clearInterval(timer));
  };
}
