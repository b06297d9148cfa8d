/**
 * Every error the library throws is a `GradientsError` with a stable `code`.
 * The library stays usable after any of them.
 */
export class GradientsError extends Error {
  /** Stable machine-readable code: "parse" | "shape" | "input" | "callback" | "internal". */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An expression that does not parse. `column` is 1-based, into `expression`. */
export class ParseError extends GradientsError {
  readonly column: number;
  readonly expression: string;
  /** What is wrong, without the column (the message is this and " at column …"). */
  readonly reason: string;
  constructor(message: string, column: number, expression: string) {
    super("parse", `${message} at ${place(expression, column)}`);
    this.column = column;
    this.expression = expression;
    this.reason = message;
  }
}

/** "column 7", or in an expression of several lines "line 2, column 3" (`column` counts from the start, 1-based). */
function place(expression: string, column: number): string {
  // (the last newline before the column's character; lastIndexOf would read a negative start as 0)
  const before = typeof expression === "string" && column >= 2 ? expression.lastIndexOf("\n", column - 2) : -1;
  if (before < 0) return `column ${column}`;
  let line = 1;
  for (let i = 0; i <= before; i++) if (expression.charCodeAt(i) === 10) line++;
  return `line ${line}, column ${column - 1 - before}`;
}

/** A point, tangent or output buffer of the wrong length or shape; the message names both. */
export class ShapeError extends GradientsError {
  constructor(message: string) {
    super("shape", message);
  }
}

/** A value of the wrong type, a non-numeric entry, or an invalid option. */
export class InputError extends GradientsError {
  constructor(message: string) {
    super("input", message);
  }
}

/** A user callback threw or returned the wrong thing; `cause` holds what it threw. */
export class CallbackError extends GradientsError {
  constructor(message: string, cause?: unknown) {
    super("callback", message, { cause });
  }
}

/** The WebAssembly core trapped; it has been re-created and the call can be retried. */
export class InternalError extends GradientsError {
  constructor(message: string, cause?: unknown) {
    super("internal", message, { cause });
  }
}

/**
 * A user's value as an error message can print it: never throws, whatever it is
 * (a BigInt, a Symbol, an object without a prototype, a huge array).
 */
export function show(x: unknown): string {
  try {
    switch (typeof x) {
      case "string": return JSON.stringify(x.length > 60 ? `${x.slice(0, 60)}…` : x);
      case "number": case "boolean": case "undefined": return String(x);
      case "bigint": return `${x}n`;
      case "symbol": return x.toString();
      case "function": return "a function";
    }
    if (x === null) return "null";
    if (Array.isArray(x)) {
      return x.length <= 8 && x.every((v) => typeof v === "number" || typeof v === "string")
        ? JSON.stringify(x) : `an array of length ${x.length}`;
    }
    if (ArrayBuffer.isView(x)) return `a ${x.constructor.name}${"length" in x ? ` of length ${x.length}` : ""}`;
    return "an object";
  } catch {
    return "a value that cannot be printed";
  }
}
