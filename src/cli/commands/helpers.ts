// Placeholder: the 'helpers' command is being built (see the issues). It refuses
// plainly instead of pretending to work.
import type { CliIo } from "../io.js";

export async function run(_argv: string[], io: CliIo): Promise<number> {
  io.err("bpfverify helpers: not implemented yet\n");
  return 2;
}
