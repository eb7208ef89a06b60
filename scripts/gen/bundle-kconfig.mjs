#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// Regenerates data/kernels/<version>/kconfig.br: the target kernel's configuration (what libbpf
// reads from /boot/config-$(uname -r) to fill `.kconfig` externs), as its CONFIG_*=value lines,
// sorted, brotli-compressed. For 7.2: the config of Debian's linux-binary-7.2.13+deb14-amd64,
// the kernel the corpus records come from (../shared/tools/vm/fetch-kernel.sh writes it to
// WORKDIR/config).
//
//   node scripts/gen/bundle-kconfig.mjs VERSION path/to/config
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants } from "node:zlib";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const [version, src] = process.argv.slice(2);
if (!version || !src) {
  console.error("usage: node scripts/gen/bundle-kconfig.mjs VERSION path/to/config");
  process.exit(2);
}
const text = readFileSync(src, "utf8");
const header = text.split("\n").find((l) => /^# Linux\/\S+ \S+ Kernel Configuration/.test(l));
if (!header) throw new Error(`${src}: not a kernel .config (no "# Linux/... Kernel Configuration" line)`);
// libbpf: bpf_object__read_kconfig_file keeps CONFIG_X=value lines; "# CONFIG_X is not set" is no value
const lines = text.split("\n").filter((l) => /^CONFIG_[A-Za-z0-9_]+=/.test(l)).sort();
const out = brotliCompressSync(Buffer.from(lines.join("\n") + "\n"), { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
const dest = join(root, "data", "kernels", version, "kconfig.br");
writeFileSync(dest, out);
console.log(`${dest}: ${lines.length} CONFIG_ values from ${header.slice(2)}, ${out.length} bytes`);
