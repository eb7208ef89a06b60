// Version-aware string order, the one test_loader sorts decl tags with so that
// "comment:9:..." comes before "comment:10:..." (the numbers are __COUNTER__ values).
//
// glibc's strverscmp: strings compare byte-wise, except inside a run of digits. A run that
// starts with a non-zero digit is an integer (the longer run is bigger); a run that starts
// with '0' is a fraction and compares byte-wise, with one twist: while both sides are still
// in their leading zeros, the side whose zeros end first is *bigger*
// (000 < 00 < 01 < 010 < 09 < 0 < 1 < 9 < 10, as the glibc manual lists).

type Cls = "x" | "d" | "0";

function cls(c: number): Cls {
  if (c === 0x30) return "0";
  return c > 0x30 && c <= 0x39 ? "d" : "x";
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** What the common prefix before the first difference ends in. */
type Ctx = "plain" | "integer" | "zeros" | "fraction";

/** Compares like glibc strverscmp; negative, zero or positive. Strings are compared as UTF-8 bytes. */
export function strverscmp(a: string, b: string): number {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  let ctx: Ctx = "plain";
  let i = 0;
  for (;; i++) {
    const c1 = i < x.length ? x[i]! : 0;
    const c2 = i < y.length ? y[i]! : 0;
    if (c1 !== c2) break;
    if (c1 === 0) return 0;
    const k = cls(c1);
    if (k === "x") ctx = "plain";
    else if (ctx === "plain") ctx = k === "0" ? "zeros" : "integer";
    else if (ctx === "zeros" && k === "d") ctx = "fraction";
  }
  const c1 = i < x.length ? x[i]! : 0;
  const c2 = i < y.length ? y[i]! : 0;
  const diff = c1 - c2;
  const k1 = cls(c1);
  const k2 = cls(c2);
  switch (ctx) {
    case "fraction":
      return diff;
    case "plain":
      return k1 === "d" && k2 === "d" ? byLength(x, y, i, diff) : diff;
    case "zeros":
      // The side still in leading zeros (or starting a fraction) is the smaller one.
      if (k1 === "x" && k2 !== "x") return 1;
      if (k2 === "x" && k1 !== "x") return -1;
      return diff;
    case "integer":
      if (k1 === "x" && k2 === "x") return diff;
      if (k1 === "x") return -1; // a's integer is shorter
      if (k2 === "x") return 1;
      return byLength(x, y, i, diff);
  }
}

/** Two integer runs that differ at i: the longer remaining run wins, else the first differing digit. */
function byLength(x: Uint8Array, y: Uint8Array, i: number, diff: number): number {
  let j = i;
  for (;;) {
    const d1 = j < x.length && isDigit(x[j]!);
    const d2 = j < y.length && isDigit(y[j]!);
    if (d1 && !d2) return 1;
    if (!d1 && d2) return -1;
    if (!d1 && !d2) return diff;
    j++;
  }
}
