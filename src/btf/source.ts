// Where target BTF comes from: the bundled, brotli-compressed 7.2 vmlinux BTF,
// or a user's file (raw BTF as /sys/kernel/btf/vmlinux, or an ELF with .BTF).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { elfSectionBytes } from "../elf/index.js";
import { InputError } from "../util/errors.js";
import { Btf } from "./btf.js";
import { parseBtf } from "./parse.js";

/** Returns a section's bytes from an ELF image, undefined when absent (the ELF reader lives in src/elf). */
export type ElfSectionReader = (elf: Uint8Array, sectionName: string) => Uint8Array | undefined;

export interface LoadBtfOptions {
  /** Base BTF when the blob is split (module) BTF. */
  base?: Btf;
  /** Name for messages ("vmlinux", "bpf_testmod"...). */
  name?: string;
  /** Reads an ELF's .BTF section; default: the project's ELF reader (src/elf). */
  elfSection?: ElfSectionReader;
  /** File name for error messages. */
  file?: string;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ELF_MAGIC.every((b, i) => bytes[i] === b);
}

/** Raw BTF or an ELF carrying a .BTF section, as `--btf PATH` / `--module-btf PATH` accept. */
export function parseBtfOrElf(bytes: Uint8Array, opts: LoadBtfOptions = {}): Btf {
  const where = opts.file !== undefined ? { file: opts.file } : {};
  let raw = bytes;
  if (isElf(bytes)) {
    const read = opts.elfSection ?? ((b: Uint8Array, name: string) => elfSectionBytes(b, name, opts.file));
    const sec = read(bytes, ".BTF");
    if (!sec) throw new InputError("BTF_MISSING", "ELF file has no .BTF section", { ...where, section: ".BTF" });
    raw = sec;
  }
  return parseBtf(raw, { base: opts.base, name: opts.name, where });
}

/** Read raw BTF or an ELF's .BTF from a file. */
export function loadBtfFile(path: string, opts: LoadBtfOptions = {}): Btf {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new InputError("BTF_READ", `cannot read BTF file: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  return parseBtfOrElf(bytes, { ...opts, file: opts.file ?? path });
}

/** The data/ folder of the package, found from this module (src/btf or dist/src/btf). */
function dataDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, "data", "kernels");
    if (existsSync(cand)) return cand;
    dir = dirname(dir);
  }
  throw new InputError("BTF_BUNDLE_MISSING", "bundled kernel BTF not found (data/kernels/ missing from the package)");
}

/** A file bundled for a kernel version under data/kernels/<version>/ (kconfig.br...). */
export function bundledKernelFile(version: string, name: string): string {
  return join(dataDir(), version, name);
}

export function bundledBtfPath(version: string): string {
  return join(dataDir(), version, "vmlinux.btf.br");
}

export function bundledVersions(): string[] {
  return ["7.2"].filter((v) => existsSync(bundledBtfPath(v)));
}

// Parsed BTF is immutable, so one copy per version serves every caller; decompressing
// it again for each object would cost ~100 ms.
const bundledCache = new Map<string, Btf>();

/** The bundled vmlinux BTF of a kernel version (default 7.2). */
export function loadBundledVmlinuxBtf(version = "7.2"): Btf {
  const cached = bundledCache.get(version);
  if (cached) return cached;
  const path = bundledBtfPath(version);
  if (!existsSync(path)) {
    throw new InputError("BTF_BUNDLE_MISSING", `no bundled BTF for kernel ${version} (have: ${bundledVersions().join(", ") || "none"})`, { file: path });
  }
  const raw = brotliDecompressSync(readFileSync(path));
  const btf = parseBtf(raw, { name: "vmlinux", where: { file: path } });
  bundledCache.set(version, btf);
  return btf;
}
