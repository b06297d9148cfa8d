// The expression parser: shunting-yard with explicit stacks, so nesting depth is
// limited by memory, never by the JavaScript call stack.
//
// Grammar (README, "Expressions"): numbers, identifiers, + - * / ^, comparisons,
// && || !, the conditional c ? a : b, parentheses, function calls f(a) / f(a, b),
// indexing x[0][1]. Precedence, loosest first (C's order):
//   ?:  (right)  <  ||  <  &&  <  == !=  <  < <= > >=  <  + −  (binary, left)  <  * /  (left)
//   <  unary − + !  <  ^  (right)
// so −x^2 is −(x^2), 2^3^2 is 2^9, and unary minus may follow any operator:
// x^−2 is x^(−2), 2*−3 is −6. Comparisons do not chain: a < b < c is an error
// (C would read (a < b) < c, Python a < b && b < c; the user says which).
//
// The parser knows the grammar, not the meaning: it reports each reduction to
// an `ExprSink`, which builds whatever the caller wants (graph nodes, tensors).
import { ParseError } from "../base/errors.js";
import { FUNCTION_ALIASES, functionArity, functionNames } from "../ops/grammar.js";
import { didYouMean } from "../base/nearest.js";

export type BinaryOperator = "+" | "-" | "*" | "/" | "^" | "<" | "<=" | ">" | ">=" | "==" | "!=" | "&&" | "||";

/** Receives the parser's reductions; `column` is 1-based, for error messages. */
export interface ExprSink<T> {
  number(value: number): T;
  /** A variable or named constant. */
  name(name: string, column: number): T;
  negate(a: T): T;
  /** The prefix `!`. */
  not(a: T, column: number): T;
  binary(op: BinaryOperator, a: T, b: T, column: number): T;
  /** `c ? a : b`, the spelling of where(c, a, b); `column` is the '?'. */
  conditional(c: T, a: T, b: T, column: number): T;
  call(name: string, args: T[], column: number): T;
  index(a: T, i: number, column: number): T;
}

type Token =
  | { kind: "number"; value: number; text: string; column: number }
  | { kind: "name"; text: string; column: number }
  | { kind: "punct"; text: string; column: number }
  | { kind: "end"; text: string; column: number };

const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const PUNCT = "+-*/^(),[]<>!?:";
/** Operators of two characters, matched before their first character alone. */
const PAIRS = ["<=", ">=", "==", "!=", "&&", "||"];
/** Characters that only begin a pair, and the pair meant. */
const HALVES: Record<string, string> = { "=": "==", "&": "&&", "|": "||" };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    NUMBER.lastIndex = NAME.lastIndex = i;
    let m: RegExpExecArray | null;
    if ((m = NUMBER.exec(src))) {
      tokens.push({ kind: "number", value: Number(m[0]), text: m[0], column: i + 1 });
      i += m[0].length;
    } else if ((m = NAME.exec(src))) {
      tokens.push({ kind: "name", text: m[0], column: i + 1 });
      i += m[0].length;
    } else if (PAIRS.includes(src.slice(i, i + 2))) {
      tokens.push({ kind: "punct", text: src.slice(i, i + 2), column: i + 1 });
      i += 2;
    } else if (PUNCT.includes(c)) {
      tokens.push({ kind: "punct", text: c, column: i + 1 });
      i++;
    } else {
      throw new ParseError(`unexpected character '${c}'${HALVES[c] ? ` (did you mean '${HALVES[c]}'?)` : ""}`, i + 1, src);
    }
  }
  tokens.push({ kind: "end", text: "end of expression", column: src.length + 1 });
  return tokens;
}

interface Frame {
  /** "if": a '?' waiting for its ':'; "else": a conditional waiting for its third operand. */
  kind: "binary" | "negate" | "plus" | "not" | "paren" | "call" | "if" | "else";
  text: string;
  column: number;
  /** Arguments parsed so far (calls). */
  argc: number;
}

const PRECEDENCE: Record<string, number> = {
  else: 0, "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4,
  "+": 5, "-": 5, "*": 6, "/": 6, negate: 7, plus: 7, not: 7, "^": 8,
};
/** Binary operators (infix), and the precedences at which operators do not chain. */
const INFIX = new Set(["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "&&", "||"]);
const COMPARISON = new Set([PRECEDENCE["=="], PRECEDENCE["<"]]);

function precedence(f: Frame): number {
  return f.kind === "binary" ? PRECEDENCE[f.text] : PRECEDENCE[f.kind];
}

function describe(t: Token): string {
  if (t.kind === "end") return "end of expression";
  if (t.kind === "number") return `number '${t.text}'`;
  if (t.kind === "name") return `name '${t.text}'`;
  return `'${t.text}'`;
}

/** Parses `src`, reporting each reduction to `sink`; returns the sink's value for the whole. */
export function parseExpression<T>(src: string, sink: ExprSink<T>): T {
  const tokens = tokenize(src);
  if (tokens.length === 1) throw new ParseError("empty expression", 1, src);
  const values: T[] = [];
  const ops: Frame[] = [];
  const fail = (message: string, column: number): never => {
    throw new ParseError(message, column, src);
  };

  const reduce = (f: Frame): void => {
    if (f.kind === "negate") values.push(sink.negate(values.pop()!));
    else if (f.kind === "not") values.push(sink.not(values.pop()!, f.column));
    else if (f.kind === "binary") {
      const b = values.pop()!, a = values.pop()!;
      values.push(sink.binary(f.text as BinaryOperator, a, b, f.column));
    } else if (f.kind === "else") {
      const b = values.pop()!, a = values.pop()!, c = values.pop()!;
      values.push(sink.conditional(c, a, b, f.column));
    } else if (f.kind === "if") fail(`'?' needs its ':' (c ? a : b)`, f.column);
    // "plus" is the identity
  };
  /** Whether a frame holds operands back like an open parenthesis (reductions stop at it). */
  const opens = (f: Frame) => f.kind === "paren" || f.kind === "call" || f.kind === "if";

  let expectOperand = true;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k];
    if (expectOperand) {
      if (t.kind === "number") {
        values.push(sink.number(t.value));
        expectOperand = false;
      } else if (t.kind === "name") {
        const next = tokens[k + 1];
        if (next.kind === "punct" && next.text === "(") {
          if (functionArity(t.text) === undefined) fail(`unknown function '${t.text}'${didYouMean(t.text, functionNames(), FUNCTION_ALIASES)}`, t.column);
          ops.push({ kind: "call", text: t.text, column: t.column, argc: 1 });
          k++;
        } else {
          if (functionArity(t.text) !== undefined) fail(`function '${t.text}' needs arguments in parentheses`, t.column);
          values.push(sink.name(t.text, t.column));
          expectOperand = false;
        }
      } else if (t.text === "(") {
        ops.push({ kind: "paren", text: "(", column: t.column, argc: 0 });
      } else if (t.text === "-" || t.text === "+" || t.text === "!") {
        ops.push({ kind: t.text === "-" ? "negate" : t.text === "+" ? "plus" : "not", text: t.text, column: t.column, argc: 0 });
      } else if (t.kind === "end") {
        const last = tokens[k - 1];
        fail(`expected a number, name or '(' after ${describe(last)}, found end of expression`, t.column);
      } else {
        fail(`unexpected ${describe(t)}`, t.column);
      }
      continue;
    }

    // An operand was just completed: expect an operator, ')', ',', '[' or the end.
    if (t.kind === "punct" && (INFIX.has(t.text) || t.text === "?")) {
      const mine = t.text === "?" ? PRECEDENCE.else : PRECEDENCE[t.text], rightAssoc = t.text === "^" || t.text === "?";
      while (ops.length > 0) {
        const top = ops[ops.length - 1];
        if (opens(top)) break;
        const p = precedence(top);
        if (p === mine && top.kind === "binary" && COMPARISON.has(p)) {
          fail(`comparisons do not chain: write '(a ${top.text} b) && (b ${t.text} c)' or add parentheses`, t.column);
        }
        if (p > mine || (p === mine && !rightAssoc)) reduce(ops.pop()!);
        else break;
      }
      ops.push({ kind: t.text === "?" ? "if" : "binary", text: t.text, column: t.column, argc: 0 });
      expectOperand = true;
    } else if (t.kind === "punct" && t.text === ":") {
      while (ops.length > 0 && !opens(ops[ops.length - 1])) reduce(ops.pop()!);
      const open = ops[ops.length - 1];
      if (!open || open.kind !== "if") fail(`':' without a '?' before it (c ? a : b)`, t.column);
      open.kind = "else";
      expectOperand = true;
    } else if (t.kind === "punct" && (t.text === ")" || t.text === ",")) {
      while (ops.length > 0 && ops[ops.length - 1].kind !== "paren" && ops[ops.length - 1].kind !== "call") {
        reduce(ops.pop()!);
      }
      const open = ops[ops.length - 1];
      if (!open || (t.text === "," && open.kind !== "call")) fail(`unexpected '${t.text}'`, t.column);
      if (t.text === ",") {
        open.argc++;
        expectOperand = true;
        continue;
      }
      ops.pop();
      if (open.kind === "call") {
        const arity = functionArity(open.text)!;
        if (open.argc !== arity) {
          fail(`${open.text} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${open.argc}`, open.column);
        }
        const args = values.splice(values.length - arity, arity);
        values.push(sink.call(open.text, args, open.column));
      }
    } else if (t.kind === "punct" && t.text === "[") {
      const num = tokens[k + 1], close = tokens[k + 2];
      if (num.kind !== "number" || !Number.isInteger(num.value) || /[.eE]/.test(num.text)) {
        fail(`expected a whole-number index after '['`, num.column);
      }
      if (close.kind !== "punct" || close.text !== "]") fail(`expected ']'`, close.column);
      values.push(sink.index(values.pop()!, (num as { value: number }).value, t.column));
      k += 2;
    } else if (t.kind === "end") {
      while (ops.length > 0) {
        const f = ops.pop()!;
        if (f.kind === "paren" || f.kind === "call") {
          fail(`unclosed '('`, f.kind === "call" ? f.column + f.text.length : f.column);
        }
        reduce(f);
      }
    } else {
      fail(`unexpected ${describe(t)} after an operand (no implicit multiplication: write '*')`, t.column);
    }
  }
  return values[0];
}
