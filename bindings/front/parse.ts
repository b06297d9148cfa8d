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
import { CONSTANTS, FUNCTION_ALIASES, functionArity, functionNames } from "../ops/grammar.js";
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

// Tokens as parallel typed arrays, sized by the source (each token takes at least
// one character): one object per token made long sums slow to parse.
const NUMBER = 0, NAME = 1, PUNCT = 2, END = 3;

interface Tokens {
  src: string;
  count: number;
  kind: Uint8Array;
  /** 0-based start and end in the source. */
  start: Int32Array;
  end: Int32Array;
  /** Numbers: their value. */
  value: Float64Array;
}

const PUNCT_CHARS = "+-*/^(),[]<>!?:";
/** Operators of two characters, matched before their first character alone. */
const PAIRS = ["<=", ">=", "==", "!=", "&&", "||"];
/** Characters that only begin a pair, and the pair meant. */
const HALVES: Record<string, string> = { "=": "==", "&": "&&", "|": "||" };

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** The end of the digits from i. */
function digitsEnd(src: string, i: number): number {
  while (i < src.length && isDigit(src.charCodeAt(i))) i++;
  return i;
}

/**
 * The end of the number at i (digits, an optional '.', digits, and an exponent
 * only when digits follow its 'e' and sign: "2e" is 2 and the name e), or i.
 */
function numberEnd(src: string, i: number): number {
  let j = digitsEnd(src, i);
  if (j > i) {
    if (src.charCodeAt(j) === 46) j = digitsEnd(src, j + 1); // "1." and "1.5"
  } else if (src.charCodeAt(i) === 46 && isDigit(src.charCodeAt(i + 1))) {
    j = digitsEnd(src, i + 1); // ".5"
  } else return i;
  const e = src.charCodeAt(j);
  if (e === 101 || e === 69) {
    const sign = src.charCodeAt(j + 1), k = sign === 43 || sign === 45 ? j + 2 : j + 1;
    if (isDigit(src.charCodeAt(k))) j = digitsEnd(src, k);
  }
  return j;
}

/** The value of the number src[i, j): whole numbers of up to 15 digits are summed exactly, others parsed. */
function numberValue(src: string, i: number, j: number): number {
  if (j - i > 15) return Number(src.slice(i, j));
  let v = 0;
  for (let k = i; k < j; k++) {
    const c = src.charCodeAt(k);
    if (!isDigit(c)) return Number(src.slice(i, j));
    v = v * 10 + (c - 48);
  }
  return v;
}

/** Whether a two-character operator starts at i. */
function isPair(src: string, i: number): boolean {
  const c = src.charCodeAt(i), d = src.charCodeAt(i + 1);
  for (const pair of PAIRS) if (pair.charCodeAt(0) === c && pair.charCodeAt(1) === d) return true;
  return false;
}

function tokenize(src: string): Tokens {
  const size = src.length + 1;
  const t: Tokens = { src, count: 0, kind: new Uint8Array(size), start: new Int32Array(size), end: new Int32Array(size), value: new Float64Array(size) };
  const push = (kind: number, start: number, end: number): void => {
    t.kind[t.count] = kind; t.start[t.count] = start; t.end[t.count] = end; t.count++;
  };
  let i = 0;
  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
      continue;
    }
    let j = numberEnd(src, i);
    if (j > i) {
      t.value[t.count] = numberValue(src, i, j);
      push(NUMBER, i, j);
      i = j;
    } else if (isNameStart(c)) {
      for (j = i + 1; j < src.length; j++) {
        const d = src.charCodeAt(j);
        if (!isNameStart(d) && !isDigit(d)) break;
      }
      push(NAME, i, j);
      i = j;
    } else if (isPair(src, i)) {
      push(PUNCT, i, i + 2);
      i += 2;
    } else if (PUNCT_CHARS.includes(src[i])) {
      push(PUNCT, i, i + 1);
      i++;
    } else {
      const ch = String.fromCodePoint(src.codePointAt(i)!), next = src[i + 1];
      // ("=>" and "=<" are ">=" and "<=" written backwards; "=" alone is most likely "==")
      const meant = ch === "=" && (next === ">" || next === "<") ? `${next}=` : HALVES[ch];
      throw new ParseError(`unexpected character '${ch}'${meant ? ` (did you mean '${meant}'?)` : ""}`, i + 1, src);
    }
  }
  push(END, src.length, src.length);
  return t;
}

/** A token's text as written ("end of expression" for the end). */
function tokenText(t: Tokens, k: number): string {
  return t.kind[k] === END ? "end of expression" : t.src.slice(t.start[k], t.end[k]);
}

// Operator frames: kinds, and their stack as parallel arrays.
const BINARY = 0, NEGATE = 1, PLUS = 2, NOT = 3, PAREN = 4, CALL = 5;
/** "if": a '?' waiting for its ':'; "else": a conditional waiting for its third operand. */
const IF = 6, ELSE = 7;

const PRECEDENCE: Record<string, number> = {
  "||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4, "+": 5, "-": 5, "*": 6, "/": 6, "^": 8,
};
const ELSE_PRECEDENCE = 0, PREFIX_PRECEDENCE = 7;
/** Binary operators (infix), and the precedences at which operators do not chain. */
const INFIX = new Set(["+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "&&", "||"]);
const COMPARISON = new Set([PRECEDENCE["=="], PRECEDENCE["<"]]);

function precedenceOf(kind: number, text: string): number {
  return kind === BINARY ? PRECEDENCE[text] : kind === ELSE ? ELSE_PRECEDENCE : PREFIX_PRECEDENCE;
}

function describe(t: Tokens, k: number): string {
  const kind = t.kind[k];
  if (kind === END) return "end of expression";
  if (kind === NUMBER) return `number '${tokenText(t, k)}'`;
  if (kind === NAME) return `name '${tokenText(t, k)}'`;
  return `'${tokenText(t, k)}'`;
}

/** Parses `src`, reporting each reduction to `sink`; returns the sink's value for the whole. */
export function parseExpression<T>(src: string, sink: ExprSink<T>): T {
  const t = tokenize(src);
  const kinds = t.kind, count = t.count;
  const column = (k: number) => t.start[k] + 1;
  if (count === 1) throw new ParseError("empty expression", 1, src);
  const values: T[] = [];
  // The operator stack: each frame's kind, text, column, precedence and (calls) arguments parsed so far.
  const opKind: number[] = [], opText: string[] = [], opColumn: number[] = [], opPrecedence: number[] = [], opArgc: number[] = [];
  const pushOp = (kind: number, text: string, col: number, argc: number): void => {
    opKind.push(kind); opText.push(text); opColumn.push(col); opPrecedence.push(precedenceOf(kind, text)); opArgc.push(argc);
  };
  const popOp = (): void => {
    opKind.pop(); opText.pop(); opColumn.pop(); opPrecedence.pop(); opArgc.pop();
  };
  const fail = (message: string, col: number): never => {
    throw new ParseError(message, col, src);
  };

  /** Pops the top frame and reduces it. */
  const reduceTop = (): void => {
    const top = opKind.length - 1, kind = opKind[top], text = opText[top], col = opColumn[top];
    popOp();
    if (kind === NEGATE) values.push(sink.negate(values.pop()!));
    else if (kind === NOT) values.push(sink.not(values.pop()!, col));
    else if (kind === BINARY) {
      const b = values.pop()!, a = values.pop()!;
      values.push(sink.binary(text as BinaryOperator, a, b, col));
    } else if (kind === ELSE) {
      const b = values.pop()!, a = values.pop()!, c = values.pop()!;
      values.push(sink.conditional(c, a, b, col));
    } else if (kind === IF) fail(`'?' needs its ':' (c ? a : b)`, col);
    // PLUS is the identity
  };
  /** Whether the top frame holds operands back like an open parenthesis (reductions stop at it). */
  const topOpens = (): boolean => {
    const kind = opKind[opKind.length - 1];
    return kind === PAREN || kind === CALL || kind === IF;
  };

  let expectOperand = true;
  for (let k = 0; k < count; k++) {
    // (a number's text is read only for messages; one-character strings are not allocated)
    const kind = kinds[k], text = kind === NUMBER ? "" : tokenText(t, k);
    if (expectOperand) {
      if (kind === NUMBER) {
        values.push(sink.number(t.value[k]));
        expectOperand = false;
      } else if (kind === NAME) {
        if (kinds[k + 1] === PUNCT && src.charCodeAt(t.start[k + 1]) === 40 /* ( */) {
          if (Object.hasOwn(CONSTANTS, text)) fail(`'${text}' is a constant, not a function (to multiply, write ${text}*(…))`, column(k));
          if (functionArity(text) === undefined) fail(`unknown function '${text}'${didYouMean(text, functionNames(), FUNCTION_ALIASES)}`, column(k));
          pushOp(CALL, text, column(k), 1);
          k++;
        } else {
          if (functionArity(text) !== undefined) fail(`function '${text}' needs arguments in parentheses`, column(k));
          values.push(sink.name(text, column(k)));
          expectOperand = false;
        }
      } else if (text === "(") {
        pushOp(PAREN, "(", column(k), 0);
      } else if (kind === PUNCT && (text === "-" || text === "+" || text === "!")) {
        pushOp(text === "-" ? NEGATE : text === "+" ? PLUS : NOT, text, column(k), 0);
      } else if (kind === END) {
        fail(`expected a number, name or '(' after ${describe(t, k - 1)}, found end of expression`, column(k));
      } else if (text === ")" && opKind[opKind.length - 1] === CALL && tokenText(t, k - 1) === "(") {
        const name = opText[opKind.length - 1], arity = functionArity(name)!;
        fail(`${name} takes ${arity} argument${arity > 1 ? "s" : ""}, got none`, column(k));
      } else {
        fail(`unexpected ${describe(t, k)}`, column(k));
      }
      continue;
    }

    // An operand was just completed: expect an operator, ')', ',', '[' or the end.
    if (kind === PUNCT && (INFIX.has(text) || text === "?")) {
      const mine = text === "?" ? ELSE_PRECEDENCE : PRECEDENCE[text], rightAssoc = text === "^" || text === "?";
      while (opKind.length > 0 && !topOpens()) {
        const top = opKind.length - 1, p = opPrecedence[top];
        if (p === mine && opKind[top] === BINARY && COMPARISON.has(p)) {
          fail(`comparisons do not chain: write '(a ${opText[top]} b) && (b ${text} c)' or add parentheses`, column(k));
        }
        if (p > mine || (p === mine && !rightAssoc)) reduceTop();
        else break;
      }
      pushOp(text === "?" ? IF : BINARY, text, column(k), 0);
      expectOperand = true;
    } else if (kind === PUNCT && text === ":") {
      while (opKind.length > 0 && !topOpens()) reduceTop();
      const top = opKind.length - 1;
      if (top < 0 || opKind[top] !== IF) {
        // (the top frame then opens a parenthesis or call; a '?' below it is outside)
        if (opKind.includes(IF)) fail(`':' inside the parentheses from column ${opColumn[top]}, whose '?' is outside them: close them first (c ? a : b)`, column(k));
        fail(`':' without a '?' before it (c ? a : b)`, column(k));
      }
      opKind[top] = ELSE;
      opPrecedence[top] = ELSE_PRECEDENCE;
      expectOperand = true;
    } else if (kind === PUNCT && (text === ")" || text === ",")) {
      while (opKind.length > 0 && opKind[opKind.length - 1] !== PAREN && opKind[opKind.length - 1] !== CALL) reduceTop();
      const top = opKind.length - 1;
      if (top < 0 || (text === "," && opKind[top] !== CALL)) fail(`unexpected '${text}'`, column(k));
      if (text === ",") {
        opArgc[top]++;
        expectOperand = true;
        continue;
      }
      const openKind = opKind[top], name = opText[top], col = opColumn[top], argc = opArgc[top];
      popOp();
      if (openKind === CALL) {
        const arity = functionArity(name)!;
        if (argc !== arity) fail(`${name} takes ${arity} argument${arity > 1 ? "s" : ""}, got ${argc}`, col);
        const args = values.splice(values.length - arity, arity);
        values.push(sink.call(name, args, col));
      }
    } else if (kind === PUNCT && text === "[") {
      const num = k + 1, close = k + 2;
      if (kinds[num] !== NUMBER || !Number.isInteger(t.value[num]) || /[.eE]/.test(tokenText(t, num))) {
        fail(`expected a whole-number index after '['`, column(num));
      }
      if (kinds[close] !== PUNCT || tokenText(t, close) !== "]") fail(`expected ']'`, column(close));
      values.push(sink.index(values.pop()!, t.value[num], column(k)));
      k += 2;
    } else if (kind === END) {
      while (opKind.length > 0) {
        const top = opKind.length - 1, openKind = opKind[top];
        if (openKind === PAREN || openKind === CALL) {
          fail(`unclosed '('`, openKind === CALL ? opColumn[top] + opText[top].length : opColumn[top]);
        }
        reduceTop();
      }
    } else {
      const operandStarts = kind === NUMBER || kind === NAME || text === "(";
      fail(`unexpected ${describe(t, k)} after an operand${operandStarts ? " (no implicit multiplication: write '*')" : ""}`, column(k));
    }
  }
  return values[0];
}
