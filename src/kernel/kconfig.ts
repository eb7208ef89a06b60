// The target kernel's configuration as libbpf reads it for `.kconfig` externs
// (bpf_object__read_kconfig_file): CONFIG_NAME -> the text after '='. The bundled 7.2 one is the
// config of the Debian kernel the corpus was recorded on; --kconfig PATH reads any .config.
import { existsSync, readFileSync } from "node:fs";
import { brotliDecompressSync } from "node:zlib";
import { bundledKernelFile } from "../btf/index.js";
import { InputError } from "../util/errors.js";

export type Kconfig = Readonly<Record<string, string>>;

/** Parses .config text ("# CONFIG_X is not set" and comments carry no value). */
export function parseKconfig(text: string): Kconfig {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

const bundled = new Map<string, Kconfig>();

/** The bundled configuration of a kernel version, or undefined when none is bundled. */
export function loadBundledKconfig(version = "7.2"): Kconfig | undefined {
  let k = bundled.get(version);
  if (!k) {
    const path = bundledKernelFile(version, "kconfig.br");
    if (!existsSync(path)) return undefined;
    k = parseKconfig(brotliDecompressSync(readFileSync(path)).toString("utf8"));
    bundled.set(version, k);
  }
  return k;
}

/** A .config file (as /boot/config-$(uname -r)); InputError naming the file when unreadable. */
export function loadKconfigFile(path: string): Kconfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError("KCONFIG_READ", `cannot read kernel config: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  const k = parseKconfig(text);
  if (Object.keys(k).length === 0) throw new InputError("KCONFIG_EMPTY", "no CONFIG_*=value line: not a kernel .config", { file: path });
  return k;
}
