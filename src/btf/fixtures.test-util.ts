// Finds test/fixtures/btf from the compiled test (dist/src/btf) or the source tree.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function fixturePath(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "test", "fixtures", "btf", name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`fixture ${name} not found (regenerate with scripts/gen/btf-fixtures.mjs)`);
}

export function readFixture(name: string): Uint8Array {
  return readFileSync(fixturePath(name));
}
