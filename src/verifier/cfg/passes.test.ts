// Hand-written programs for each pre-pass; expectations follow the kernel's
// rules (kernel/bpf/cfg.c, const_fold.c, liveness.c, verifier.c), worked out by hand.
import { test } from "node:test";
import assert from "node:assert/strict";
import type { RawInsn } from "../../isa/raw.js";
import { VerifierLog } from "../log/vlog.js";
import { runPrePasses, type RunPrePassOptions } from "./index.js";

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm });
const movK = (dst: number, imm: number) => I(0xb7, dst, 0, 0, imm);
const movX = (dst: number, src: number) => I(0xbf, dst, src);
const exit = () => I(0x95);
const ja = (off: number) => I(0x05, 0, 0, off);
const jgtK = (dst: number, imm: number, off: number) => I(0x25, dst, 0, off, imm);
const jeqK = (dst: number, imm: number, off: number) => I(0x15, dst, 0, off, imm);
const call = (imm: number) => I(0x85, 0, 0, 0, imm);
const callPc = (off: number) => I(0x85, 0, 1, 0, off);
const ldImm64 = (dst: number, lo: number, hi = 0): RawInsn[] => [I(0x18, dst, 0, 0, lo), I(0, 0, 0, 0, hi)];

function run(insns: RawInsn[], opts: RunPrePassOptions = {}, level = 2) {
  const log = new VerifierLog(level, 1 << 20);
  const r = runPrePasses({ insns, maps: [] }, log, opts);
  return { r, text: log.text() };
}

test("subprogs: func#N lines at level 2, in start order", () => {
  const { r, text } = run([callPc(2), movK(0, 0), exit(), callPc(1), exit(), movK(0, 1), exit()], {
    subprogName: (i) => ["main", "a", "b"][i]!,
  });
  assert.ok(r.ok);
  assert.match(text, /^func#0 @0\nfunc#1 @3\nfunc#2 @5\n/);
  assert.deepEqual(r.env.subprogs.map((s) => s.start), [0, 3, 5, 7]); // with the sentinel
  // b is a leaf, a calls b, main calls a.
  assert.match(text, /topo_order\[0\] = b\ntopo_order\[1\] = a\ntopo_order\[2\] = main\n/);
});

test("subprogs: a jump may not leave its subprog, and a subprog may not fall through", () => {
  const out = run([callPc(1), ja(1), exit(), exit()]);
  assert.equal(out.r.ok, false);
  assert.ok(!out.r.ok && out.r.message === "jump out of range from insn 1 to 3\n");
  const fall = run([callPc(1), exit(), movK(0, 0)]);
  assert.ok(!fall.r.ok && fall.r.message === "last insn is not an exit or jmp\n");
  const bad = run([callPc(5), exit()]);
  assert.ok(!bad.r.ok && bad.r.message === "call to invalid destination\n");
});

test("check_cfg: unreachable code, ldimm64 halves, back-edges when unprivileged", () => {
  const u = run([movK(0, 0), exit(), movK(0, 1), exit()], {}, 1);
  assert.ok(!u.r.ok && u.r.message === "unreachable insn 2\n" && u.r.pass === "bpf_check_cfg");
  assert.equal(u.text, "unreachable insn 2\n");
  const mid = run([jeqK(1, 0, 1), ...ldImm64(0, 1), exit()]);
  assert.ok(!mid.r.ok && mid.r.message === "jump into the middle of ldimm64 insn 1\n");
  const loop = [movK(0, 0), jeqK(0, 0, -2), exit()];
  assert.ok(run(loop).r.ok, "a privileged program may loop");
  const seen: number[] = [];
  const unpriv = run(loop, { bpfCapable: false, printLinfo: (i) => seen.push(i) });
  assert.ok(!unpriv.r.ok && unpriv.r.message === "back-edge from insn 1 to 0\n");
  assert.deepEqual(seen, [1, 0]);
});

test("check_cfg: prune, jump and checkpoint points", () => {
  const helper = () => ({ numParams: 2, isVoid: false, fastcall: false, mightSleep: false, changesPktData: false });
  const { r } = run(
    [movK(1, 0), jgtK(1, 3, 2), call(181), ja(0), movK(0, 0), exit()],
    { helper, isSyncCallbackCalling: (i) => i.code === 0x85 && i.imm === 181 },
  );
  assert.ok(r.ok);
  const aux = r.env.aux;
  // Conditional jump: prune point at the jump, prune+jmp point and jump target at its target.
  assert.ok(aux[1]!.prunePoint && !aux[1]!.jmpPoint);
  assert.ok(aux[4]!.prunePoint && aux[4]!.jmpPoint && aux[4]!.jumpTarget);
  // Callback-calling helper: forced checkpoint and its own SCC (implicit loop).
  assert.ok(aux[2]!.callsCallback && aux[2]!.forceCheckpoint && aux[2]!.prunePoint && aux[2]!.jmpPoint);
  assert.ok(aux[2]!.scc > 0);
  // After a call: prune and jmp point (non-linear history on return).
  assert.ok(aux[3]!.prunePoint && aux[3]!.jmpPoint);
  // goto +0 lands on 4: already a target.
  assert.equal(aux[0]!.prunePoint, false);
});

test("const fold: a decided branch becomes an unconditional jump", () => {
  // r1 = 5; if r1 > 3 goto +1; r0 = 1; r0 = 0; exit — the branch is always taken.
  const { r, text } = run([movK(1, 5), jgtK(1, 3, 1), movK(0, 1), movK(0, 0), exit()]);
  assert.ok(r.ok);
  assert.deepEqual(r.env.insns[1], { code: 0x05, dst: 0, src: 0, off: 1, imm: 0 });
  assert.deepEqual(r.rewrittenBranches, [1]);
  assert.equal(r.env.aux[1]!.constRegMask, 1 << 1);
  assert.equal(r.env.aux[1]!.constRegVals[1], 5);
  // Insn 2 is now dead: nothing is live before it (it is outside the postorder).
  assert.ok(text.includes("      2: .......... \n"));
  // Never taken: goto +0.
  const nt = run([movK(1, 2), jgtK(1, 3, 1), movK(0, 1), exit()]).r;
  assert.ok(nt.ok && nt.env.insns[1]!.off === 0 && nt.env.insns[1]!.code === 0x05);
  // Constants above u32 are not recorded, so no rewrite.
  const big = run([...ldImm64(1, 0, 1), jgtK(1, 3, 1), movK(0, 1), exit()]).r;
  assert.ok(big.ok && big.env.insns[2]!.code === 0x25);
  // A join of two different constants is unknown.
  const join = run([jeqK(2, 0, 2), movK(1, 1), ja(1), movK(1, 2), jeqK(1, 1, 0), movK(0, 0), exit()]).r;
  assert.ok(join.ok && join.env.insns[4]!.code === 0x15);
});

test("topo sort: recursion is an error, callback references are not", () => {
  const names = { subprogName: (i: number) => ["main", "f"][i]! };
  const rec = run([callPc(1), exit(), callPc(-1), exit()], names);
  assert.ok(!rec.r.ok && rec.r.message === "recursive call from f() to f()\n");
  // f takes its own address (ld_imm64 BPF_PSEUDO_FUNC): allowed.
  const self = run([callPc(1), exit(), I(0x18, 1, 4, 0, -1), I(0), movK(0, 0), exit()], names);
  assert.ok(self.r.ok);
});

test("live registers: table text and the default call/exit uses", () => {
  const helper = (imm: number) => (imm === 1 ? { numParams: 2, isVoid: false, fastcall: false, mightSleep: false, changesPktData: false } : undefined);
  const insns = [movK(2, 0), movX(6, 1), call(1), movX(0, 6), exit()];
  const { r, text } = run(insns, { helper, printInsn: (p, i) => `(${p[i]!.code.toString(16)})\n` });
  assert.ok(r.ok);
  const table = text.slice(text.indexOf("Live regs before insn:\n"));
  assert.equal(
    table,
    "Live regs before insn:\n" +
      "      0: .1........ (b7)\n" +
      "      1: .12....... (bf)\n" +
      "      2: .12...6... (85)\n" +
      "      3: ......6... (bf)\n" +
      "      4: 0......... (95)\n",
  );
  // Unknown helper: R1-R5 are read.
  const u = run([call(7), exit()]).r;
  assert.ok(u.ok && u.env.aux[0]!.liveRegsBefore === 0b111110);
});

test("SCC: a loop's insns share an id, straight code has none", () => {
  const { r } = run([movK(0, 0), I(0x07, 0, 0, 0, 1), jgtK(0, 10, -2), exit()]);
  assert.ok(r.ok);
  const scc = r.env.aux.map((a) => a.scc);
  assert.equal(scc[0], 0);
  assert.ok(scc[1]! > 0 && scc[1] === scc[2]);
  assert.equal(scc[3], 0);
});

test("insn validity: exact messages", () => {
  const msg = (insns: RawInsn[]) => {
    const r = run(insns, {}, 1).r;
    return r.ok ? "" : r.message;
  };
  assert.equal(msg([I(0x8c, 0), exit()]), "unknown opcode 8c\n");
  assert.equal(msg([I(0x0f, 0, 1, 1), exit()]), "BPF_ALU uses reserved fields\n"); // add with off=1
  assert.equal(msg([I(0xb7, 12), exit()]), "R12 is invalid\n");
  assert.equal(msg([I(0x18, 0, 0, 0, 0), exit()]), "invalid bpf_ld_imm64 insn\n");
  assert.equal(msg([I(0x18, 0, 9), I(0), exit()]), "unrecognized bpf_ld_imm64 insn\n");
  assert.equal(msg([I(0x95, 0, 0, 0, 1)]), "BPF_EXIT uses reserved fields\n");
  assert.equal(msg([I(0xe5, 0, 0, 0, 3), exit()]), "invalid may_goto imm 3\n");
  assert.equal(msg([I(0xdc, 0, 0, 0, 8), exit()]), "BPF_END uses reserved fields\n");
});

test("fastcall: spill/fill pairs around a fastcall helper are marked", () => {
  const helper = () => ({ numParams: 0, isVoid: false, fastcall: true, mightSleep: false, changesPktData: false });
  // *(u64 *)(r10 -8) = r1; call; r1 = *(u64 *)(r10 -8)
  const insns = [movK(1, 0), I(0x7b, 10, 1, -8), call(8), I(0x79, 1, 10, -8), movK(0, 0), exit()];
  const { r } = run(insns, { helper });
  assert.ok(r.ok);
  assert.ok(r.env.aux[1]!.fastcallPattern && r.env.aux[3]!.fastcallPattern);
  assert.equal(r.env.aux[2]!.fastcallSpillsNum, 1);
  // The region [stack_depth .. fastcall_stack_off) holds the spills: it ends
  // one slot above the last matched pair (-8 + 8).
  assert.equal(r.env.subprogs[0]!.fastcallStackOff, 0);
  // A non-fastcall call keeps its pairs: no spills_num, keep_fastcall_stack set.
  const slow = run(insns, { helper: () => ({ ...helper(), fastcall: false }) }).r;
  assert.ok(slow.ok && slow.env.aux[2]!.fastcallSpillsNum === 0 && slow.env.subprogs[0]!.keepFastcallStack);
});

test("stack liveness: use/def listing and the walk's slot-alive query", async () => {
  const { liveStackQueryInit, stackSlotAlive } = await import("./index.js");
  // r1 = 0; *(u64 *)(r10 -8) = r1; r0 = *(u64 *)(r10 -8); exit
  const insns = [movK(1, 0), I(0x7b, 10, 1, -8), I(0x79, 0, 10, -8), exit()];
  const { r, text } = run(insns, { printInsn: (_p, i) => `insn${i}\n`, subprogName: () => "main" });
  assert.ok(r.ok);
  // "%3d: " + insn, padded by bpf_vlog_alignment(10) = 40 - 10 - 1 = 29 spaces, then ';'.
  const listing = text.slice(text.indexOf("stack use/def"), text.indexOf("Live regs"));
  assert.equal(
    listing,
    "stack use/def subprog#0 main (d0,cs0):\n" +
      "  0: insn0\n" +
      `  1: insn1${" ".repeat(29)}; def: fp0-8\n` +
      `  2: insn2${" ".repeat(29)}; use: fp0-8\n` +
      "  3: insn3\n",
  );
  assert.match(text, /^func#0 @0\ntopo_order\[0\] = main\nsubprog#0: analyzing \(depth 0\)\.\.\.\n/);
  const alive = (at: number, half: number) =>
    stackSlotAlive(r.env, liveStackQueryInit(r.env, r.liveness, [{ subprogno: 0, callsite: 0 }], at), 0, half);
  assert.equal(alive(2, 0), true); // read by insn 2
  assert.equal(alive(2, 1), true);
  assert.equal(alive(2, 2), false); // fp-16 is never read
  assert.equal(alive(1, 0), false); // overwritten by insn 1 before the read
  assert.equal(alive(3, 0), false);
});

test("exception callback from the main subprog's decl tag", async () => {
  const { BtfWriter, parseBtf } = await import("../../btf/index.js");
  const { findExceptionCallbackInsnOff } = await import("./index.js");
  const build = (cbLinkage: number, tags: string[]) => {
    const w = new BtfWriter();
    const int = w.int("int", 4, 1);
    const proto = w.funcProto(int, []);
    const main = w.func("main", proto, 1);
    const cb = w.func("cb", proto, cbLinkage);
    for (const t of tags) w.declTag(t, main);
    return { btf: parseBtf(w.build()), main, cb };
  };
  const ok = build(1, ["exception_callback:cb"]);
  const fi = [{ insnOff: 0, typeId: ok.main }, { insnOff: 5, typeId: ok.cb }];
  assert.equal(findExceptionCallbackInsnOff(ok.btf, fi), 5);
  assert.equal(findExceptionCallbackInsnOff(build(1, []).btf, fi), 0);
  const st = build(0, ["exception_callback:cb"]);
  assert.deepEqual(findExceptionCallbackInsnOff(st.btf, [{ insnOff: 0, typeId: st.main }, { insnOff: 5, typeId: st.cb }]), {
    errno: "EINVAL", message: "exception callback 'cb' must have global linkage\n",
  });
  const two = build(1, ["exception_callback:cb", "exception_callback:cb"]);
  assert.equal((findExceptionCallbackInsnOff(two.btf, fi) as { errno: string }).errno, "EEXIST");
  const missing = build(1, ["exception_callback:nope"]);
  assert.deepEqual(findExceptionCallbackInsnOff(missing.btf, fi), {
    errno: "ENOENT", message: "exception callback 'nope' could not be found in BTF\n",
  });
  // The callback becomes a subprog and the CFG walk starts again from it.
  const insns = [movK(0, 0), exit(), movK(0, 1), exit()];
  const { r } = run(insns, { exceptionCallbackInsnOff: () => 2 });
  assert.ok(r.ok && r.env.exceptionCallbackSubprog === 1 && r.env.subprogs[1]!.isExceptionCb);
});
