// compile(): expression strings → Func.
import { InputError, ParseError } from "./errors.js";
import { Graph } from "./graph.js";
import { compileTape } from "./compile.js";
import { Func } from "./func.js";
import { BINARY_FUNCTIONS, CONSTANTS, Op, UNARY_FUNCTIONS, type BinaryName, type UnaryName } from "./ops.js";
import { parseExpression, type BinaryOperator, type ExprSink } from "./parse.js";

/** Options of `compile`. */
export interface CompileOptions {
  /**
   * The input variables, in input order. Without it, the variables are the names
   * the expression uses (other than `pi` and `e`), in order of first appearance
   * (for an array of expressions, reading them in order).
   */
  vars?: readonly string[];
}

const BINARY_OPS: Record<BinaryOperator, number> = { "+": Op.Add, "-": Op.Sub, "*": Op.Mul, "/": Op.Div, "^": Op.Pow };

/** A sink that builds graph nodes; variables are resolved against (or appended to) `vars`. */
function graphSink(graph: Graph, vars: string[], fixedVars: boolean, src: () => string): ExprSink<number> {
  return {
    number: (v) => graph.constant(v),
    name(name, column) {
      if (Object.hasOwn(CONSTANTS, name)) return graph.constant(CONSTANTS[name]);
      let i = vars.indexOf(name);
      if (i < 0) {
        if (fixedVars) {
          throw new ParseError(`unknown variable '${name}' (the variables are ${vars.join(", ") || "none"})`, column, src());
        }
        i = vars.push(name) - 1;
      }
      return graph.input(i);
    },
    negate: (a) => graph.apply(Op.Neg, a),
    binary: (op, a, b) => graph.apply(BINARY_OPS[op], a, b),
    call(name, args) {
      return args.length === 1
        ? graph.apply(UNARY_FUNCTIONS[name as UnaryName], args[0])
        : graph.apply(BINARY_FUNCTIONS[name as BinaryName], args[0], args[1]);
    },
    index(_a, _i, column) {
      throw new ParseError("indexing applies to tensor variables; these variables are scalars", column, src());
    },
  };
}

function checkVars(vars: unknown): string[] {
  if (!Array.isArray(vars)) throw new InputError(`vars must be an array of names, got ${typeof vars}`);
  const seen = new Set<string>();
  for (const v of vars) {
    if (typeof v !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) {
      throw new InputError(`vars must be identifiers (a letter or _ then letters, digits, _), got ${JSON.stringify(v)}`);
    }
    if (Object.hasOwn(CONSTANTS, v)) throw new InputError(`'${v}' is a constant of the grammar and cannot be a variable name`);
    if (Object.hasOwn(UNARY_FUNCTIONS, v) || Object.hasOwn(BINARY_FUNCTIONS, v)) {
      throw new InputError(`'${v}' is a function of the grammar and cannot be a variable name`);
    }
    if (seen.has(v)) throw new InputError(`variable '${v}' is listed twice in vars`);
    seen.add(v);
  }
  return [...vars];
}

/**
 * Compiles an expression (f: ℝⁿ → ℝ) or an array of expressions (f: ℝⁿ → ℝᵐ, one
 * output per string). Throws ParseError (with the column) for malformed input.
 *
 *   compile("sin(x*y) + z^2*exp(x)", { vars: ["x", "y", "z"] }).grad([1, 2, 3])
 */
export function compile(expr: string, options?: CompileOptions): Func<number>;
export function compile(expr: readonly string[], options?: CompileOptions): Func<Float64Array>;
export function compile(expr: string | readonly string[], options: CompileOptions = {}): Func {
  const exprs = typeof expr === "string" ? [expr] : expr;
  if (!Array.isArray(exprs) || exprs.some((e) => typeof e !== "string")) {
    throw new InputError("compile takes an expression string or an array of expression strings");
  }
  if (exprs.length === 0) throw new InputError("compile needs at least one expression");
  const fixed = options.vars !== undefined;
  const vars = fixed ? checkVars(options.vars) : [];
  const graph = new Graph();
  let current = "";
  const sink = graphSink(graph, vars, fixed, () => current);
  const outputs = exprs.map((e) => {
    current = e;
    return parseExpression(e, sink);
  });
  const tape = compileTape(graph, outputs, vars.length);
  return new Func(tape, vars, typeof expr === "string" ? [] : [exprs.length]);
}
