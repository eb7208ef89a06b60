// The pre-pass facts (PrePassOptions) drawn from a target profile: helper
// prototypes, kfunc flags and BTF prototypes, callback-calling calls.
// kernel: bpf_get_helper_proto + the bpf_func_proto fields the pre-passes
// read, bpf_fetch_kfunc_arg_meta, bpf_is_{sync,async}_callback_calling_insn,
// bpf_helper_changes_pkt_data (net/core/filter.c),
// bpf_verifier_inlines_helper_call
import type { Btf } from "../../btf/index.js";
import { resolveSize, skipMods } from "../../btf/index.js";
import { type LoadContext, helperById, resolveArgType } from "../../kernel/helpers/index.js";
import type { Profile } from "../../kernel/profile.js";
import type { ProgTypeName } from "../../kernel/progtypes/types.js";
import type { RawInsn } from "../../isa/raw.js";
import type { CfgReject, HelperArg, HelperFacts, KfuncFacts, KfuncParam, PrePassOptions } from "./types.js";

/** kernel: MAX_KFUNC_DESCS */
const MAX_KFUNC_DESCS = 256;

// kernel: is_sync_callback_calling_function / is_async_callback_calling_function
const SYNC_CB_HELPERS = new Set(["for_each_map_elem", "find_vma", "loop", "user_ringbuf_drain"]);
const ASYNC_CB_HELPERS = new Set(["timer_set_callback"]);
// kernel: is_bpf_rbtree_add_kfunc; is_bpf_wq_set_callback_kfunc, is_task_work_add_kfunc
const SYNC_CB_KFUNC_SLOTS = ["KF_bpf_rbtree_add", "KF_bpf_rbtree_add_impl"];
const ASYNC_CB_KFUNC_SLOTS = ["KF_bpf_wq_set_callback", "KF_bpf_task_work_schedule_signal", "KF_bpf_task_work_schedule_resume"];

// kernel: bpf_helper_changes_pkt_data (tail_call: the callee could call any of them).
const PKT_CHANGING_HELPERS = new Set([
  "clone_redirect", "l3_csum_replace", "l4_csum_replace", "lwt_push_encap", "lwt_seg6_action",
  "lwt_seg6_adjust_srh", "lwt_seg6_store_bytes", "msg_pop_data", "msg_pull_data", "msg_push_data",
  "skb_adjust_room", "skb_change_head", "skb_change_proto", "skb_change_tail", "skb_pull_data",
  "skb_store_bytes", "skb_vlan_pop", "skb_vlan_push", "store_hdr_opt", "xdp_adjust_head", "xdp_adjust_meta",
  "xdp_adjust_tail", "tail_call",
]);

// kernel: bpf_verifier_inlines_helper_call on an x86-64 SMP kernel with the
// JIT on (the x86 JIT inlines no helper itself: bpf_jit_inlines_helper_call
// is the weak false). Target facts: they belong in the profile once it
// describes the architecture.
const INLINED_HELPERS = new Set(["get_smp_processor_id", "get_current_task_btf", "get_current_task"]);

export interface ProfileFactsContext {
  progType: ProgTypeName;
  attachType?: string;
  load?: LoadContext;
  /** The module BTF a kfunc call's `off` (fd_array index) refers to; undefined for vmlinux. */
  kfuncModule?: (off: number) => string | undefined;
  /** The program's license is GPL-compatible (kfunc calls need it). Default true. */
  gplCompatible?: boolean;
}

function kfuncParams(btf: Btf, protoId: number): { params: KfuncParam[]; isVoid: boolean } | undefined {
  const proto = btf.type(protoId);
  if (proto.kind !== "FUNC_PROTO") return undefined;
  const params = proto.params.map((p): KfuncParam => {
    const t = btf.type(skipMods(btf, p.type));
    const isPtr = t.kind === "PTR";
    const pointee = isPtr ? skipMods(btf, t.type) : 0;
    const pt = pointee ? btf.type(pointee) : undefined;
    let pointeeSize: number | undefined;
    try {
      pointeeSize = pointee ? resolveSize(btf, pointee) : undefined;
    } catch {
      pointeeSize = undefined;
    }
    return {
      isPtr,
      // kernel: is_kfunc_arg_dynptr (KF_ARG_DYNPTR_ID: struct bpf_dynptr)
      dynptr: pt?.kind === "STRUCT" && pt.name === "bpf_dynptr",
      // kernel: btf_param_match_suffix "__sz" / "__szk", is_kfunc_arg_uninit
      isSize: /__szk?$/.test(p.name),
      uninit: /__uninit$/.test(p.name),
      ...(pointeeSize !== undefined ? { pointeeSize } : {}),
    };
  });
  return { params, isVoid: proto.returnType === 0 };
}

/** PrePassOptions' helper/kfunc/callback facts for one program load. */
export function prePassFactsFromProfile(profile: Profile, ctx: ProfileFactsContext): PrePassOptions {
  const helperCache = new Map<number, HelperFacts | undefined>();
  const helper = (imm: number): HelperFacts | undefined => {
    if (helperCache.has(imm)) return helperCache.get(imm);
    const proto = profile.helper(imm, ctx.progType, ctx.attachType, ctx.load);
    const name = helperById(imm)?.name;
    let facts: HelperFacts | undefined;
    if (proto && name !== undefined) {
      const args: HelperArg[] = [];
      for (const a of proto.args) {
        if (a.kind === "ARG_DONTCARE") break;
        const r = resolveArgType(a);
        args.push({
          base: r.base,
          memUninit: r.flags.includes("MEM_UNINIT"),
          memFixedSize: r.flags.includes("MEM_FIXED_SIZE"),
          ...(a.size?.bytes !== undefined ? { size: a.size.bytes } : {}),
        });
      }
      facts = {
        name,
        mightSleep: proto.mightSleep,
        changesPktData: PKT_CHANGING_HELPERS.has(name),
        numParams: args.length,
        isVoid: proto.ret.kind === "RET_VOID",
        fastcall: proto.allowFastcall && INLINED_HELPERS.has(name),
        args,
      };
    }
    helperCache.set(imm, facts);
    return facts;
  };

  const kfuncCache = new Map<string, KfuncFacts | undefined>();
  const kfunc = (imm: number, off: number): KfuncFacts | undefined => {
    const key = `${imm}:${off}`;
    if (kfuncCache.has(key)) return kfuncCache.get(key);
    let facts: KfuncFacts | undefined;
    const module = off === 0 ? undefined : ctx.kfuncModule?.(off);
    const k = off !== 0 && module === undefined ? undefined : profile.kfuncByBtfId(imm, module);
    // bpf_fetch_kfunc_arg_meta fails (-EACCES) for kfuncs the program type may not call.
    const flags = k && profile.kfuncAllowed(k, ctx.progType, ctx.attachType).allowed ? profile.kfuncFlags(k, ctx.progType) : undefined;
    if (k && flags) {
      const fn = k.btf.type(k.btfId);
      let protoId = fn.kind === "FUNC" ? fn.type : 0;
      if (flags.includes("KF_IMPLICIT_ARGS")) {
        // The real prototype is the <name>_impl counterpart's (fetch_kfunc_meta).
        const impl = k.btf.findByNameKind(`${k.name}_impl`, "FUNC");
        const implT = impl !== undefined ? k.btf.type(impl) : undefined;
        protoId = implT?.kind === "FUNC" ? implT.type : 0;
      }
      const p = protoId ? kfuncParams(k.btf, protoId) : undefined;
      if (p) {
        facts = {
          isIterNext: flags.includes("KF_ITER_NEXT"),
          iterNew: flags.includes("KF_ITER_NEW"),
          sleepable: flags.includes("KF_SLEEPABLE"),
          pktChanging: k.special.includes("KF_bpf_xdp_pull_data"),
          isThrow: off === 0 && k.special.includes("KF_bpf_throw"),
          numParams: p.params.length,
          isVoid: p.isVoid,
          fastcall: flags.includes("KF_FASTCALL"),
          params: p.params,
        };
      }
    }
    kfuncCache.set(key, facts);
    return facts;
  };

  // kernel: bpf_add_kfunc_call — the checks that can be decided from the
  // profile (the JIT/BTF availability ones always pass on the target).
  const seen = new Set<string>();
  const addKfuncCall = (imm: number, off: number): CfgReject | undefined => {
    if (ctx.gplCompatible === false) {
      return { errno: "EINVAL", message: "cannot call kernel function from non-GPL compatible program\n" };
    }
    // Left for dead-code elimination: such calls may sit in pruned code.
    if (imm === 0 && off === 0) return undefined;
    const key = `${imm}:${off}`;
    if (seen.has(key)) return undefined;
    if (seen.size >= MAX_KFUNC_DESCS) return { errno: "E2BIG", message: "too many different kernel function calls\n" };
    // kernel: fetch_kfunc_meta
    if (imm <= 0) return { errno: "EINVAL", message: `invalid kernel function btf_id ${imm}\n` };
    const module = off === 0 ? undefined : ctx.kfuncModule?.(off);
    const btf = off !== 0 && module === undefined ? undefined : profile.btfOf(module);
    if (!btf) return undefined; // fd_array handling belongs to the loader's input
    const t = btf.hasType(imm) ? btf.type(imm) : undefined;
    if (t?.kind !== "FUNC") return { errno: "EINVAL", message: `kernel btf_id ${imm} is not a function\n` };
    const proto = btf.hasType(t.type) ? btf.type(t.type) : undefined;
    if (proto?.kind !== "FUNC_PROTO") {
      return { errno: "EINVAL", message: `kernel function btf_id ${imm} does not have a valid func_proto\n` };
    }
    // kallsyms_lookup_name: the "<name>_impl" FUNCs that carry a
    // KF_IMPLICIT_ARGS kfunc's real prototype exist only in BTF (unless the
    // _impl is itself a registered kfunc, as the legacy ones are).
    const base = t.name.endsWith("_impl") ? profile.kfuncByName(t.name.slice(0, -5)) : undefined;
    if (base?.flags.includes("KF_IMPLICIT_ARGS") && !profile.kfuncByName(t.name)) {
      return { errno: "EINVAL", message: `cannot find address for kernel function ${t.name}\n` };
    }
    seen.add(key);
    return undefined;
  };

  const specialIds = (slots: readonly string[]) =>
    new Set(slots.map((s) => profile.specialKfuncId(s)).filter((x): x is number => x !== undefined));
  const syncKfuncs = specialIds(SYNC_CB_KFUNC_SLOTS);
  const asyncKfuncs = specialIds(ASYNC_CB_KFUNC_SLOTS);
  const isCall = (i: RawInsn, src: number) => i.code === 0x85 && i.src === src;
  // The special_kfunc_list ids are vmlinux ids; the kernel compares imm alone.
  return {
    helper,
    kfunc,
    addKfuncCall,
    isSyncCallbackCalling: (i) =>
      (isCall(i, 0) && SYNC_CB_HELPERS.has(helperById(i.imm)?.name ?? "")) || (isCall(i, 2) && syncKfuncs.has(i.imm)),
    isAsyncCallbackCalling: (i) =>
      (isCall(i, 0) && ASYNC_CB_HELPERS.has(helperById(i.imm)?.name ?? "")) || (isCall(i, 2) && asyncKfuncs.has(i.imm)),
  };
}
