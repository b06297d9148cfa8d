// Directions whose coordinates live on different scales, split into lines that
// one step serves.
//
// Along x + t·v, coordinate i moves by t·vᵢ, and its own scale max(|xᵢ|, 1) is
// reached at t = rᵢ = max(|xᵢ|, 1)/|vᵢ|. A line's step is fitted to its smallest
// rᵢ (fd-differentiate.ts), which keeps every coordinate within the step its
// axis would take, but may move a coordinate of far larger |xᵢ|/|vᵢ| by so
// little that x + t·v rounds there (x₀ = 1e12 moved by 6e-6 does not move; a
// step fitted to it would step sin(x₁) at x₁ = 0.5 by 6e6). Moved by t·vᵢ with
// t = ∛ε·r, xᵢ is off by up to ε·|xᵢ|, a share ε^(2/3)·(|xᵢ|/|vᵢ|)/r of the move.
// So J·v is Σ_g J·v_g over groups g of coordinates where that share stays below
// ε^(2/3)·ROUNDING_RATIO (1e-6), one line each (2 more calls a group, central):
// one line for all but directions mixing coordinates some 1e4 times apart.

/** How much larger than the line's r a coordinate's |xᵢ|/|vᵢ| may be and still share its line. */
const ROUNDING_RATIO = 32768;

/** Points and directions of the lines, and for each line the point it belongs to. */
export interface SplitDirections {
  points: Float64Array;
  directions: Float64Array;
  owner: Int32Array;
}

/**
 * Splits each point's direction into groups of coordinates of like scale along it
 * (X [N, n]; V [N, n] or one direction [n] for all). Undefined where every point
 * needs one line only (the caller differentiates along v itself).
 */
export function splitDirections(X: Float64Array, N: number, n: number, V: Float64Array, perPoint: boolean): SplitDirections | undefined {
  const groups: number[][][] = [];
  let split = false;
  for (let p = 0; p < N; p++) {
    const v = perPoint ? V.subarray(p * n, (p + 1) * n) : V;
    const moving: { i: number; r: number }[] = [];
    for (let i = 0; i < n; i++) {
      if (v[i] !== 0) moving.push({ i, r: Math.max(Math.abs(X[p * n + i]), 1) / Math.abs(v[i]) });
    }
    const pointGroups: number[][] = [];
    if (moving.some(({ r }) => Number.isNaN(r))) pointGroups.push(moving.map(({ i }) => i)); // NaN propagates along one line
    else {
      // (a subnormal vᵢ makes rᵢ ∞: such coordinates share the last line, whose step is capped)
      moving.sort((a, b) => a.r - b.r);
      let first = 0;
      for (const { i, r } of moving) {
        const rounds = Math.abs(X[p * n + i]) / Math.abs(v[i]); // (unfloored: a small xᵢ does not round away)
        if (pointGroups.length === 0 || rounds > first * ROUNDING_RATIO) {
          pointGroups.push([]);
          first = r;
        }
        pointGroups.at(-1)!.push(i);
      }
    }
    if (pointGroups.length > 1) split = true;
    groups.push(pointGroups);
  }
  if (!split) return undefined;
  const lines = groups.reduce((s, g) => s + Math.max(g.length, 1), 0);
  const points = new Float64Array(lines * n), directions = new Float64Array(lines * n), owner = new Int32Array(lines);
  let line = 0;
  for (let p = 0; p < N; p++) {
    const v = perPoint ? V.subarray(p * n, (p + 1) * n) : V;
    for (const group of groups[p].length ? groups[p] : [[] as number[]]) {
      points.set(X.subarray(p * n, (p + 1) * n), line * n);
      for (const i of group) directions[line * n + i] = v[i];
      owner[line++] = p;
    }
  }
  return { points, directions, owner };
}
