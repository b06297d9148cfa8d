// The functions users define (api/user-functions.ts defineFunction), by name:
// the grammar and the builder look them up here after the built-in ones.
// One table for the library instance (this module), as the built-ins are.

/** A user-defined function: an expression macro (`body`) or a primitive whose rules are JavaScript (`host`). */
export interface UserFunctionEntry {
  readonly name: string;
  readonly params: readonly string[];
  /** By expression: the body, over `params`, expanded inline at each call. */
  readonly body?: string;
  /** By code: the host block (ir/host-blocks.ts) that computes its value and partials. */
  readonly host?: number;
}

const table = new Map<string, UserFunctionEntry>();

/** The user function called `name`, if there is one. */
export function userFunction(name: string): UserFunctionEntry | undefined {
  return table.get(name);
}

/** Every user function, in the order they were defined. */
export function userFunctions(): UserFunctionEntry[] {
  return [...table.values()];
}

/** Adds a user function (the caller has checked the name is free). */
export function registerUserFunction(entry: UserFunctionEntry): void {
  table.set(entry.name, entry);
}

/** Removes a user function; whether there was one. */
export function unregisterUserFunction(name: string): boolean {
  return table.delete(name);
}
