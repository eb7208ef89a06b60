// Shared by the commands that load objects: the target kernel's BTF
// (--btf, default: bundled 7.2) and module split BTFs (--module-btf).
import { basename } from "node:path";
import { loadBtfFile, loadBundledVmlinuxBtf, type Btf } from "../btf/index.js";
import { elfSectionBytes } from "../elf/index.js";

export interface Target {
  vmlinux: Btf;
  modules: { name: string; btf: Btf }[];
}

function readBtf(path: string, base: Btf | undefined, name: string): Btf {
  return loadBtfFile(path, { base, name, elfSection: (b, n) => elfSectionBytes(b, n, path) });
}

let bundled: Btf | undefined;

/** Throws InputError (with the file named) on unreadable or corrupt BTF. */
export function loadTarget(btfPath: string | undefined, modulePaths: readonly string[]): Target {
  const vmlinux = btfPath ? readBtf(btfPath, undefined, "vmlinux") : (bundled ??= loadBundledVmlinuxBtf("7.2"));
  const modules = modulePaths.map((p) => {
    const name = basename(p).replace(/\.[^.]*$/, "");
    return { name, btf: readBtf(p, vmlinux, name) };
  });
  return { vmlinux, modules };
}

/** Loads a custom BTF file (selftests' __btf_path) over nothing: a standalone BTF or ELF. */
export function loadCustomBtf(path: string): Btf {
  return readBtf(path, undefined, basename(path));
}
