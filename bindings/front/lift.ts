// Each primitive as a builder function and a Node method, from its spec row:
// numbers in, a number out (folded as the core folds); anything traced in, a
// node out, elementwise (a scalar broadcasts against any shape). Composite
// primitives (clamp) expand into others by the same functions.
import { InputError } from "../base/errors.js";
import { foldConstant } from "../ops/fold.js";
import { opCode } from "../ops/grammar.js";
import { PRIMITIVES, type Algebra, type BuilderName, type CompositeName, type Row, type ScalarName } from "../ops/spec.js";
import { Node, type Operand } from "./node.js";
import * as T from "./tensor-ops.js";

export type { Node, Operand };

/** A number if every operand is a number, else a Node. */
export type Lifted<A, B = number> = A extends number ? (B extends number ? number : Node) : Node;
/** Lifted over three operands. */
export type Lifted3<A, B, C> = A extends number ? (B extends number ? (C extends number ? number : Node) : Node) : Node;

function graphFor(operands: readonly Operand[]) {
  const g = T.graphOf(operands);
  if (!g) throw new InputError("this operation needs at least one traced value (or plain numbers)");
  return g;
}

function scalar(name: ScalarName): (...operands: Operand[]) => Operand {
  const op = opCode(name);
  if (PRIMITIVES[name].arity === 1) {
    return (a) => (typeof a === "number" ? foldConstant(op, a, 0) : T.map(op, Node.constant(graphFor([a]), a)));
  }
  return (a, b) => (typeof a === "number" && typeof b === "number" ? foldConstant(op, a, b) : T.elementwise(op, a, b));
}

/** The builder functions as an algebra over operands, for composite rows to expand by. */
const operands: Algebra<Operand> = {
  num: (x) => x,
  add: (a, b) => lifted("add")(a, b),
  sub: (a, b) => lifted("sub")(a, b),
  mul: (a, b) => lifted("mul")(a, b),
  div: (a, b) => lifted("div")(a, b),
  neg: (a) => lifted("neg")(a),
  call: (name, a, b) => scalar(name)(a, b!),
  keep: (x, guard) => scalar("keep")(x, guard),
  // (as where: !c, so that ir/branches.ts guards both forms' operands)
  select: (where, x, y) => lifted("add")(scalar("keep")(x, where), scalar("keep")(y, scalar("not")(where))),
};

/** Operands in one graph: constants other than numbers become nodes of the traced operands' graph, if any. */
function tracedTogether(args: readonly Operand[]): Operand[] {
  const g = T.graphOf(args);
  return g ? args.map((a) => (typeof a === "number" ? a : Node.constant(g, a))) : [...args];
}

const made = new Map<string, (...operands: Operand[]) => Operand>();

/** The builder function of a primitive (made once). */
export function lifted(name: BuilderName | CompositeName): (...operands: any[]) => any {
  let f = made.get(name);
  if (!f) {
    const row = PRIMITIVES[name] as Row;
    // (a composite's constant tensor operands join the traced ones' graph: its parts may use them alone)
    f = row.kind === "composite" ? (...args) => row.expand(operands, ...tracedTogether(args)) : scalar(name as ScalarName);
    made.set(name, f);
  }
  return f;
}

/** What a method called without its operands is told besides (max() is not the largest entry). */
const MISSING_HINT: Readonly<Record<string, string>> = {
  max: "; the largest entry is a.amax()", min: "; the smallest entry is a.amin()",
};

// Node's elementwise methods: x.sin() is sin(x), x.atan2(y) is atan2(x, y).
for (const [name, row] of Object.entries(PRIMITIVES) as [string, Row][]) {
  if ((row.kind === "scalar" && !("internal" in row)) || row.kind === "composite") {
    const f = lifted(name as BuilderName), wanted = row.arity - 1;
    Object.defineProperty(Node.prototype, name, {
      value(this: Node, ...rest: Operand[]) {
        for (let i = 0; i < wanted; i++) {
          if (rest[i] === undefined) {
            throw new InputError(`a.${name}() takes ${wanted === 1 ? "an operand" : `${wanted} operands`} (${row.doc.replace(/\.$/, "")}), ` +
              `got ${rest.length === 0 ? "none" : `undefined as operand ${i + 1}`}${MISSING_HINT[name] ?? ""}`);
          }
        }
        return f(this, ...rest);
      },
      writable: true, configurable: true,
    });
  }
}
