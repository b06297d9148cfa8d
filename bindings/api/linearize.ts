// The affine map of `Func.linearize`: f(x) + J(x)(y − x) and J(x)·v, from a
// stored value and Jacobian, without evaluating f again.
import type { PlainPoint } from "./func.js";

/** The result of `linearize`: f(x), J(x), and the affine and linear maps they define. */
export interface Linearization<S, J> {
  readonly value: S;
  readonly jacobian: J;
  /** y ↦ f(x) + J(x)(y − x), shaped like the output. */
  apply(y: PlainPoint): S;
  /** v ↦ J(x)·v, shaped like the output. */
  tangent(v: PlainPoint): S;
}

/**
 * A linearization at x0 from f(x0) (`value`, flat in `base`) and J (m × n,
 * row-major in `flat`); `read` turns a caller's point into n numbers, `shape`
 * turns m numbers into the output's form.
 */
export function linearization<S, J>(value: S, jacobian: J, flat: Float64Array, x0: Float64Array,
                                    read: (y: unknown, what: string) => Float64Array, shape: (out: Float64Array) => S): Linearization<S, J> {
  const n = x0.length;
  const base: Float64Array = typeof value === "number" ? Float64Array.of(value) : (value as { data?: Float64Array }).data ?? value as unknown as Float64Array;
  const m = base.length; // (not flat.length / n: with no inputs J is empty and m is still f's length)
  /** J·v, plus f(x0) when `add`. */
  const product = (v: Float64Array, add: boolean) => {
    const out = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      let s = add ? base[o] : 0;
      for (let i = 0; i < n; i++) s += flat[o * n + i] * v[i];
      out[o] = s;
    }
    return shape(out);
  };
  return {
    value,
    jacobian,
    apply: (y) => product(read(y, "point").map((yi, i) => yi - x0[i]), true),
    tangent: (v) => product(read(v, "tangent"), false),
  };
}
