// Which sweep a derivative runs, from `options.mode` (see DerivativeOptions).
import { InputError } from "../base/errors.js";
import { Kind } from "../ops/abi.js";
import { readMode } from "./validate.js";

/** The sweep for `mode`; "auto" picks reverse when `preferReverse` (fewer outputs than inputs). */
export function sweepFor(options: { mode?: unknown }, preferReverse = false): Kind.Forward | Kind.FiniteDiff | Kind.Reverse {
  const mode = readMode(options.mode);
  if (mode === "fd") return Kind.FiniteDiff;
  if (mode === "reverse" || (mode === "auto" && preferReverse)) return Kind.Reverse;
  return Kind.Forward;
}

/** The sweep for products J·v and fields, which forward mode computes directly (or "fd"). */
export function forwardSweepFor(options: { mode?: unknown }, what: string): Kind.Forward | Kind.FiniteDiff {
  const mode = readMode(options.mode);
  if (mode === "reverse") throw new InputError(`${what} is computed in forward mode (or "fd"); mode "reverse" applies to jacobian, grad, vjp and hessian`);
  return mode === "fd" ? Kind.FiniteDiff : Kind.Forward;
}
