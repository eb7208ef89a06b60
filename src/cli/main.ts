// bpfverify command-line entry point. Each subcommand lives in its own module
// under ./commands and exports `run(argv, io): Promise<number>`.
import type { CliIo } from "./io.js";
import { defaultIo } from "./io.js";

interface Command {
  summary: string;
  load: () => Promise<{ run: (argv: string[], io: CliIo) => Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  insns: { summary: "print each program's final instructions after libbpf-style relocation", load: () => import("./commands/insns.js") },
  verify: { summary: "verify programs as the Linux 7.2 verifier does (veristat-like table)", load: () => import("./commands/verify.js") },
  test: { summary: "run the selftest annotations (__success/__failure/__msg) found in objects", load: () => import("./commands/test.js") },
  kfuncs: { summary: "list the target kernel's kfuncs with flags, hooks and argument kinds", load: () => import("./commands/kfuncs.js") },
  helpers: { summary: "list the target kernel's helpers with their prototypes", load: () => import("./commands/helpers.js") },
};

function usage(): string {
  const lines = ["usage: bpfverify <command> [options] ...", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push("", "Run `bpfverify <command> --help` for a command's options.");
  return lines.join("\n") + "\n";
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "-h" || name === "--help" || name === "help") {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-V") {
    io.out("bpfverify 0.1.0 (target: Linux 7.2)\n");
    return 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    io.err(`bpfverify: unknown command '${name}'\n${usage()}`);
    return 2;
  }
  let mod: Awaited<ReturnType<Command["load"]>>;
  try {
    mod = await cmd.load();
  } catch (e) {
    io.err(`bpfverify: command '${name}' is not available in this build: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  return mod.run(rest, io);
}
