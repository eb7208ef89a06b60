#!/usr/bin/env bash
# Rebuilds test/corpus/ from scratch on a fresh machine: the Linux 7.2 selftests compiled for
# 7.2 and re-recorded on a live 7.2 kernel under qemu, then imported (scripts/corpus/import.mjs).
# The steps are those of ../shared/corpus/selftests-7.2/README.md, with the tools of
# ../shared/tools (oracle/: loader, compile/run/judge scripts; vm/: Debian's 7.2 under qemu).
# Only this script needs ../shared; the tests use the imported test/corpus/ alone.
#
# usage: sudo scripts/corpus/rebuild.sh [WORKDIR]
#   WORKDIR  scratch space (default: mktemp -d), ~3 GB: kernel source, chroot, VM, corpus
# env:
#   SHARED=../shared            the steering tree with tools/ and conformance/sets.json
#   KREL=7.2.13+deb14-amd64     the exact 7.2 kernel (use snapshot.debian.org if sid moved on)
#   HOST_STATS=1                also time every program natively on this host (log level 4):
#                               host-<uname -r>-stats.jsonl, the bench's reference. The shipped
#                               corpus has 6.18's; another host kernel gives other figures.
#   HOST_TAG=6.18               name of the host kernel in the file names (import expects 6.18)
#   SKIP_IMPORT=1               stop after publishing WORKDIR/published
# Needs root (chroot, loading BPF), Debian bookworm with network access, and:
#   apt-get install -y qemu-system-x86 zstd debootstrap clang-22 gcc make libelf-dev \
#     zlib1g-dev libcap-dev python3 xz-utils binutils nodejs
# Time on 2 cores: ~15 min (chroot ~5, tools ~2, compile ~1, VM run ~3, host stats ~1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=$(cd "${SHARED:-$ROOT/../shared}" && pwd)
T=$SHARED/tools
export KREL=${KREL:-7.2.13+deb14-amd64}
HOST_TAG=${HOST_TAG:-6.18}
W=${1:-$(mktemp -d)}
mkdir -p "$W"
W=$(cd "$W" && pwd)
[ "$(id -u)" = 0 ] || { echo "rebuild: needs root (chroot, qemu, BPF loads)" >&2; exit 1; }
for c in qemu-system-x86_64 debootstrap zstd python3 node objcopy; do
  command -v "$c" >/dev/null || { echo "rebuild: $c missing (see the apt-get line in this script)" >&2; exit 1; }
done
step() { echo; echo "=== rebuild: $*"; }

step "kernel source (Debian linux-source-7.2) -> $W/ksrc"
[ -d "$W/ksrc/linux-source-7.2" ] || "$T/oracle/get-kernel-source.sh" "$W/ksrc"
K=$W/ksrc/linux-source-7.2

step "the 7.2 kernel, its modules and its BTF for the VM -> $W/vm"
[ -f "$W/vm/vmlinux.btf" ] || "$T/vm/fetch-kernel.sh" "$W/vm"

step "libbpf, bpftool and vmlinux.h from the 7.2 BTF (not the host's) -> $W/tools"
"$T/oracle/build-tools.sh" "$K" "$W/tools" "$W/vm/vmlinux.btf"
STATIC=1 "$T/oracle/build-loader.sh" "$K" "$W/tools"

step "sid chroot with clang-23 (stack arguments), gcc-16, 7.2 headers, pahole -> $W/sid"
"$T/oracle/sid-chroot.sh" "$W/sid" "$W" "$SHARED"
IN=(chroot "$W/sid" env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 bash -c)

step "compile the selftests as the selftests Makefile does for test_progs -> $W/corpus"
"${IN[@]}" "cd '$W' && CLANG=clang-23 VMLINUX_DESC='$KREL vmlinux BTF' \
  FALLBACK_CFLAGS=-DBPF_NO_KFUNC_PROTOTYPES EXTRA='stack_arg stack_arg_kfunc' \
  '$T/oracle/compile-selftests.sh' '$K' '$W/tools' '$W/corpus'"

step "bpf_testmod.ko for that kernel -> $W/kmod"
"${IN[@]}" "cd '$W' && '$T/oracle/build-testmod.sh' '$K' '$W/kmod' '$W/vm/vmlinux.btf'"

step "record every program on the live 7.2 kernel under qemu (test_loader semantics) and judge"
LOG_STORE_MAX=0 VM_MODULES='nf_conntrack nf_nat' TESTMOD=$W/kmod/bpf_testmod.ko \
  "$T/oracle/run-selftests-vm.sh" "$W/vm" "$W/tools" "$W/corpus"

HOST_ARGS=()
if [ "${HOST_STATS:-1}" = 1 ]; then
  step "native timing on this host's kernel ($(uname -r)), log level 4"
  # the host loader must be dynamic or static; build-loader.sh above made a static one
  "$T/oracle/stats-selftests.sh" "$W/tools" "$W/corpus" "$W/host-stats.jsonl"
  HOST_ARGS=("$W/host-stats.jsonl" "$HOST_TAG")
fi

step "publish (logs over 1 MiB cut to head + tail) -> $W/published"
"$T/oracle/publish-corpus.sh" "$W/corpus" "$W/published" 7.2 "${HOST_ARGS[@]}"
if [ "${SKIP_IMPORT:-0}" = 1 ]; then echo "rebuild: published corpus in $W/published"; exit 0; fi
if [ ! -f "$W/published/host-$HOST_TAG-stats.jsonl" ]; then
  echo "rebuild: no host stats: keeping the checked-in host-$HOST_TAG-stats figures" >&2
  python3 - "$ROOT/test/corpus/programs.jsonl.gz" "$W/published/host-$HOST_TAG-stats.jsonl" <<'EOF'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as out:
    for line in f:
        p = json.loads(line); h = p.get("host618")
        if h:
            out.write(json.dumps({"object": p["object"], "program": p["program"], "kernel_release": h["release"],
                "kernel_reached": h["reached"], "loaded": h["loaded"], "errno": h["errno"],
                "processed_insns": h["processedInsns"], "total_states": h["totalStates"],
                "peak_states": h["peakStates"], "verification_time_usec": h["verificationTimeUsec"]}) + "\n")
EOF
  cp "$ROOT/test/corpus/verdict-diff-$HOST_TAG-vs-7.2.tsv" "$W/published/"
fi

step "import into $ROOT/test/corpus"
SETS=$SHARED/conformance/sets.json node "$ROOT/scripts/corpus/import.mjs" "$W/published" "$ROOT/test/corpus"
echo "rebuild: done; review with git status / git diff --stat test/corpus"
