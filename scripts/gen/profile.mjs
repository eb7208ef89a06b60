#!/usr/bin/env node
// The `gen:profile` driver: regenerates every table of a target-kernel profile
// from a kernel tree: helper prototypes and program types (scripts/gen/helpers.mjs,
// scripts/gen/progtypes.mjs) and the kfunc catalogs (scripts/gen/kfuncs.mjs).
// Usage: node scripts/gen/profile.mjs --kernel-src DIR [--out-dir REPO_ROOT] [--check] [--stats]
//   --check: write nothing, exit 1 when a checked-in file differs from a fresh generation.
import { pathToFileURL } from "node:url";
import { generateHelpers } from "./helpers.mjs";
import { generateKfuncs } from "./kfuncs.mjs";
import { parseArgs, writeOrCheck } from "./helpers.output.mjs";

export function generateProfile(kernelSrc) {
  const helpers = generateHelpers(kernelSrc);
  const kfuncs = generateKfuncs(kernelSrc);
  if (helpers.version !== kfuncs.version) throw new Error(`version mismatch: ${helpers.version} vs ${kfuncs.version}`);
  return {
    version: kfuncs.version,
    files: [...helpers.files, ...kfuncs.files],
    warnings: [...helpers.warnings.map((w) => `helpers: ${w}`), ...kfuncs.warnings.map((w) => `kfuncs: ${w}`)],
    stats: { helpers: helpers.stats, kfuncs: kfuncs.stats },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const res = generateProfile(args.kernelSrc);
  for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
  if (args.stats) process.stderr.write(JSON.stringify(res.stats, null, 2) + "\n");
  process.exit(writeOrCheck(res.files, args));
}
