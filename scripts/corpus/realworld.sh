#!/bin/sh
# Rebuilds test/corpus/realworld/objs from test/corpus/realworld/src: small programs written
# the way real-world projects write them (libbpf-tools-style tracing, a sched_ext scheduler,
# XDP/TC/sockops networking), compiled with the machine's clang (Debian bookworm: clang 14,
# which leaves DATASEC sizes and variable offsets zero for libbpf to fix up) against a
# vmlinux.h dumped from the bundled 7.2 BTF. Debug info is stripped (.BTF stays).
#
# usage: scripts/corpus/realworld.sh            (needs clang, llvm-strip, bpftool, libbpf-dev headers)
# Recording what a live 7.2 kernel says about them: see test/corpus/realworld/README.md.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RW=$ROOT/test/corpus/realworld
CLANG=${CLANG:-clang}
STRIP=${STRIP:-llvm-strip}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
node -e 'const z=require("zlib"),fs=require("fs");fs.writeFileSync(process.argv[2],z.brotliDecompressSync(fs.readFileSync(process.argv[1])))' \
  "$ROOT/data/kernels/7.2/vmlinux.btf.br" "$W/vmlinux.btf"
bpftool btf dump file "$W/vmlinux.btf" format c > "$W/vmlinux.h"
mkdir -p "$RW/objs"
for src in "$RW"/src/*.bpf.c; do
  name=$(basename "$src" .c)
  "$CLANG" -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wno-missing-declarations -I"$W" -I/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu) -c "$src" -o "$W/$name.o"
  "$STRIP" -g "$W/$name.o" -o "$RW/objs/$name.o"
  echo "built objs/$name.o"
done
