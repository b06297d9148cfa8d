// Who wants to hear that an object's resources were freed: the worker pools
// drop a disposed function from their workers. Kept apart from the pool so a
// function does not pull the pool's code into an application that never uses it.

const hooks: ((owner: object) => void)[] = [];

/** Calls `hook(owner)` whenever an owner (a Func) is disposed. */
export function onDispose(hook: (owner: object) => void): void {
  hooks.push(hook);
}

/** Tells every hook that `owner` was disposed. */
export function announceDispose(owner: object): void {
  for (const hook of hooks) hook(owner);
}
