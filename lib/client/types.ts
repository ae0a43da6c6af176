/** Shapes of the control-plane API (see docs: api-contract). */

export interface Subject {
  subjectId: string;
  subjectType: string;
  subjectSlug?: string;
  subjectDisplayName?: string;
}

export interface SecretVersion {
  id: string;
  fqn: string;
  value?: string;
  version: number;
  /** The published SDK: the whole secret, or absent. */
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
  createdBySubject?: Subject;
  createdAt: string;
  updatedAt: string;
  secretVersions?: SecretVersion[];
  activeDeploymentsCount?: number;
  createdBy?: string;
}

/** What a group's manifest says (newer servers): its collaborators among others. */
export interface GroupManifest {
  type?: string;
  name?: string;
  integration_fqn?: string;
  collaborators?: { subject: string; role_id: string }[];
}

export interface SecretGroup {
  id: string;
  fqn: string;
  /** Filled in by the client from the fqn when the answer has no name (the published SDK's groups have none). */
  name: string;
  accountId?: string;
  tenantName?: string;
  integrationId: string;
  createdBySubject?: Subject;
  associatedSecrets?: Secret[];
  createdAt: string;
  updatedAt: string;
  createdBy?: string;
  manifest?: GroupManifest;
}

export interface SecretInput {
  key: string;
  /** Omitted in an update: keep the current value. */
  value?: string;
}

export interface CreateGroupInput {
  name: string;
  integrationId: string;
  secrets: { key: string; value: string }[];
}
