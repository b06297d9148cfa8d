// A compiled tape written into WebAssembly memory as the core reads it: the
// header (the generated TAPE fields), then the constants, the instructions, the
// output slots and the block ops' slot lists (assembly/core/tape.ts).
import { allocate, core, f64, i32 } from "./loader.js";
import { TAPE, TAPE_FIELDS } from "../ops/abi.js";
import type { TapeData } from "../compiler/tape.js";

/** Bytes of the tape header, padded to 16 so the constants that follow are aligned. */
const TAPE_HEADER_BYTES = (4 * TAPE_FIELDS + 15) & ~15;

/** Allocates and writes `t`; `fusedBase` is the function-table entry of its fused loops (0: none). Returns its address. */
export function writeTape(t: TapeData, fusedBase: number): number {
  const nInstr = t.instr.length / 4;
  const constAt = TAPE_HEADER_BYTES, instrAt = constAt + 8 * t.consts.length;
  const outAt = instrAt + 16 * nInstr, auxAt = outAt + 4 * t.outSlots.length;
  const base = allocate(auxAt + 4 * t.aux.length, "a compiled function's tape");
  const header = i32(), h = base >> 2;
  header[h + TAPE.nInstr] = nInstr;
  header[h + TAPE.instr] = base + instrAt;
  header[h + TAPE.nConst] = t.consts.length;
  header[h + TAPE.consts] = base + constAt;
  header[h + TAPE.nSlots] = t.nSlots;
  header[h + TAPE.nIn] = t.nIn;
  header[h + TAPE.nOut] = t.outSlots.length;
  header[h + TAPE.outSlots] = base + outAt;
  header[h + TAPE.aux] = base + auxAt;
  header[h + TAPE.blockScratch] = t.maxBlock > 0 ? core().blockScratchBytes(t.maxBlock) : 0;
  header[h + TAPE.maxRun] = t.maxRun;
  header[h + TAPE.fusedBase] = fusedBase;
  header[h + TAPE.fusedZero] = t.fusedZero;
  header[h + TAPE.allInputs] = t.allInputs ? 1 : 0;
  header[h + TAPE.inputsKept] = t.inputsKept ? 1 : 0;
  header[h + TAPE.adjointFirsts] = t.adjointFirsts;
  header[h + TAPE.adjointZero] = t.adjointZero;
  f64().set(t.consts, (base + constAt) >> 3);
  i32().set(t.instr, (base + instrAt) >> 2);
  i32().set(t.outSlots, (base + outAt) >> 2);
  i32().set(t.aux, (base + auxAt) >> 2);
  return base;
}
