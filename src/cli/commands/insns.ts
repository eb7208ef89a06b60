// `bpfverify insns`: each program's final instructions after libbpf-style
// loading (relocations, CO-RE, subprogram appending), as the kernel's
// disassembly or as JSON lines.
import type { Btf } from "../../btf/index.js";
import { printBpfInsn, rawInsnsToHex, verifierInsnCallbacks } from "../../isa/index.js";
import { loadObject, mapTypeName, type LoadedProgram } from "../../loader/index.js";
import { InputError } from "../../util/errors.js";
import type { CliIo } from "../io.js";
import { parseObjectCommand } from "../args.js";
import { loadCustomBtf } from "../target.js";

const USAGE = `usage: bpfverify insns [--btf PATH] [--module-btf PATH]... [--kconfig PATH] [--core-btf PATH] [--program NAME]
                      [--no-veristat-fixups] [--json] OBJ...

Print each program's final instructions and maps as libbpf hands them to the kernel when the
program is loaded alone with veristat's fix-ups (maps with max_entries 0 get 1, local storage
aside; freplace programs load as the program type their context argument suggests).
  --btf PATH          target kernel BTF (raw, as /sys/kernel/btf/vmlinux, or an ELF with .BTF);
                      default: the bundled Linux 7.2 vmlinux BTF
  --module-btf PATH   a module's split BTF over the target BTF (repeatable; name = file name)
  --kconfig PATH      the target kernel's .config for .kconfig externs (as /boot/config-$(uname -r));
                      default: the bundled 7.2 kernel's with the bundled BTF, none with --btf
  --core-btf PATH     resolve CO-RE relocations against this BTF alone (libbpf's btf_custom_path,
                      test_loader's __btf_path); kfuncs still resolve against --btf
  --program NAME      only this program
  --no-veristat-fixups
                      exactly as libbpf loads the object (test_loader does too): a PERF_EVENT_ARRAY
                      of max_entries 0 gets one entry per possible CPU, other maps keep 0
  --json              one JSON object per program and line:
                      {"file","program","section","progType","expectedAttachType","attachTo","insns","maps"[,"note"]}
                      insns: lowercase hex, 16 digits per instruction, bytes as in the ELF;
                      a map's ld_imm64 holds the map's index in "maps"; "note": what a fix-up
                      did or could not do (e.g. the guessed type of an freplace program)
`;

export interface InsnsJson {
  file: string;
  program: string;
  section: string;
  progType: string;
  expectedAttachType: string;
  attachTo: string | null;
  insns: string;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
  /** A load fix-up's note (LoadedProgram.fixupNote); absent when none. */
  note?: string;
}

export function programJson(file: string, p: LoadedProgram): InsnsJson {
  return {
    file,
    program: p.name,
    section: p.section,
    progType: p.progTypeName,
    expectedAttachType: p.expectedAttachTypeName,
    attachTo: p.attachTo,
    insns: rawInsnsToHex(p.insns),
    maps: p.maps.map((m) => ({ name: m.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries })),
    ...(p.fixupNote !== null ? { note: p.fixupNote } : {}),
  };
}

/** The kernel's instruction text ("N: (b7) r0 = 0"), kfunc calls named from the target or module BTF. */
function programText(file: string, p: LoadedProgram, target: Btf, modules: readonly { name: string; btf: Btf }[]): string {
  const lines = [`${file}: program ${p.name} (section ${p.section}, ${p.progTypeName}/${p.expectedAttachTypeName}${p.attachTo ? `, attach ${p.attachTo}` : ""}), ${p.insns.length} insns`];
  if (p.fixupNote !== null) lines.push(`  note: ${p.fixupNote}`);
  p.maps.forEach((m, i) => lines.push(`  map #${i}: ${m.name} ${mapTypeName(m.type)} key=${m.keySize} value=${m.valueSize} max_entries=${m.maxEntries}`));
  const cbs = verifierInsnCallbacks((fdIdx, id) => {
    const btf = fdIdx === 0 ? target : modules.find((m) => m.name === p.fdArray[fdIdx])?.btf;
    return btf?.hasType(id) ? btf.typeName(id) : undefined;
  });
  const subAt = new Map(p.subprogs.map((s) => [s.insnOff, s.name]));
  for (let i = 0; i < p.insns.length; i++) {
    const sub = subAt.get(i);
    if (sub !== undefined) lines.push(`; ${sub}:`);
    const ins = p.insns[i]!;
    let note = "";
    // The kernel would print its own map address here; name the map instead.
    if (ins.code === 0x18 && (ins.src === 1 || ins.src === 2) && p.maps[ins.imm]) {
      note = `\t; map #${ins.imm} ${p.maps[ins.imm]!.name}${ins.src === 2 ? ` + ${p.insns[i + 1]?.imm ?? 0}` : ""}`;
    }
    lines.push(`${i}: ${printBpfInsn(ins, p.insns[i + 1], cbs)}${note}`);
    if (ins.code === 0x18) i++; // ld_imm64 takes two slots and one line
  }
  return lines.join("\n") + "\n";
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseObjectCommand("insns", USAGE, argv, io, {
    "core-btf": { type: "string" },
    program: { type: "string" },
    "no-veristat-fixups": { type: "boolean", default: false },
  });
  if (typeof args === "number") return args;
  const targetBtf = args.target.vmlinux;
  const moduleBtfs = args.target.modules;
  let coreBtf: Btf | undefined;
  try {
    if (args.values["core-btf"]) coreBtf = loadCustomBtf(args.values["core-btf"]);
  } catch (e) {
    io.err(`bpfverify insns: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  let rc = 0;
  for (const file of args.files) {
    try {
      const fixups = args.values["no-veristat-fixups"] ? "none" : "veristat";
      const kconfig = args.target.kconfig ? { kconfig: args.target.kconfig } : { kconfigMissing: "zero" as const };
      const obj = loadObject(file, { targetBtf, moduleBtfs, coreBtf, file, fixups, ...kconfig });
      const progs = obj.programs.filter((p) => args.values.program === undefined || p.name === args.values.program);
      for (const p of progs) io.out(args.values.json ? JSON.stringify(programJson(file, p)) + "\n" : programText(file, p, targetBtf, moduleBtfs));
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err(`bpfverify insns: ${e.message}\n`);
      rc = 1;
    }
  }
  return rc;
}
