// The ctx rules against facts from include/uapi/linux/bpf.h and net/core/filter.c
// (offsets computed by hand from the UAPI struct definitions, not from our output).
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadBundledVmlinuxBtf } from "../../btf/index.js";
import { CTX_ROWS, CtxLayouts, type CtxAccess, type CtxAccessOut } from "./index.js";
import { BPF_FLOW_KEYS_SIZE } from "../packet/buffers.js";
import { PTR_MAYBE_NULL } from "../state/reg-type.js";
import * as sock from "./sock.js";

const layouts = new CtxLayouts(loadBundledVmlinuxBtf("7.2"));

function access(progType: keyof typeof CTX_ROWS, off: number, size: number, opts: Partial<CtxAccess> = {}): CtxAccessOut | null {
  const out: CtxAccessOut = { regType: "SCALAR_VALUE", regFlags: 0 };
  const a: CtxAccess = { off, size, write: false, ldsx: false, attach: "", layouts, attachTo: undefined, attachBtf: layouts.btf, progType, log: () => {}, ...opts };
  return CTX_ROWS[progType].isValidAccess(a, out) ? out : null;
}

test("UAPI layouts read from the 7.2 BTF match include/uapi/linux/bpf.h", () => {
  const skb = layouts.get("__sk_buff");
  // len..cb[]: 19 u32s before cb[0] at 48; data/data_end after tc_classid; data_meta after local_port.
  assert.equal(skb.off("len"), 0);
  assert.equal(skb.off("cb[0]"), 48);
  assert.equal(skb.end("cb[4]"), 68);
  assert.equal(skb.off("data"), 76);
  assert.equal(skb.off("data_end"), 80);
  assert.equal(skb.off("data_meta"), 140);
  assert.equal(skb.off("flow_keys"), 144);
  assert.equal(skb.sizeOf("flow_keys"), 8);
  assert.equal(skb.off("tstamp"), 152);
  assert.equal(skb.off("sk"), 168);
  assert.equal(skb.size, 192);
  const xdp = layouts.get("xdp_md");
  assert.deepEqual([xdp.off("data"), xdp.off("data_end"), xdp.off("data_meta"), xdp.off("egress_ifindex")], [0, 4, 8, 20]);
  assert.equal(layouts.get("bpf_flow_keys").size, BPF_FLOW_KEYS_SIZE);
  assert.ok(skb.inTill(80, "data", "data_end") && !skb.inTill(84, "data", "data_end"));
});

test("__sk_buff: packet pointers only for the program types filter.c gives them to", () => {
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 76, 4)?.regType, "PTR_TO_PACKET");
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 80, 4)?.regType, "PTR_TO_PACKET_END");
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 140, 4)?.regType, "PTR_TO_PACKET_META");
  // data loads must be whole u32s, and never sign-extending.
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 76, 2), null);
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 76, 4, { ldsx: true }), null);
  assert.equal(access("BPF_PROG_TYPE_SOCKET_FILTER", 76, 4), null);
  assert.equal(access("BPF_PROG_TYPE_CGROUP_SKB", 140, 4), null);
  assert.equal(access("BPF_PROG_TYPE_CGROUP_SKB", 76, 4)?.regType, "PTR_TO_PACKET");
  assert.equal(access("BPF_PROG_TYPE_FLOW_DISSECTOR", 144, 8)?.regType, "PTR_TO_FLOW_KEYS");
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 144, 8), null);
  const sk = access("BPF_PROG_TYPE_SCHED_CLS", 168, 8);
  assert.deepEqual(sk, { regType: "PTR_TO_SOCK_COMMON", regFlags: PTR_MAYBE_NULL });
});

test("__sk_buff: narrow reads, whole-word writes, per-type writable fields", () => {
  assert.ok(access("BPF_PROG_TYPE_SOCKET_FILTER", 0, 1));
  assert.ok(access("BPF_PROG_TYPE_SOCKET_FILTER", 2, 2));
  assert.equal(access("BPF_PROG_TYPE_SOCKET_FILTER", 1, 2), null);
  // mark (8) is writable from tc, not from socket filters; cb[] from both.
  assert.ok(access("BPF_PROG_TYPE_SCHED_CLS", 8, 4, { write: true }));
  assert.equal(access("BPF_PROG_TYPE_SOCKET_FILTER", 8, 4, { write: true }), null);
  assert.ok(access("BPF_PROG_TYPE_SOCKET_FILTER", 48, 4, { write: true }));
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 8, 2, { write: true }), null);
  // cb[4] ends at 68: an 8-byte access at 64 would run past it.
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 64, 8), null);
  assert.ok(access("BPF_PROG_TYPE_SCHED_CLS", 56, 8));
  assert.equal(access("BPF_PROG_TYPE_SCHED_CLS", 192, 4), null);
});

test("xdp_md: read-only u32s; egress_ifindex only for devmap programs", () => {
  assert.equal(access("BPF_PROG_TYPE_XDP", 0, 4)?.regType, "PTR_TO_PACKET");
  assert.equal(access("BPF_PROG_TYPE_XDP", 8, 4)?.regType, "PTR_TO_PACKET_META");
  assert.equal(access("BPF_PROG_TYPE_XDP", 12, 4, { write: true }), null);
  assert.equal(access("BPF_PROG_TYPE_XDP", 12, 2), null);
  assert.equal(access("BPF_PROG_TYPE_XDP", 20, 4), null);
  assert.ok(access("BPF_PROG_TYPE_XDP", 20, 4, { attach: "BPF_XDP_DEVMAP" }));
});

test("socket objects: bpf_sock fields and the sock_common subset", () => {
  // bpf_sock: bound_dev_if 0, family 4, type 8, ..., src_port 44, dst_port 48 (__be16), padding 50, dst_ip4 52.
  assert.ok(sock.bpfSockIsValidAccess(layouts, 4, 4));
  assert.ok(sock.bpfSockIsValidAccess(layouts, 48, 2));
  assert.ok(sock.bpfSockIsValidAccess(layouts, 48, 4));
  assert.equal(sock.bpfSockIsValidAccess(layouts, 50, 2), false);
  assert.ok(sock.bpfSockIsValidAccess(layouts, 53, 1));
  assert.equal(sock.bpfSockCommonIsValidAccess(layouts, 8, 4), false);
  assert.ok(sock.bpfSockCommonIsValidAccess(layouts, 4, 4));
  // bpf_tcp_sock: bytes_received/bytes_acked are u64s.
  const tcp = layouts.get("bpf_tcp_sock");
  assert.ok(sock.bpfTcpSockIsValidAccess(layouts, tcp.off("bytes_acked"), 8));
  assert.equal(sock.bpfTcpSockIsValidAccess(layouts, tcp.off("bytes_acked"), 4), false);
});

test("cgroup_sock: attach-type specific fields", () => {
  assert.ok(access("BPF_PROG_TYPE_CGROUP_SOCK", 16, 4, { attach: "BPF_CGROUP_INET_SOCK_CREATE", write: true }));
  assert.equal(access("BPF_PROG_TYPE_CGROUP_SOCK", 16, 4, { attach: "BPF_CGROUP_INET4_POST_BIND" }), null);
  assert.ok(access("BPF_PROG_TYPE_CGROUP_SOCK", 24, 4, { attach: "BPF_CGROUP_INET4_POST_BIND" }));
  assert.equal(access("BPF_PROG_TYPE_CGROUP_SOCK", 24, 4, { attach: "BPF_CGROUP_INET4_POST_BIND", write: true }), null);
});

test("tracing contexts", () => {
  assert.ok(access("BPF_PROG_TYPE_KPROBE", 0, 8));
  assert.equal(access("BPF_PROG_TYPE_KPROBE", 168, 8), null); // sizeof(struct pt_regs) on x86-64
  assert.equal(access("BPF_PROG_TYPE_TRACEPOINT", 0, 8), null);
  assert.ok(access("BPF_PROG_TYPE_TRACEPOINT", 8, 8));
  assert.equal(access("BPF_PROG_TYPE_RAW_TRACEPOINT", 96, 8), null); // MAX_BPF_FUNC_ARGS u64s
  assert.equal(access("BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE", 0, 8)?.regType, "PTR_TO_TP_BUFFER");
});
