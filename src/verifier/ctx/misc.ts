// Contexts of the tracing and cgroup program types.
// kernel: kernel/trace/bpf_trace.c (kprobe_prog_is_valid_access, tp_prog_is_valid_access,
// pe_prog_is_valid_access, raw_tp_prog_is_valid_access, raw_tp_writable_prog_is_valid_access),
// include/linux/bpf.h (bpf_tracing_ctx_access), kernel/bpf/cgroup.c (cgroup_dev_is_valid_access,
// sysctl_is_valid_access, cg_sockopt_is_valid_access), kernel/bpf/syscall.c
// (syscall_prog_is_valid_access), net/netfilter/nf_bpf_link.c (nf_is_valid_access)
import { PTR_TRUSTED } from "../state/reg-type.js";
import { btfCtxAccess, resolveAttachFunc } from "./btf-ctx.js";
import { narrowOk, type CtxAccess, type CtxAccessOut } from "./access-types.js";

/** kernel: PERF_MAX_TRACE_SIZE (include/linux/trace_events.h) */
const PERF_MAX_TRACE_SIZE = 8192;
/** kernel: MAX_BPF_FUNC_ARGS */
const MAX_BPF_FUNC_ARGS = 12;
const U16_MAX = 0xffff;

/** kernel: kprobe_prog_is_valid_access (ctx = struct pt_regs) */
export function kprobeIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  const size = a.layouts.get("pt_regs").size;
  if (a.off < 0 || a.off >= size) return false;
  if (a.off % a.size !== 0) return false;
  return a.off + a.size <= size;
}

/** kernel: tp_prog_is_valid_access — the first 8 bytes are the tracepoint's private header. */
export function tracepointIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  if (a.off < 8 || a.off >= PERF_MAX_TRACE_SIZE) return false;
  if (a.write) return false;
  return a.off % a.size === 0;
}

/** kernel: pe_prog_is_valid_access (64-bit: unsigned long is 8 bytes) */
export function perfEventIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_perf_event_data");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (a.write) return false;
  if (off % size !== 0) return false;
  if (L.inRange(off, "sample_period") || L.inRange(off, "addr")) return narrowOk(size, 8);
  return size === 8;
}

/** kernel: bpf_tracing_ctx_access (raw_tp: the u64 args array) */
export function rawTpIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  if (a.off < 0 || a.off >= 8 * MAX_BPF_FUNC_ARGS) return false;
  if (a.write) return false;
  return a.off % a.size === 0;
}

/** kernel: raw_tp_writable_prog_is_valid_access — args[0] is the writable tracepoint buffer. */
export function rawTpWritableIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  if (a.off === 0) {
    if (a.size !== 8 || a.write) return false;
    out.regType = "PTR_TO_TP_BUFFER";
  }
  return rawTpIsValidAccess(a, out);
}

/** kernel: cgroup_dev_is_valid_access */
export function cgroupDevIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_cgroup_dev_ctx");
  const { off, size } = a;
  if (a.write) return false;
  if (off < 0 || off + size > L.size) return false;
  if (off % size !== 0) return false;
  if (L.inRange(off, "access_type")) return narrowOk(size, 4);
  return size === 4;
}

/** kernel: sysctl_is_valid_access */
export function sysctlIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_sysctl");
  const { off, size } = a;
  if (off < 0 || off + size > L.size || off % size !== 0) return false;
  if (L.inRange(off, "write")) return !a.write && narrowOk(size, 4);
  if (L.inRange(off, "file_pos")) return a.write ? size === 4 : narrowOk(size, 4);
  return false;
}

/** kernel: cg_sockopt_is_valid_access */
export function cgSockoptIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_sockopt");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (a.write) {
    if (off === L.off("retval")) return size === 4 && a.attach === "BPF_CGROUP_GETSOCKOPT";
    if (off === L.off("optname") || off === L.off("level")) return size === 4 && a.attach === "BPF_CGROUP_SETSOCKOPT";
    if (off === L.off("optlen")) return size === 4;
    return false;
  }
  if (L.inRange(off, "sk")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_SOCKET";
    return true;
  }
  if (L.inRange(off, "optval")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_PACKET";
    return true;
  }
  if (L.inRange(off, "optval_end")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_PACKET_END";
    return true;
  }
  if (L.inRange(off, "retval")) return size === 4 && a.attach === "BPF_CGROUP_GETSOCKOPT";
  return size === 4;
}

/** kernel: syscall_prog_is_valid_access — the ctx is the user's own buffer. */
export function syscallIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  return !(a.off < 0 || a.off >= U16_MAX);
}

/** kernel: nf_is_valid_access + nf_ptr_to_btf_id — two trusted kernel pointers. */
export function netfilterIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_nf_ctx");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (a.write) return false;
  const field = L.inRange(off, "skb") ? "skb" : L.inRange(off, "state") ? "state" : null;
  if (!field || size !== L.sizeOf(field)) return false;
  out.regType = "PTR_TO_BTF_ID";
  out.regFlags = PTR_TRUSTED;
  out.btfStruct = field === "skb" ? "sk_buff" : "nf_hook_state";
  return true;
}

/** kernel: btf_ctx_access through the prog's attach function (the LSM ops use it directly). */
export function btfIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const btf = a.attachBtf;
  const fn = resolveAttachFunc(btf, a.progType, a.attach, a.attachTo);
  const r = btfCtxAccess(btf, fn, a.progType, a.attach, a.off, a.size, a.log);
  if (!r.ok) return false;
  out.regType = r.regType;
  out.regFlags = r.regFlags;
  if (r.regType === "PTR_TO_BTF_ID") out.btfId = r.btfId;
  if (r.retvalRange) out.retvalRange = r.retvalRange;
  return true;
}

/** kernel: tracing_prog_is_valid_access = bpf_tracing_ctx_access, then btf_ctx_access */
export function tracingIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  if (!rawTpIsValidAccess(a, out)) return false;
  return btfIsValidAccess(a, out);
}
