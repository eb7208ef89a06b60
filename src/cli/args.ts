// The option handling every object-reading subcommand shares: --btf, --module-btf, --json,
// --help, at least one OBJ, and the exit codes (2: usage, 1: bad input).
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { CliIo } from "./io.js";
import { loadTarget, type Target } from "./target.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

const COMMON = {
  btf: { type: "string" },
  "module-btf": { type: "string", multiple: true },
  kconfig: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

export interface ObjectCommandArgs<V> {
  values: V;
  files: string[];
  target: Target;
}

/**
 * Parses `argv` with the common options plus `extra`, prints usage or the error, loads the
 * target BTFs. Returns the exit code when the command must stop here.
 */
export function parseObjectCommand<const O extends Options>(
  cmd: string,
  usage: string,
  argv: string[],
  io: CliIo,
  extra: O,
): ObjectCommandArgs<ReturnType<typeof parseArgs<{ options: typeof COMMON & O; allowPositionals: true }>>["values"]> | number {
  let args;
  try {
    args = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, ...extra } as typeof COMMON & O });
  } catch (e) {
    io.err(`bpfverify ${cmd}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  const values = args.values as { help?: boolean; btf?: string; "module-btf"?: string[]; kconfig?: string };
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (args.positionals.length === 0) {
    io.err(usage);
    return 2;
  }
  let target: Target;
  try {
    target = loadTarget(values.btf, values["module-btf"] ?? [], values.kconfig);
  } catch (e) {
    io.err(`bpfverify ${cmd}: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  return { values: args.values, files: args.positionals, target };
}
