// Shared by the commands that load objects: the target kernel's BTF
// (--btf, default: bundled 7.2) and module split BTFs (--module-btf).
import { statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { loadBtfFile, loadBundledVmlinuxBtf, type Btf } from "../btf/index.js";
import { elfSectionBytes } from "../elf/index.js";
import { loadBundledKconfig, loadKconfigFile, type Kconfig } from "../kernel/kconfig.js";

export interface Target {
  vmlinux: Btf;
  modules: { name: string; btf: Btf }[];
  /**
   * CONFIG_* values for `.kconfig` externs: --kconfig PATH, else the bundled kernel's when the
   * target is the bundled BTF; undefined when unknown (then strong CONFIG_ externs read 0).
   */
  kconfig: Kconfig | undefined;
}

function readBtf(path: string, base: Btf | undefined, name: string): Btf {
  return loadBtfFile(path, { base, name, elfSection: (b, n) => elfSectionBytes(b, n, path) });
}

let bundled: Btf | undefined;
/**
 * Module BTFs already parsed over a vmlinux BTF, by resolved path, size and mtime: a long-lived
 * process running many commands then hands the same BTF objects to profileFor, which caches on them.
 */
const moduleCache = new WeakMap<Btf, Map<string, { stamp: string; btf: Btf }>>();

function readModuleBtf(path: string, vmlinux: Btf, name: string): Btf {
  let byPath = moduleCache.get(vmlinux);
  if (!byPath) moduleCache.set(vmlinux, (byPath = new Map()));
  const key = `${resolve(path)}\0${name}`;
  let stamp = "";
  try {
    const st = statSync(path);
    stamp = `${st.size}:${st.mtimeMs}`;
  } catch {
    // unreadable: readBtf reports it with the file named
  }
  const hit = byPath.get(key);
  if (hit && stamp && hit.stamp === stamp) return hit.btf;
  const btf = readBtf(path, vmlinux, name);
  if (stamp) byPath.set(key, { stamp, btf });
  return btf;
}

/** Throws InputError (with the file named) on unreadable or corrupt BTF. */
export function loadTarget(btfPath: string | undefined, modulePaths: readonly string[], kconfigPath?: string): Target {
  const vmlinux = btfPath ? readBtf(btfPath, undefined, "vmlinux") : (bundled ??= loadBundledVmlinuxBtf("7.2"));
  const modules = modulePaths.map((p) => {
    const name = basename(p).replace(/\.[^.]*$/, "");
    return { name, btf: readModuleBtf(p, vmlinux, name) };
  });
  const kconfig = kconfigPath ? loadKconfigFile(kconfigPath) : btfPath ? undefined : loadBundledKconfig("7.2");
  return { vmlinux, modules, kconfig };
}

/** Loads a custom BTF file (selftests' __btf_path) over nothing: a standalone BTF or ELF. */
export function loadCustomBtf(path: string): Btf {
  return readBtf(path, undefined, basename(path));
}
