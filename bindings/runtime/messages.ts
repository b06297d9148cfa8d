// What the pool and its workers say to each other, and errors across threads:
// an error is sent as plain data and revived as the library's own class.
import { CallbackError, GradientsError, InputError, InternalError, ParseError, ShapeError } from "../base/errors.js";

/** Pool → worker. */
export type Request =
  | { kind: "load"; id: number; bytes: Uint8Array }
  | { kind: "drop"; id: number }
  | { kind: "run"; job: string; args: unknown; func?: number };

/** An error as it crosses a thread. */
export interface ErrorData {
  name: string;
  message: string;
  column?: number;
  expression?: string;
}

/** Worker → pool, one per run request. */
export type Reply = { kind: "done"; result: unknown } | { kind: "failed"; error: ErrorData };

/** An error thrown in a worker, as data. */
export function errorData(error: unknown): ErrorData {
  if (error instanceof ParseError) return { name: error.name, message: error.message, column: error.column, expression: error.expression };
  if (error instanceof GradientsError) return { name: error.name, message: error.message };
  return { name: "InternalError", message: `a worker failed: ${error instanceof Error ? error.message : String(error)}` };
}

/** The library's error a worker threw, as this thread's class of it. */
export function reviveError(data: ErrorData): GradientsError {
  switch (data.name) {
    case "ParseError": {
      const error = new ParseError("", data.column ?? 0, data.expression ?? "");
      Object.defineProperty(error, "message", { value: data.message });
      return error;
    }
    case "ShapeError": return new ShapeError(data.message);
    case "InputError": return new InputError(data.message);
    case "CallbackError": return new CallbackError(data.message);
    default: return new InternalError(data.message);
  }
}
