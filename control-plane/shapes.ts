/** The API's shapes, as the contract gives them, rendered from the stored records. */
import { groupFqn, secretFqn } from "./paths";
import { currentValue, type GroupRecord, type SecretRecord } from "./store";

export interface Subject {
  subjectId: string;
  subjectType: "user";
  subjectSlug: string;
  subjectDisplayName: string;
}

export interface SecretVersion {
  id: string;
  fqn: string;
  value?: string;
  version: number;
  /** The published SDK's type: a whole Secret or nothing, never `{}`; this emulator sends nothing. */
  secret?: Secret;
  secretId: string;
  createdAt: string;
  updatedAt: string;
}

export interface Secret {
  id: string;
  fqn: string;
  name: string;
  secretGroupId: string;
  value?: string;
  createdBySubject: Subject;
  createdAt: string;
  updatedAt: string;
  secretVersions: SecretVersion[];
  activeDeploymentsCount: number;
  createdBy: string;
}

export interface SecretGroup {
  id: string;
  fqn: string;
  /** The seed's example has it; the published SDK's type does not: clients must not rely on it. */
  name: string;
  /** Required by the published SDK's type. */
  accountId: string;
  tenantName: string;
  createdBySubject: Subject;
  associatedSecrets: Secret[];
  integrationId: string;
  createdAt: string;
  updatedAt: string;
  createdBy: string;
  manifest: { type: "secret-group"; name: string; integration_fqn: string; collaborators: { subject: string; role_id: string }[] };
}

// One user for everything: tokens grant access here, they are not identities,
// and nothing derived from a token may reach a response.
const LOCAL_ACCOUNT = "local-account";

const LOCAL_USER: Subject = {
  subjectId: "local-user",
  subjectType: "user",
  subjectSlug: "local-user",
  subjectDisplayName: "Local User",
};

export function renderGroup(tenant: string, group: GroupRecord, withValues: boolean): SecretGroup {
  return {
    id: group.id,
    fqn: groupFqn(tenant, group.name),
    name: group.name,
    accountId: LOCAL_ACCOUNT,
    tenantName: tenant,
    createdBySubject: { ...LOCAL_USER },
    associatedSecrets: group.secrets.map((s) => renderSecret(tenant, group, s, withValues)),
    integrationId: group.integrationId,
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
    createdBy: LOCAL_USER.subjectSlug,
    manifest: { type: "secret-group", name: group.name, integration_fqn: group.integrationId, collaborators: (group.collaborators ?? []).map((c) => ({ ...c })) },
  };
}

export function renderSecret(tenant: string, group: GroupRecord, secret: SecretRecord, withValues: boolean): Secret {
  const fqn = secretFqn(tenant, group.name, secret.key);
  return {
    id: secret.id,
    fqn,
    name: secret.key,
    secretGroupId: group.id,
    ...(withValues ? { value: currentValue(secret) } : {}),
    createdBySubject: { ...LOCAL_USER },
    createdAt: secret.createdAt,
    updatedAt: secret.updatedAt,
    secretVersions: secret.versions.map((v) => ({
      id: v.id,
      fqn: `${fqn}:${v.version}`,
      ...(withValues ? { value: v.value } : {}),
      version: v.version,
      secretId: secret.id,
      createdAt: v.createdAt,
      updatedAt: v.createdAt,
    })),
    activeDeploymentsCount: secret.activeDeploymentsCount,
    createdBy: LOCAL_USER.subjectSlug,
  };
}

/**
 * A group with only the fields asked for (`attributes` of a list), `id`
 * always included; nothing asked for is everything.
 */
export function pick(group: SecretGroup, attributes: readonly string[]): Partial<SecretGroup> {
  if (attributes.length === 0) return group;
  const fields = new Set(["id", ...attributes]);
  return Object.fromEntries(Object.entries(group).filter(([k]) => fields.has(k))) as Partial<SecretGroup>;
}
