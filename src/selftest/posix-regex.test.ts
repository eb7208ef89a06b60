import assert from "node:assert/strict";
import { test } from "node:test";
import { PatternError, PosixRegex, patternToEre } from "./posix-regex.js";

// [ERE, text, glibc regexec(REG_EXTENDED|REG_NEWLINE) match [so, eo] | null | "error" (regcomp
// failed)], computed with python ctypes against libc.so.6 (glibc 2.36).
const GLIBC: [string, string, [number, number] | null | "error"][] = [
  ["a|ab", "xabc", [1,3]],
  ["(a|ab)(c|bcd)", "abcd", [0,4]],
  ["[0-9]+", "r12 = 345", [1,3]],
  ["R[0-9]=scalar\\(", "R1=scalar(id=1)", [0,10]],
  [".*", "ab\ncd", [0,2]],
  ["b.*", "ab\ncd", [1,2]],
  ["[^)]*", "ab)c", [0,2]],
  ["[^x]*", "ab\ncd", [0,2]],
  ["^cd", "ab\ncd", [3,5]],
  ["^ab", "ab\ncd", [0,2]],
  ["b$", "ab\ncd", [1,2]],
  ["d$", "ab\ncd", [4,5]],
  ["[[:digit:]]+", "x42y", [1,3]],
  ["[\\.]", "a\\b.c", [1,2]],
  ["[]a]+", "x]a]y", [1,4]],
  ["x{2,3}", "axxxxb", [1,4]],
  ["(ab)*", "ababx", [0,4]],
  ["(a|b)+c", "zabac", [1,5]],
  ["\\bfoo\\b", "afoo foo", [5,8]],
  ["\\<r1\\>", "xr1 r1", [4,6]],
  ["(0x[0-9a-f]+) = \\1", "v 0x1f = 0x1f", [2,13]],
  ["a**", "aaa", [0,3]],
  ["*a", "x*a", "error"],
  ["min|max", "xmaxmin", [1,4]],
  ["(front|back).+", "the back node", [4,13]],
  ["(retq|jmp\t0x)", "  jmp\t0x10", [2,8]],
  ["[0-9]+\\+[0-9]+\\+[0-9]+$", "depth 8+16+32\nok", [6,13]],
  ["(_w)?", "_w", [0,2]],
  ["[1-9a-f][0-9a-f]*", "off 0", [1,3]],
  ["x(a|ab|abc)", "xabcd", [0,4]],
  ["(a*)(ab)*b", "aabb", [0,4]],
  ["\\w+", "  foo_1-x", [2,7]],
  ["a{,3}", "aaaa", [0, 3]],
  ["a{", "a{", "error"],
  ["a{x}", "a{x}", "error"],
  ["^*", "*", "error"],
  ["[[:alpha:]-z]", "-", "error"],
  ["x*?", "xx", [0, 2]],
  ["a+*", "aa", [0, 2]],
  ["[a\\]]", "\\]", [0, 2]],
  ["a$b", "a$b", null],
  ["\\d", "d", [0, 1]],
  ["[[.-.]]", "-", [0, 1]],
  ["a|", "b", [0, 0]],
];

test("matches like glibc regexec: leftmost-longest, REG_NEWLINE, brackets, back-references", () => {
  for (const [ere, text, want] of GLIBC) {
    if (want === "error") {
      assert.throws(() => new PosixRegex(ere), PatternError, ere);
      continue;
    }
    assert.deepEqual(new PosixRegex(ere).search(text, 0) ?? null, want, `/${ere}/ on ${JSON.stringify(text)}`);
  }
});

test("^ matches where the search starts, as regexec sees a string starting there", () => {
  const re = new PosixRegex("^b");
  assert.deepEqual(re.search("ab", 1), [1, 2]);
  assert.equal(re.search("ab", 0), undefined);
});

test("compile_regex: verbatim parts escaped, {{...}} copied, 256-byte buffer", () => {
  assert.equal(patternToEre("R1 (x) {{[0-9]+}}."), "R1 \\(x\\) [0-9]+\\.");
  assert.equal(patternToEre("a}}b"), "a}}b".replace(/[{}]/g, (c) => "\\" + c));
  assert.throws(() => patternToEre("x{{[0-9]"), /open '\{\{' but no closing/);
  // The loop stops once 254 bytes are out: a closing "}}" left unread then is "too long".
  assert.equal(patternToEre("{{" + "a".repeat(253) + "}}").length, 253);
  assert.throws(() => patternToEre("{{" + "a".repeat(254) + "}}"), /Regexp too long/);
  // A verbatim '.' escapes to two bytes.
  assert.throws(() => patternToEre(".".repeat(128)), /Regexp too long/);
  assert.equal(patternToEre(".".repeat(127)).length, 254);
});
