// The compiled tier at run time: a kernel's sweeps as generated WebAssembly
// (compiler/sweep-code.ts), compiled per sweep plan on demand and run in place
// of the core's interpreter on the same descriptor, with the same results to the
// bit. When the engine refuses to compile generated code (a page whose CSP lacks
// 'wasm-unsafe-eval'), or the tape has det, inv, solve or host blocks (or fused
// groups, for a reverse sweep: program.ts) or is too large, the interpreter runs:
// a tier may be skipped, never give other numbers.
import { core, coreBinary, generation } from "./loader.js";
import { readCore, type CoreCode } from "../compiler/core-code.js";
import { Kind, OP_NAMES } from "../ops/abi.js";
import { programOf, stepCount, type Program } from "../compiler/program.js";
import { callsCoreInRuns, coreCallShare, PARTIAL_ONLY, pointExport, pointModes, sweepModule, workBytes, type SweepPlan } from "../compiler/sweep-code.js";
import type { TapeData } from "../compiler/tape.js";

/**
 * "auto": compile a plan the second time it is used, or at once for a batch
 * whose ops are all emitted inline or have the core's point rules (sin, exp …);
 * "always": on first use; "never": interpret.
 */
export type TierPolicy = "auto" | "always" | "never";

function initialPolicy(): TierPolicy {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.GRADIENTS_TIER;
  return env === "interpreter" ? "never" : env === "compiled" ? "always" : "auto";
}

let policy: TierPolicy = initialPolicy();
/** Set once an engine has refused generated code: no further attempts. */
let refused = false;

/**
 * Chooses when functions run as generated WebAssembly: "auto" (the default:
 * from a plan's second call on, or at once for a batch), "always" (from the
 * first call) or "never" (the core's interpreter only; results are the same
 * to the bit either way). The environment variable GRADIENTS_TIER=interpreter
 * or =compiled sets it at load.
 */
export function setCompiledTier(p: TierPolicy): void {
  policy = p;
  refused = false; // (and an engine that refused may be asked again)
  tierChanges++;
}

/** setCompiledTier calls so far: a one-point call repeated from before the last one sets its sweep up again (Kernel). */
export let tierChanges = 0;

/** The policy in force. */
export function compiledTier(): TierPolicy {
  return refused ? "never" : policy;
}

/** A compiled plan: its run function in the live instance, and the work it needs. */
interface Entry {
  run: (descriptor: number, work: number) => void;
  work: number;
  generation: number;
  module: WebAssembly.Module;
}

/** The share of steps calling the core's op table from which "auto" interprets a batch. */
const CORE_SHARE = 1 / 8;

/** Terms of all sums together from which a program's value sweeps stay with the interpreter (see programFor). */
const SUM_TERMS = 1024;

/** Points from which a call counts as a batch under "auto". */
const BATCH_POINTS = 16;

/**
 * Steps × sweeps past which "auto" interprets a one-point call of several
 * sweeps (a dense Jacobian of many inputs) that nothing compiled ahead. Each sweep's lanes are seeded in its own code (so
 * that structural zeros stay zeros, bit for bit), so such a call would generate
 * one module per sweep: at 63 sweeps over an 8,000-instruction tape, 0.4–7.6 s
 * of compiling, against an interpreter whose dispatch 16 lanes share already.
 */
const SWEEP_CODE_BUDGET = 100_000;

/** One kernel's compiled sweeps, by plan. */
export class CompiledSweeps {
  /** The tape's program, its sums made chains of additions (programOf). */
  private program: Program | null | undefined;
  private readonly entries = new Map<string, Entry | null>();
  private readonly uses = new Map<string, number>();
  /** Whether the program has runs of an op the core computes (then "auto" interprets it). */
  private coreRuns?: boolean;
  /** The share of its steps that call the core's op table (coreCallShare). */
  private coreShare?: number;
  /** The largest `work` any plan asked for (the kernel allocates it). */
  workNeeded = 0;

  constructor(private readonly tape: TapeData) {}

  /** Whether this tape's reverse sweep of `count` points may run compiled (false: the interpreter runs it). */
  mayRun(count: number): boolean {
    const mode = compiledTier(), program = mode === "never" ? null : this.programFor("r");
    return program !== null && !(mode === "auto" && this.autoInterprets(program, count));
  }

  /**
   * Whether "auto" leaves a call of `count` points to the interpreter whatever
   * its plan. A batch of a program much of which calls the core's op table (pow,
   * atan2, gamma …) point by point runs slower than the interpreter's blocks,
   * which apply each rule to a block of points per call (measured: 3.98× against
   * 1.21× the hand-written loop for a 3×3 Jacobian at 100,000 points, a sixth of
   * whose steps were pow); ops with a point rule of their own (sin, exp, log …)
   * run faster compiled, and so does a program with a few such calls among many
   * steps (the k-means Hessian diagonal of bench/workloads.mjs, 8% min and
   * comparisons: 3.8 s against 22.7 s). Likewise a vector op the core computes
   * (tanh over a whole run) at one point.
   */
  private autoInterprets(program: Program, count: number): boolean {
    if (count >= BATCH_POINTS && (this.coreShare ??= coreCallShare(program, (op) => pointRules()[op] > 0)) >= CORE_SHARE) return true;
    return (this.coreRuns ??= callsCoreInRuns(program));
  }

  /**
   * The program a plan's sweep runs (its key starts with "r" for a reverse one, "v" for
   * values), or null: the interpreter runs it. Sweeps the interpreter runs better or
   * only it can match to the bit stay with it:
   * - reverse sweeps of a tape with fused groups: the groups' loops add an entry's
   *   adjoint terms in orders of their own;
   * - values of a tape with fused groups (the tensor chains' fast path, which generated
   *   code would take step by step, many times slower);
   * - values and reverse sweeps of a tape whose sums have SUM_TERMS terms or more in all
   *   (the interpreter's sums are SIMD passes; a chain of additions through memory costs
   *   several times as much).
   * Their tangents, which the interpreter carries lane by lane, stay compiled. A reverse
   * sweep of a sum's chain gives each term the sum's adjoint, exactly as the core's sum
   * does: with one lane every adjoint is formed as 0 + its terms, never −0, so 0 + w̄ is w̄,
   * and a dot product's run, which reads its sum's adjoint directly, reads the same.
   */
  private programFor(key: string): Program | null {
    if (this.program === undefined) this.program = programOf(this.tape);
    const p = this.program, fused = this.tape.fusedGroups > 0;
    if ((key[0] === "r" || key[0] === "v") && p && (fused || p.sumTerms >= SUM_TERMS)) return null;
    return p;
  }

  /**
   * The run function for a plan; null when the interpreter runs it (not
   * compilable, refused by the engine, or the policy is "never"); undefined
   * when it is not compiled yet ("auto" waits for the second call).
   */
  runner(key: string, plan: () => SweepPlan, sizes: () => readonly number[], count: number, sweeps: number): Entry | null | undefined {
    const mode = compiledTier();
    if (mode === "never") return null;
    const program = this.programFor(key);
    if (!program) return null;
    if (mode === "auto" && sweeps > 1 && count < BATCH_POINTS && sweeps * stepCount(program) > SWEEP_CODE_BUDGET &&
        !this.entries.get(key)) return null; // (what prepare compiled ahead runs; a batch pays for its compiling)
    if (mode === "auto" && this.autoInterprets(program, count)) return null;
    let entry = this.entries.get(key);
    if (entry === null) return null;
    if (entry && entry.generation === generation) return entry;
    if (!entry && mode === "auto" && count < BATCH_POINTS) {
      const n = (this.uses.get(key) ?? 0) + 1;
      this.uses.set(key, n);
      if (n < 2) return undefined;
    }
    entry = this.compile(program, plan(), sizes(), entry);
    this.entries.set(key, entry);
    return entry;
  }

  /** Compiles a plan now, whatever the policy's wait (not under "never"): for compiling ahead (Func.prepare). */
  compileAhead(key: string, plan: () => SweepPlan, sizes: readonly number[]): void {
    const program = compiledTier() === "never" ? null : this.programFor(key);
    const entry = this.entries.get(key);
    if (!program || entry === null || (entry && entry.generation === generation)) return;
    this.entries.set(key, this.compile(program, plan(), sizes, entry));
  }

  private compile(p: Program, plan: SweepPlan, sizes: readonly number[], old: Entry | undefined | null): Entry | null {
    let module = old?.module;
    if (!module) {
      const rules = pointRules();
      const bytes = sweepModule(p, plan, sizes, core().ruleCell(), (op) => rules[op], (coreCode ??= readCore(coreBinary())));
      if (!bytes) return null;
      try {
        module = new WebAssembly.Module(bytes as BufferSource);
      } catch (error) {
        // A page's CSP refusing generated code refuses it all: interpret from now on. Any other
        // refusal (a module past an engine limit) concerns this plan only, which interprets.
        if (/unsafe-eval|content security policy|\bCSP\b/i.test(String((error as Error)?.message))) refused = true;
        return null;
      }
    }
    const exports = new WebAssembly.Instance(module, { env: moduleImports() }).exports;
    const work = workBytes(p, plan);
    this.workNeeded = Math.max(this.workNeeded, work);
    return { run: exports.run as Entry["run"], work, generation, module };
  }
}

/**
 * Per op, the core's point rule for it (`hasPointRule`: 0 none, 1 never scaled, 2 may scale; plus 4 where it
 * gives the partial alone, `hasPartialOnly`), for the live instance; 0 for one without its own exports
 * (`<name>Point<mode>`), which generated code then calls through scalarRule1, with the same bits
 * (test/api/tiers.test.ts names any such op).
 */
function pointRules(): Uint8Array {
  if (!pointRuleOps || pointRulesOf !== generation) {
    const c = core(), exported = c as unknown as Record<string, unknown>;
    pointRuleOps = Uint8Array.from({ length: OP_NAMES.length },
      (_, op) => (typeof exported[pointExport(op, 1)] === "function" ? c.hasPointRule(op) | (c.hasPartialOnly(op) ? PARTIAL_ONLY : 0) : 0));
    pointRulesOf = generation;
  }
  return pointRuleOps;
}
let pointRuleOps: Uint8Array | undefined;
/** The core's functions, read once from its binary, that generated modules inline (null: none can be carried). */
let coreCode: CoreCode | null | undefined;
let pointRulesOf = -1;

/** What generated modules import from the live instance: its memory, the rules at one point, and each op's point rule alone. */
function moduleImports(): WebAssembly.ModuleImports {
  if (!imports || importsOf !== generation) {
    const c = core() as unknown as Record<string, WebAssembly.ImportValue>, rules = pointRules();
    imports = { memory: c.memory, scalarRule: c.scalarRule, scalarRule1: c.scalarRule1 };
    rules.forEach((rule, op) => { for (const mode of rule ? pointModes(rule) : []) imports![pointExport(op, mode)] = c[pointExport(op, mode)]; });
    importsOf = generation;
  }
  return imports;
}
let imports: WebAssembly.ModuleImports | undefined;
let importsOf = -1;

/** The plan key and plan of a forward sweep with identity seeds (Jacobian columns), one dense lane, or colors. */
export function forwardPlan(lanes: number, lane0: number, nIn: number, dense: boolean, colors: Int32Array | undefined): [string, () => SweepPlan] {
  if (dense) return ["f:dense", () => ({ kind: Kind.Forward, lanes: 1, own: null })];
  const key = `f:${lanes}:${lane0}${colors ? `:c${colorsId(colors)}` : ""}`;
  return [key, () => ({
    kind: Kind.Forward, lanes,
    own: Int32Array.from({ length: nIn }, (_, i) => (colors ? colors[i] : i) - lane0),
  })];
}

const colorIds = new WeakMap<Int32Array, number>();
let nextColorId = 0;
function colorsId(colors: Int32Array): number {
  let id = colorIds.get(colors);
  if (id === undefined) colorIds.set(colors, (id = nextColorId++));
  return id;
}
