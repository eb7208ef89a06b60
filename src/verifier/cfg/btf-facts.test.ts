// bpf_check_btf_info's subprog checks (kernel: check_btf_func, check_abnormal_return):
// selftests verifier_ld_ind.c ld_abs_void_subprog_reject / ld_ind_void_subprog_reject
// ("LD_ABS is only allowed in functions that return 'int'.").
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RawInsn } from "../../isa/raw.js";
import { BtfWriter, parseBtf } from "../../btf/index.js";
import { VerifierLog } from "../log/vlog.js";
import { checkBtfFunc, runPrePasses } from "./index.js";

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm });
const movK = (dst: number, imm: number) => I(0xb7, dst, 0, 0, imm);
const exit = () => I(0x95);
const callPc = (off: number) => I(0x85, 0, 1, 0, off);
const ldAbsW = (imm: number) => I(0x20, 0, 0, 0, imm);
const tailCall = () => I(0x85, 0, 0, 0, 12);

/** main calls a subprog at insn 3 whose body is `body`; the subprog's BTF returns `ret`. */
function prog(body: RawInsn[], ret: "void" | "int" | "enum" | "typedef-int" | "ptr") {
  const w = new BtfWriter();
  const int = w.int("int", 4, 1);
  const retId = { void: 0, int, enum: w.enum("e", 4, [["A", 0]]), "typedef-int": w.typedef("t", int), ptr: w.ptr(int) }[ret];
  const main = w.func("main", w.funcProto(int, []), 1);
  const sub = w.func("sub", w.funcProto(retId, []), 0);
  const btf = parseBtf(w.build());
  const insns = [callPc(2), movK(0, 0), exit(), ...body];
  const funcInfo = [{ insnOff: 0, typeId: main }, { insnOff: 3, typeId: sub }];
  return { insns, btf, funcInfo };
}

function check(p: ReturnType<typeof prog>, withBtf = true) {
  const log = new VerifierLog(1, 1 << 20);
  const checkBtfInfo = withBtf ? checkBtfFunc(p.btf, p.funcInfo) : checkBtfFunc(undefined, []);
  const r = runPrePasses({ insns: p.insns, maps: [] }, log, { checkBtfInfo, stopAfter: "bpf_check_btf_info" });
  return r.ok ? "ok" : `${r.pass}: ${r.message}`;
}

test("LD_ABS/LD_IND and tail calls only in subprogs returning a scalar", () => {
  const ld = [ldAbsW(0), exit()];
  assert.equal(check(prog(ld, "void")), "bpf_check_btf_info: LD_ABS is only allowed in functions that return 'int'.\n");
  assert.equal(check(prog(ld, "ptr")), "bpf_check_btf_info: LD_ABS is only allowed in functions that return 'int'.\n");
  // small ints and enums count as scalars, behind modifiers and typedefs too
  for (const ret of ["int", "enum", "typedef-int"] as const) assert.equal(check(prog(ld, ret)), "ok", ret);
  const tc = [tailCall(), movK(0, 0), exit()];
  assert.equal(check(prog(tc, "void")), "bpf_check_btf_info: tail_call is only allowed in functions that return 'int'.\n");
  assert.equal(check(prog(tc, "int")), "ok");
  // a subprog without either is fine whatever it returns
  assert.equal(check(prog([movK(0, 0), exit()], "void")), "ok");
});

test("without func_info a subprog may not use LD_ABS or tail calls at all", () => {
  assert.equal(check(prog([ldAbsW(0), exit()], "int"), false), "bpf_check_btf_info: LD_ABS is not allowed in subprogs without BTF\n");
  assert.equal(check(prog([tailCall(), movK(0, 0), exit()], "int"), false), "bpf_check_btf_info: tail_call is not allowed in subprogs without BTF\n");
  // the main program may
  const main = { insns: [ldAbsW(0), exit()], btf: prog([], "int").btf, funcInfo: [] };
  assert.equal(check(main, false), "ok");
});
