export { SecretGroup } from "./construct/secret-group";
export type { SecretGroupProps } from "./construct/secret-group";
export { SecretValue } from "./construct/secret-value";
export type { HookKind } from "./construct/hook-resource";
export type { RemovalPolicy } from "./shared/contract";
