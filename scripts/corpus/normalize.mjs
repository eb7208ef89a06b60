// Shared by the corpus importers: what the oracle loader recorded of a BPF_PROG_LOAD (the maps
// libbpf created, the instructions with map fds in ld_imm64) turned into what `bpfverify insns
// --json` prints (maps by index). `die(msg)` reports malformed records.
// ---- ld_imm64 map references: fds -> index in the normalized map list ----

const BPF_LD_IMM64 = 0x18;
const BPF_PSEUDO_MAP_FD = 1;
const BPF_PSEUDO_MAP_VALUE = 2;

/**
 * The maps `bpfverify insns --json` reports (issue 2 item 7): the maps libbpf had created and kept
 * for the load of this program, in creation order — the object's maps, then the per-program
 * `.jumptables`. Feature-probe maps and inner-map templates are closed before BPF_PROG_LOAD
 * (live_at_load false) and their fd numbers may have been reused, so only live maps count.
 */
export function normalizeMaps(rec, die) {
  const live = (rec.maps ?? []).filter((m) => m.live_at_load === true);
  let lastIdx = -1;
  for (const m of live) {
    if (m.libbpf_map_idx === undefined) continue;
    if (m.libbpf_map_idx <= lastIdx) die(`${rec.object}/${rec.program}: object maps not created in libbpf order`);
    lastIdx = m.libbpf_map_idx;
  }
  const byFd = new Map();
  live.forEach((m, i) => {
    if (byFd.has(m.fd)) die(`${rec.object}/${rec.program}: fd ${m.fd} carried by two live maps`);
    byFd.set(m.fd, i);
  });
  const maps = live.map((m) => ({
    name: m.libbpf_name ?? m.name,
    type: m.type,
    keySize: m.key_size,
    valueSize: m.value_size,
    maxEntries: m.max_entries,
  }));
  return { maps, byFd };
}

export function normalizeInsns(rec, byFd, die) {
  const hex = rec.insns_hex ?? "";
  if (hex.length % 16 !== 0) die(`${rec.object}/${rec.program}: insns_hex not a multiple of 8 bytes`);
  const buf = Buffer.from(hex, "hex");
  const unresolved = [];
  for (let off = 0; off + 8 <= buf.length; off += 8) {
    if (buf[off] !== BPF_LD_IMM64) continue;
    const srcReg = buf[off + 1] >> 4;
    if (srcReg === BPF_PSEUDO_MAP_FD || srcReg === BPF_PSEUDO_MAP_VALUE) {
      const fd = buf.readInt32LE(off + 4);
      const idx = byFd.get(fd);
      // Tests that put a non-map fd there on purpose ("fd N is not pointing to valid bpf_map")
      // keep their raw imm; the record lists them so consumers can tell.
      if (idx === undefined) unresolved.push(off / 8);
      else buf.writeInt32LE(idx, off + 4);
    }
    off += 8; // second half of ld_imm64
  }
  return { insnsHex: buf.toString("hex"), unresolved };
}

