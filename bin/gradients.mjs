#!/usr/bin/env node
// The command line: derivatives of expressions from a terminal.
//   gradients grad "sin(x*y) + z^2*exp(x)" --at x=1,y=2,z=3
// Run `gradients --help` for the commands.
import { readFileSync } from "node:fs";
import { checkGrad, compile, derivative, fit, GradientsError, ParseError, ShapeError } from "../dist/index.js";
import { BINARY_FUNCTIONS, COMPOSITE_FUNCTIONS, TENSOR_FUNCTIONS, UNARY_FUNCTIONS } from "../dist/ops/grammar.js";

/** Words joined by spaces into lines of at most 80 columns. */
function wrap(words) {
  const lines = [""];
  for (const w of words) {
    const line = lines.at(-1);
    if (line && line.length + 1 + w.length > 80) lines.push(w);
    else lines[lines.length - 1] = line ? `${line} ${w}` : w;
  }
  return lines.join("\n");
}

// The grammar's functions, from the primitives' spec.
const FUNCTIONS = [...Object.keys(UNARY_FUNCTIONS), ...Object.keys(BINARY_FUNCTIONS), ...Object.keys(COMPOSITE_FUNCTIONS)];

const COMMANDS = {
  grad: {
    usage: 'grad <expr> --at x=1,y=2 [--vars x,y] [--method auto|forward|reverse|fd] [--json]',
    about: "the gradient of a scalar expression at a point",
  },
  partial: {
    usage: 'partial <expr> --var <name> --at x=1,y=2 [--method …] [--json]',
    about: "one partial derivative of one or more expressions",
  },
  jacobian: {
    usage: 'jacobian <expr> [<expr> …] --at x=1,y=2 [--method …] [--json]',
    about: "the Jacobian of a vector field given as several expressions (rows: expressions, columns: variables)",
  },
  hessian: {
    usage: 'hessian <expr> --at x=1,y=2 [--method auto|reverse|fd] [--json]',
    about: "the Hessian of a scalar expression",
  },
  div: {
    usage: 'div <expr> <expr> [<expr> …] --at x=1,y=2 [--method …] [--json]',
    about: "the divergence of a vector field (as many expressions as variables)",
  },
  curl: {
    usage: 'curl <expr> <expr> [<expr>] --at x=1,y=2 [--method …] [--json]',
    about: "the curl of a 2-D field (a number) or a 3-D field (a vector)",
  },
  check: {
    usage: 'check <expr> --at x=1,y=2 [--vars x,y] [--json]',
    about: "the exact gradient (forward, reverse) and Hessian against extrapolated differences",
  },
  derive: {
    usage: 'derive <expr> [--var <name>] [--explain] [--json]',
    about: "the derivative as an expression, by the rules of differentiation",
  },
  fit: {
    usage: 'fit <model> --data file.csv --p0 b1=500,b2=1e-4 [--response y] [--json]',
    about: "least-squares fit of a model to the columns of a CSV file (a header row of names): parameters with standard errors",
  },
};

const HELP = `gradients — exact derivatives of expressions

usage: gradients <command> <expression…> [options]

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(9)} ${c.about}`).join("\n")}

options:
  --at x=1,y=2    the point: values by name, or in variable order (--at 1,2);
                  a value may be an expression of constants (--at t=pi/4)
  --vars x,y      the variables, in order (default: natural order, x < y < z)
  --var name      the variable of partial and derive
  --method m      auto (default), forward, reverse or fd (finite differences)
  --json          machine-readable output
  --explain       derive: list the rule applied at each step
  --data file     fit: a CSV file, its first row the column names
  --p0 b1=1,b2=2  fit: the starting parameters, by name
  --response y    fit: the column the model predicts (default y)
  --help          this text, or a command's usage (gradients grad --help)

${wrap(`Expressions: + - * / ^, comparisons < <= > >= == !=, && || !, c ? a : b, parentheses, pi, e and the functions ${FUNCTIONS.join(" ")}. Tensor variables
(compile) also take ${Object.keys(TENSOR_FUNCTIONS).join(" ")}. Quote each expression for the shell.`.split(/\s+/))}`;

/** A command used wrongly (exit 2). */
class UsageError extends Error {}
/** A point (--at) or data file whose contents are wrong (exit 1, as an error in the expression). */
class PointError extends Error {}

/** Options that take a value. */
const VALUE_FLAGS = ["at", "vars", "var", "method", "data", "p0", "response"];

/** The options each command takes (and --help, which every one does). */
const COMMAND_FLAGS = {
  grad: ["at", "vars", "method", "json"], partial: ["at", "vars", "var", "method", "json"], jacobian: ["at", "vars", "method", "json"],
  hessian: ["at", "vars", "method", "json"], div: ["at", "vars", "method", "json"], curl: ["at", "vars", "method", "json"],
  check: ["at", "vars", "json"], derive: ["var", "explain", "json"], fit: ["data", "p0", "response", "json"],
};

function parseArgs(argv) {
  const args = { exprs: [], flags: {} };
  const set = (key, value) => {
    if (Object.hasOwn(args.flags, key)) throw new UsageError(`--${key} is given twice`);
    args.flags[key] = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json" || a === "--explain" || a === "--help" || a === "-h") args.flags[a === "-h" ? "help" : a.slice(2)] = true;
    else if (VALUE_FLAGS.includes(a.slice(2))) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      set(a.slice(2), argv[++i]);
    } else if (a.startsWith("--") && a.includes("=")) {
      const [k, v] = [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
      if (!VALUE_FLAGS.includes(k)) throw new UsageError(`unknown option --${k}`);
      set(k, v);
    } else if (a.startsWith("--")) throw new UsageError(`unknown option ${a}`);
    // (-y is an expression; -at an option with one dash too few)
    else if ([...VALUE_FLAGS, "json", "explain", "help"].includes(a.slice(1))) throw new UsageError(`unknown option ${a}: options take two dashes (-${a})`);
    else args.exprs.push(a);
  }
  return args;
}

/** A value of --at: a number, or an expression of constants (pi/4, 2*e, -1/3). */
function atValue(s) {
  if (s === "") throw new PointError("--at has an empty value");
  const v = Number(s);
  if (Number.isFinite(v) || /^[-+]?(Infinity|NaN)$/.test(s)) return v;
  let f;
  try {
    f = compile(s);
  } catch (error) {
    if (error instanceof GradientsError) throw new PointError(`--at: '${s}' is not a number or an expression of constants (${error.message})`);
    throw error;
  }
  if (f.n !== 0) throw new PointError(`--at: '${s}' must be a number or an expression of constants such as pi/4; it uses ${f.vars.join(", ")}`);
  return f.eval([]);
}

/** The variables' names as the expressions first use them (pi and e and function names aside). */
function appearanceOrder(exprs) {
  const seen = [];
  for (const e of exprs) {
    // whole names only (not the e3 of 1e3), and not a function's (sin in sin(x))
    for (const m of e.matchAll(/(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*/g)) {
      if (/^\s*\(/.test(e.slice(m.index + m[0].length))) continue;
      if (m[0] !== "pi" && m[0] !== "e" && !seen.includes(m[0])) seen.push(m[0]);
    }
  }
  return seen;
}

/** `text` split at the commas outside parentheses: x=atan2(1,2),y=1 is two values. */
function splitTopLevel(text) {
  const parts = [];
  let depth = 0, start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (text[i] === "," && depth === 0) { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * The variables and the point from --vars and --at. Without --vars the variables
 * are in natural order (x < y < z), as compile orders them; values by name go
 * to their variables, values in order follow that order — refused for a vector
 * field whose expressions meet their names in another order, where a reader
 * could take either for the field's axes.
 */
function readPoint(flags, exprs, command) {
  if (flags.at === undefined) throw new UsageError("give the point with --at, e.g. --at x=1,y=2");
  const parts = splitTopLevel(String(flags.at)).map((s) => s.trim()).filter((s) => s !== "");
  const named = parts.every((p) => p.includes("="));
  if (!named && parts.some((p) => p.includes("="))) throw new UsageError("--at takes all values by name (x=1,y=2) or all in order (1,2)");
  const given = flags.vars ? String(flags.vars).split(",").map((s) => s.trim()) : undefined;
  const twice = given?.find((v, i) => given.indexOf(v) !== i);
  if (twice !== undefined) throw new UsageError(`--vars lists ${twice} twice`);
  const vars = given ?? compile(exprs.length === 1 ? exprs[0] : exprs).vars;
  if (vars.length === 0) throw new PointError(`the expressions have no variables: there is nothing to give --at for`);
  if (named) {
    const names = parts.map((p) => p.slice(0, p.indexOf("=")).trim());
    const repeated = names.find((k, i) => names.indexOf(k) !== i);
    if (repeated !== undefined) throw new PointError(`--at gives ${repeated} twice`);
    const map = new Map(parts.map((p, i) => [names[i], atValue(p.slice(p.indexOf("=") + 1).trim())]));
    const unknown = names.filter((k) => !vars.includes(k));
    if (unknown.length) throw new PointError(`--at names ${unknown.join(", ")}, which the expressions do not use (the variables are ${vars.join(", ")})`);
    const missing = vars.filter((v) => !map.has(v));
    if (missing.length) throw new PointError(`--at has no value for ${missing.join(", ")}`);
    return { vars: [...vars], x: vars.map((v) => map.get(v)) };
  }
  if (!given && ["div", "curl", "jacobian"].includes(command)) {
    const met = appearanceOrder(exprs);
    if (met.some((v, i) => v !== vars[i])) {
      throw new UsageError(`the expressions use ${met.join(", ")} in that order, but the variables (and the field's axes) are in natural order, ${vars.join(", ")}: ` +
        `give the point by name (--at ${vars.map((v) => `${v}=…`).join(",")}) or the order with --vars`);
    }
  }
  if (parts.length !== vars.length) throw new PointError(`--at has ${parts.length} value${parts.length === 1 ? "" : "s"} for ${vars.length} variable${vars.length === 1 ? "" : "s"} (${vars.join(", ")})`);
  return { vars: [...vars], x: parts.map(atValue) };
}

const fmt = (v) => (Object.is(v, -0) ? "0" : String(v));

/** Columns right-aligned under their headers, left-aligned labels. */
function table(header, rows) {
  const cells = [header, ...rows].map((r) => r.map(String));
  const widths = cells[0].map((_, j) => Math.max(...cells.map((r) => r[j].length)));
  return cells.map((r) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join("  ").trimEnd()).join("\n");
}

function run(argv, out) {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError(`a command is needed\n\n${HELP}`);
  if (command === "--help" || command === "-h" || command === "help") return out(HELP), 0;
  if (command === "--version") {
    out(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
    return 0;
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(", ")})`);
  const { exprs, flags } = parseArgs(rest);
  if (flags.help) return out(`usage: gradients ${spec.usage}\n\n${spec.about}.`), 0;
  const foreign = Object.keys(flags).filter((k) => !COMMAND_FLAGS[command].includes(k));
  if (foreign.length) throw new UsageError(`${command} takes no --${foreign[0]} (usage: gradients ${spec.usage})`);
  if (exprs.length === 0) throw new UsageError(`${command} needs an expression: gradients ${spec.usage}`);
  const json = flags.json === true;
  const mode = flags.method ?? "auto";
  if (!["auto", "forward", "reverse", "fd"].includes(mode)) throw new UsageError(`--method must be auto, forward, reverse or fd, got '${mode}'`);
  const options = { mode };
  // (JSON has no ∞ or NaN: they are written as the strings "Infinity", "-Infinity" and "NaN", not as null)
  const print = (data, text) => out(json ? JSON.stringify({ command, ...data }, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v)) : text);

  if (command === "derive") {
    if (exprs.length !== 1) throw new UsageError("derive takes one expression");
    const v = flags.var ?? compile(exprs[0]).vars[0];
    if (v === undefined) throw new UsageError("the expression has no variable: give --var");
    if (flags.explain) {
      const { result, steps } = derivative(exprs[0], v, { explain: true });
      const lines = steps.map((s) => `  ${s.rule}\n      d/d${v} ${s.of} = ${s.is}`);
      print({ variable: v, derivative: result, steps }, `d/d${v} ${exprs[0]} = ${result}\n\nsteps:\n${lines.join("\n")}`);
    } else {
      const result = derivative(exprs[0], v);
      print({ variable: v, derivative: result }, `d/d${v} ${exprs[0]} = ${result}`);
    }
    return 0;
  }

  if (command === "fit") return runFit(exprs, flags, print);

  const scalar = command === "grad" || command === "hessian" || command === "check";
  if (scalar && exprs.length !== 1) throw new UsageError(`${command} takes one expression (use jacobian for several)`);
  if (command === "curl" && exprs.length !== 2 && exprs.length !== 3) {
    throw new ShapeError(`curl is defined for fields of 2 or 3 components; got ${exprs.length} expression${exprs.length === 1 ? "" : "s"}`);
  }
  const { vars, x } = readPoint(flags, exprs, command);
  const f = compile(exprs.length === 1 && command !== "div" && command !== "curl" && command !== "jacobian" ? exprs[0] : exprs, { vars });
  const at = `at (${vars.join(", ")}) = (${x.map(fmt).join(", ")})`;
  const data = { vars, at: x };
  switch (command) {
    case "grad": {
      const g = Array.from(f.grad(x, options));
      print({ ...data, gradient: g }, `${at}\n${table(["", "∂f"], vars.map((v, i) => [`∂/∂${v}`, fmt(g[i])]))}`);
      break;
    }
    case "partial": {
      if (flags.var === undefined && vars.length > 1) throw new UsageError(`partial needs --var, the variable to differentiate by (${vars.join(", ")})`);
      const v = flags.var ?? vars[0];
      if (!vars.includes(v)) throw new UsageError(`--var ${v} is not one of the variables (${vars.join(", ")})`);
      const p = f.partial(v, x, { mode: mode === "reverse" ? "auto" : mode });
      const values = typeof p === "number" ? [p] : Array.from(p);
      print({ ...data, variable: v, partial: typeof p === "number" ? p : values },
        `${at}\n${table(["", `∂/∂${v}`], exprs.map((e, i) => [e, fmt(values[i])]))}`);
      break;
    }
    case "jacobian": {
      const J = f.jacobian(x, options), n = vars.length;
      const rows = exprs.map((e, i) => [e, ...vars.map((_, j) => fmt(J.data[i * n + j]))]);
      print({ ...data, jacobian: J.toArray() }, `${at}\n${table(["", ...vars.map((v) => `∂/∂${v}`)], rows)}`);
      break;
    }
    case "hessian": {
      const H = f.hessian(x, { mode: mode === "forward" ? "auto" : mode }), n = vars.length;
      const rows = vars.map((v, i) => [`∂/∂${v}`, ...vars.map((_, j) => fmt(H.data[i * n + j]))]);
      print({ ...data, hessian: H.toArray() }, `${at}\n${table(["", ...vars.map((v) => `∂/∂${v}`)], rows)}`);
      break;
    }
    case "check": {
      const r = checkGrad(f, x);
      const row = (name, c) => [name, fmt(c.disagreement), fmt(c.error), c.ok ? "ok" : c.reliable ? "DISAGREES" : "cannot judge"];
      const rows = [row("gradient, forward", r.forward), row("gradient, reverse", r.reverse), ...(r.hessian ? [row("Hessian", r.hessian)] : [])];
      print({ ...data, ...r }, `${at}
${table(["", "disagreement", "differences' error", ""], rows)}
${r.ok ? "ok" : "not ok"}`);
      if (!r.ok) return 1;
      break;
    }
    case "div": {
      const d = f.divergence(x, { mode: mode === "reverse" ? "auto" : mode });
      print({ ...data, divergence: d }, `${at}\ndivergence = ${fmt(d)}`);
      break;
    }
    case "curl": {
      const c = f.curl(x, { mode: mode === "reverse" ? "auto" : mode });
      if (typeof c === "number") print({ ...data, curl: c }, `${at}\ncurl = ${fmt(c)}`);
      else print({ ...data, curl: Array.from(c) }, `${at}\ncurl = (${Array.from(c).map(fmt).join(", ")})`);
      break;
    }
  }
  return 0;
}

/** Columns of a CSV file by the names in its first row (commas, or whitespace, between values). */
function readCsv(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read --data ${path}: ${error.message}`);
  }
  // Fields between commas (an empty one too) or whitespace; a quoted field ("my y") may hold
  // either, and its quotes are not part of it (set aside, the line split, then put back).
  const fields = (line) => {
    const quoted = [];
    const masked = line.replace(/"([^"]*)"/g, (_, q) => `\u0000${quoted.push(q) - 1}\u0000`);
    return masked.split(/\s*,\s*|\s+/).map((v) => v.replace(/\u0000(\d+)\u0000/g, (_, i) => quoted[Number(i)]));
  };
  // (each row keeps its line number in the file, for messages)
  const rows = text.split(/\r?\n/).map((l, i) => ({ line: i + 1, text: l.trim() }))
    .filter((r) => r.text !== "" && !r.text.startsWith("#")).map((r) => Object.assign(fields(r.text), { line: r.line }));
  if (rows.length < 2) throw new PointError(`--data ${path} needs a header row of column names and at least one row of numbers`);
  const names = rows[0];
  const columns = Object.fromEntries(names.map((n) => [n, new Float64Array(rows.length - 1)]));
  rows.slice(1).forEach((r, i) => {
    if (r.length !== names.length) throw new PointError(`--data ${path}, line ${r.line}: ${r.length} values for ${names.length} columns`);
    r.forEach((v, j) => {
      const x = Number(v);
      if (v.trim() === "" || Number.isNaN(x) && v !== "NaN") throw new PointError(`--data ${path}, line ${r.line}: '${v}' is not a number`);
      columns[names[j]][i] = x;
    });
  });
  return columns;
}

function runFit(exprs, flags, print) {
  if (exprs.length !== 1) throw new UsageError("fit takes one model expression");
  if (flags.data === undefined) throw new UsageError("give the data with --data file.csv");
  if (flags.p0 === undefined) throw new UsageError("give the starting parameters with --p0, e.g. --p0 b1=500,b2=1e-4");
  const p0 = Object.fromEntries(String(flags.p0).split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    const parts = s.split("=").map((t) => t.trim());
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "" || !Number.isFinite(Number(parts[1]))) throw new UsageError(`--p0 takes name=value pairs, got '${s}'`);
    return [parts[0], Number(parts[1])];
  }));
  const columns = readCsv(flags.data), response = flags.response ?? "y";
  if (!Object.hasOwn(columns, response)) {
    throw new PointError(`--data ${flags.data} has no column '${response}' (its columns are ${Object.keys(columns).join(", ")}): name the one the model predicts with --response`);
  }
  const r = fit(exprs[0], columns, p0, { response });
  const rows = r.names.map((b) => [b, fmt(r.p[b]), fmt(r.standardErrors[b])]);
  print({ p: r.p, standardErrors: r.standardErrors, rss: 2 * r.cost, iterations: r.iterations, converged: r.converged, reason: r.reason },
    `${table(["", "value", "std. error"], rows)}
residual sum of squares = ${fmt(2 * r.cost)}
${r.converged ? "converged" : "not converged"} (${r.reason}) after ${r.iterations} iterations`);
  return r.converged ? 0 : 1;
}

/** An error for a person: the message, and for a parse error the expression with a caret under the column. */
function report(error) {
  if (error instanceof UsageError) return { text: `gradients: ${error.message}\n(see gradients --help)`, code: 2 };
  if (error instanceof PointError) return { text: `gradients: ${error.message}`, code: 1 };
  if (error instanceof ParseError) {
    const marker = `  ${error.expression}\n  ${" ".repeat(Math.max(0, error.column - 1))}^`;
    return { text: `gradients: ${error.message}\n${marker}`, code: 1 };
  }
  if (error instanceof GradientsError) return { text: `gradients: ${error.message}`, code: 1 };

  throw error;
}

const argv = process.argv.slice(2);
try {
  process.exitCode = run(argv, (text) => process.stdout.write(`${text}\n`));
} catch (error) {
  const { text, code } = report(error);
  if (argv.includes("--json")) process.stdout.write(`${JSON.stringify({ error: text.split("\n")[0].replace(/^gradients: /, ""), code })}\n`);
  process.stderr.write(`${text}\n`);
  process.exitCode = code;
}
