import { test } from "node:test";
import assert from "node:assert/strict";
import { DYNPTR_ARG_COMPAT, helperDynptrArgType } from "./dynptr.js";
import { dynptrTypeOfFlags } from "../kfuncs/families/dynptr.js";
import { DYNPTR_TYPE_LOCAL, DYNPTR_TYPE_RINGBUF, DYNPTR_TYPE_SKB, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE, regTypeStr } from "../state/reg-type.js";
import { helperProtoByName, resolveArgType } from "../../kernel/helpers/index.js";
import { judgeSelftestObjects } from "../../cli/selftest-judge.js";

const FLAG: Record<string, number> = { DYNPTR_TYPE_LOCAL, DYNPTR_TYPE_RINGBUF, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE };

/** The ARG_PTR_TO_DYNPTR argument of a helper as the 7.2 proto declares it. */
function dynptrArgFlags(helper: string): number {
  const p = helperProtoByName(helper, "BPF_PROG_TYPE_TRACING");
  assert.ok(p, helper);
  const args = p.args.map(resolveArgType).filter((a) => a.base === "ARG_PTR_TO_DYNPTR");
  assert.equal(args.length, 1, helper);
  return args[0]!.flags.reduce((m, f) => {
    assert.ok(f in FLAG, `${helper}: flag ${f}`);
    return m | FLAG[f]!;
  }, 0);
}

test("what each dynptr helper's argument asks of process_dynptr_func (kernel/bpf/helpers.c, ringbuf.c protos)", () => {
  const at = (h: string) => helperDynptrArgType(dynptrArgFlags(h));
  // constructors: an uninitialized 16-byte stack slot pair, typed by the proto
  assert.deepEqual(at("bpf_dynptr_from_mem"), { uninit: true, release: false, type: "BPF_DYNPTR_TYPE_LOCAL" });
  assert.deepEqual(at("bpf_ringbuf_reserve_dynptr"), { uninit: true, release: false, type: "BPF_DYNPTR_TYPE_RINGBUF" });
  // destructors: only a ringbuf dynptr, released
  assert.deepEqual(at("bpf_ringbuf_submit_dynptr"), { uninit: false, release: true, type: "BPF_DYNPTR_TYPE_RINGBUF" });
  assert.deepEqual(at("bpf_ringbuf_discard_dynptr"), { uninit: false, release: true, type: "BPF_DYNPTR_TYPE_RINGBUF" });
  // users: any initialized dynptr
  for (const h of ["bpf_dynptr_read", "bpf_dynptr_write", "bpf_dynptr_data"]) {
    assert.deepEqual(at(h), { uninit: false, release: false, type: null }, h);
  }
});

test("arg_to_dynptr_type: one DYNPTR_TYPE_* flag names a type, none means any, a mix is invalid", () => {
  assert.equal(dynptrTypeOfFlags(MEM_UNINIT | MEM_WRITE), null);
  assert.equal(dynptrTypeOfFlags(DYNPTR_TYPE_SKB | OBJ_RELEASE), "BPF_DYNPTR_TYPE_SKB");
  assert.equal(dynptrTypeOfFlags(DYNPTR_TYPE_LOCAL | DYNPTR_TYPE_RINGBUF), "BPF_DYNPTR_TYPE_INVALID");
});

test("dynptr_types prints as the kernel's expected= list", () => {
  // dynptr_fail.c global(): "R4 type=map_value expected=fp, dynptr_ptr"
  assert.equal(DYNPTR_ARG_COMPAT.ARG_PTR_TO_DYNPTR.map(([t, f]) => regTypeStr(t, f)).join(", "), "fp, dynptr_ptr");
});

const judge = judgeSelftestObjects;

// dynptr_fail.c, user_ringbuf_fail.c, test_kfunc_dynptr_param.c, cgroup_read_xattr.c,
// verifier_map_in_map.c, stack_arg.c, verifier_global_subprogs.c: judged by their own
// __failure/__msg annotations (the kernel's expectations, read from the objects).
test("dynptr helper and global-subprog selftests, as on the 7.2 kernel", async () => {
  const rows = await judge(["dynptr_fail", "user_ringbuf_fail", "test_kfunc_dynptr_param", "cgroup_read_xattr", "verifier_map_in_map",
    "stack_arg", "verifier_global_subprogs"]);
  const wrong = rows.filter((r) => r.result !== "pass" && !/not modelled yet/.test(r.reason)).map((r) => `${r.program}: ${r.reason}`);
  assert.deepEqual(wrong, []);
  const pass = new Set(rows.filter((r) => r.result === "pass").map((r) => r.program));
  for (const p of [
    "ringbuf_missing_release1", // BPF_EXIT instruction in main prog would lead to reference leak (reserve_dynptr acquires)
    "ringbuf_release_uninit_dynptr", // Expected an initialized dynptr as R1
    "ringbuf_invalid_api", // R1 type=mem expected=ringbuf_mem
    "use_after_invalid", // Expected an initialized dynptr as R3 (after submit_dynptr)
    "data_slice_use_after_release1", // R6 invalid mem access 'scalar': bpf_dynptr_data's slice dies with the ringbuf reference
    "data_slice_missing_null_check1", // R0 invalid mem access 'mem_or_null'
    "invalid_write2", // cannot overwrite referenced dynptr
    "global", // R4 type=map_value expected=fp, dynptr_ptr
    "invalid_offset", // Dynptr has to be an uninitialized dynptr
    "release_twice_callback", // Expected an initialized dynptr as R1
    "dynptr_from_mem_invalid_api", // Unsupported reg type fp for bpf_dynptr_from_mem data
    "dynptr_read_into_slot", // potential write to dynptr at off=-16 disallowed
    "rw_skb_slice_invalid_after_metadata_write", // R6 invalid mem access 'scalar': bpf_dynptr_write to an skb_meta dynptr clears packet slices
    "test_dynptr_reg_type", // global subprog: Caller passes invalid args into func#1
    "user_ringbuf_callback_submit_dynptr", // CONST_PTR_TO_DYNPTR cannot be released (the callback's dynptr)
    "user_ringbuf_callback_const_ptr_to_dynptr_reg_off", // dereference of modified dynptr_ptr ptr R1 off=16384 disallowed
    "dynptr_data_null", // test_kfunc_dynptr_param.c: bpf_dynptr_data's NULL result
    "map_ptr_is_never_null_rb", // verifier_map_in_map.c: a ringbuf dynptr in an inner ringbuf
    "test_bpf2bpf_dynptr_stack_arg", // stack_arg.c: dynptr as a global subprog's 6th+ argument
    "arg_tag_dynptr", // verifier_global_subprogs.c: __arg_dynptr parameter
  ]) assert.ok(pass.has(p), `${p} does not pass`);
});
