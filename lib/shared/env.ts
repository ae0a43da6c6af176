/**
 * An environment as the hook runtime and the client read it: a variable's
 * name to its value, undefined when unset. `process.env` is one; tests pass
 * their own. The one definition of it.
 */
export type Env = Record<string, string | undefined>;
