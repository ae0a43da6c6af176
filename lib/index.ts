export { SecretGroup, SecretGroupProps } from "./construct/secret-group";
export { SecretValue } from "./construct/secret-value";
export { HookKind } from "./construct/hook-resource";
export { RemovalPolicy } from "./shared/contract";
