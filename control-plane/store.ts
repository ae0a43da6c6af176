/**
 * The emulator's state: groups, their secrets and each secret's versions, kept
 * in memory and, with a data file, saved after every change so a restart keeps
 * every group. The rules the real service enforces on that state live here too.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { ApiError, refuseProblems } from "./errors";
import { collaboratorsProblems, integrationProblems, nameProblems, secretsProblems } from "./rules";

export interface VersionRecord {
  id: string;
  version: number;
  value: string;
  createdAt: string;
}

export interface SecretRecord {
  id: string;
  key: string;
  activeDeploymentsCount: number;
  createdAt: string;
  updatedAt: string;
  /** Oldest first; the last one holds the current value. */
  versions: VersionRecord[];
}

export interface CollaboratorRecord {
  subject: string;
  role_id: string;
}

export interface GroupRecord {
  id: string;
  name: string;
  integrationId: string;
  createdAt: string;
  updatedAt: string;
  secrets: SecretRecord[];
  /** Set by the manifest endpoint; absent in data files written before it kept them. */
  collaborators?: CollaboratorRecord[];
}

export interface SecretInput {
  key: string;
  /** Absent on update: keep the current value. */
  value?: string;
}

const FILE_FORMAT = 1;

export function currentValue(secret: SecretRecord): string {
  return secret.versions[secret.versions.length - 1].value;
}

export class Store {
  /** Insertion order is creation order, which is the order lists answer in. */
  private groups = new Map<string, GroupRecord>();
  private writes = 0;

  constructor(private readonly file?: string) {
    if (!file) return;
    // The file holds secret values: keep it to the current user.
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    this.load(file);
  }

  all(): GroupRecord[] {
    return [...this.groups.values()];
  }

  group(id: string): GroupRecord {
    const group = this.groups.get(id);
    if (!group) throw new ApiError(404, `no secret group with id ${JSON.stringify(id)}`, "NOT_FOUND");
    return group;
  }

  secret(id: string): { group: GroupRecord; secret: SecretRecord } {
    for (const group of this.groups.values()) {
      const secret = group.secrets.find((s) => s.id === id);
      if (secret) return { group, secret };
    }
    throw new ApiError(404, `no secret with id ${JSON.stringify(id)}`, "NOT_FOUND");
  }

  create(name: string, integrationId: string, secrets: Required<SecretInput>[]): GroupRecord {
    return this.transact(() => {
      refuseProblems([...nameProblems(name), ...integrationProblems(integrationId), ...secretsProblems(secrets)]);
      this.refuseTakenName(name);
      refuseFaultyIntegration(integrationId);
      const now = timestamp();
      return this.insert(name, integrationId, now, secrets.map((s) => newSecret(s.key, s.value, now)));
    });
  }

  /** Replaces the key set: keys sent without a value keep theirs, keys left out are removed. */
  update(id: string, secrets: SecretInput[]): GroupRecord {
    return this.transact(() => {
      const group = this.group(id);
      const existing = new Map(group.secrets.map((s) => [s.key, s]));
      refuseProblems([
        ...secretsProblems(secrets),
        ...secrets
          .filter((s) => s.value === undefined && !existing.has(s.key))
          .map((s) => `secret "${s.key}" has no value and does not exist yet`),
      ]);
      const now = timestamp();
      group.secrets = secrets.map(({ key, value }) => {
        const secret = existing.get(key);
        if (!secret) return newSecret(key, value as string, now);
        if (value !== undefined && value !== currentValue(secret)) {
          secret.versions.push(newVersion(secret.versions.length + 1, value, now));
          secret.updatedAt = now;
        }
        return secret;
      });
      group.updatedAt = now;
      return group;
    });
  }

  /**
   * Create-or-update by name; a dry run answers the same group and keeps
   * nothing. Collaborators, when given, replace the group's; left out, they
   * stay as they are.
   */
  applyManifest(name: string, integrationId: string, collaborators: CollaboratorRecord[] | undefined, dryRun: boolean): GroupRecord {
    return this.transact(() => {
      refuseProblems([...nameProblems(name), ...integrationProblems(integrationId), ...collaboratorsProblems(collaborators ?? [])]);
      const now = timestamp();
      const existing = this.byName(name);
      // Moving a group's secrets to another store needs that store to work.
      if (existing && existing.secrets.length > 0 && existing.integrationId !== integrationId) refuseFaultyIntegration(integrationId);
      const group = existing ?? this.insert(name, integrationId, now, []);
      group.integrationId = integrationId;
      if (collaborators) group.collaborators = collaborators.map((c) => ({ subject: c.subject, role_id: c.role_id }));
      group.updatedAt = now;
      return group;
    }, !dryRun);
  }

  delete(id: string, force: boolean): void {
    this.transact(() => {
      const group = this.group(id);
      if (!force) {
        const active = group.secrets.filter((s) => s.activeDeploymentsCount > 0).map((s) => s.key);
        if (active.length > 0) {
          throw new ApiError(409, `secrets ${active.join(", ")} are used by active deployments`, "ACTIVE_DEPLOYMENTS");
        }
        refuseFaultyIntegration(group.integrationId);
      }
      this.groups.delete(id);
    });
  }

  /** Deletes one secret of its group; 1, the number deleted. */
  deleteSecret(id: string): number {
    return this.transact(() => {
      const { group, secret } = this.secret(id);
      if (secret.activeDeploymentsCount > 0) {
        throw new ApiError(409, `secret ${secret.key} is used by active deployments`, "ACTIVE_DEPLOYMENTS");
      }
      group.secrets = group.secrets.filter((s) => s !== secret);
      group.updatedAt = timestamp();
      return 1;
    });
  }

  setActiveDeployments(id: string, count: number): GroupRecord {
    return this.transact(() => {
      const group = this.group(id);
      for (const secret of group.secrets) secret.activeDeploymentsCount = count;
      return group;
    });
  }

  reset(): void {
    this.transact(() => this.groups.clear());
  }

  private byName(name: string): GroupRecord | undefined {
    return this.all().find((g) => g.name === name);
  }

  private refuseTakenName(name: string): void {
    if (this.byName(name)) throw new ApiError(409, `a secret group named "${name}" already exists`, "GROUP_EXISTS");
  }

  private insert(name: string, integrationId: string, now: string, secrets: SecretRecord[]): GroupRecord {
    const group: GroupRecord = { id: randomUUID(), name, integrationId, createdAt: now, updatedAt: now, secrets };
    this.groups.set(group.id, group);
    return group;
  }

  /**
   * Runs a change all or nothing: a refusal half-way, or a failed save, leaves
   * the state as it was; `keep = false` (dry run) always puts it back.
   */
  private transact<T>(change: () => T, keep = true): T {
    const before = structuredClone(this.groups);
    try {
      const result = change();
      if (keep) this.save();
      else this.groups = before;
      return result;
    } catch (err) {
      this.groups = before;
      throw err;
    }
  }

  private load(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      throw err;
    }
    let data: { format?: unknown; groups?: unknown };
    try {
      data = JSON.parse(text);
    } catch {
      // JSON.parse's message would quote the file, secret values included.
      throw new Error(`${file} is not valid JSON`);
    }
    if (data?.format !== FILE_FORMAT || !Array.isArray(data.groups)) {
      throw new Error(`${file} is not a control-plane data file (format ${FILE_FORMAT})`);
    }
    for (const group of data.groups as GroupRecord[]) this.groups.set(group.id, group);
  }

  /** Write-then-rename, so a crash leaves either the old file or the new one, never half of one. */
  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp-${process.pid}-${++this.writes}`;
    try {
      const fd = fs.openSync(tmp, "w", 0o600);
      try {
        fs.writeFileSync(fd, JSON.stringify({ format: FILE_FORMAT, groups: this.all() }));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
    } catch (err) {
      fs.rmSync(tmp, { force: true });
      throw err;
    }
  }
}

/** Emulates a broken backing secret store: any integration id containing "faulty". */
function refuseFaultyIntegration(integrationId: string): void {
  if (integrationId.includes("faulty")) {
    throw new ApiError(424, `secret store integration ${JSON.stringify(integrationId)} failed`, "INTEGRATION_FAILED");
  }
}

function newSecret(key: string, value: string, now: string): SecretRecord {
  return { id: randomUUID(), key, activeDeploymentsCount: 0, createdAt: now, updatedAt: now, versions: [newVersion(1, value, now)] };
}

function newVersion(version: number, value: string, now: string): VersionRecord {
  return { id: randomUUID(), version, value, createdAt: now };
}

function timestamp(): string {
  return new Date().toISOString();
}
