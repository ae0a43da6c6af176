/**
 * A throwaway PostgreSQL cluster for the shared-state tests: its own data
 * folder in a temp dir, a free port on 127.0.0.1 (picked again if taken before
 * PostgreSQL binds it), trust authentication, and
 * stopped and removed afterwards. initdb refuses to run as root, so as root
 * it runs as the `postgres` user that Debian's package creates.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

export interface Postgres {
  /** A `PG_CONN_STR` for Terraform's pg backend. */
  connStr: string;
  stop(): void;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(root, v, "bin", "initdb"))) return path.join(root, v, "bin");
  throw new Error("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); .ci/run installs Debian's postgresql package");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tfysg-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    fs.chmodSync(dir, 0o755);
    spawnSync("chown", ["postgres:", dir]);
  }
  const as = (cmd: string, args: string[]) => {
    const res = asRoot ? spawnSync("runuser", ["-u", "postgres", "--", cmd, ...args], { encoding: "utf8" }) : spawnSync(cmd, args, { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`${path.basename(cmd)} failed (exit ${res.status}): ${res.stderr || res.stdout}`);
  };
  const data = path.join(dir, "data");
  as(path.join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  // PostgreSQL cannot be given port 0: a free port is picked, and picked again
  // when another process took it between the pick and the bind.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const log = path.join(dir, `log-${attempt}`);
    try {
      as(path.join(bin, "pg_ctl"), ["-D", data, "-o", `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off`, "-l", log, "-w", "start"]);
      break;
    } catch (err) {
      const taken = fs.existsSync(log) && /could not bind|already in use/i.test(fs.readFileSync(log, "utf8"));
      if (!taken || attempt === 5) throw err;
    }
  }
  return {
    connStr: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`,
    stop: () => {
      try {
        as(path.join(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
