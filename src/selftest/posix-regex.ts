// test_loader's expected-message patterns: verbatim text with `{{...}}` parts that are POSIX
// extended regular expressions, compiled with regcomp(REG_EXTENDED | REG_NEWLINE) and run with
// regexec() (glibc, C locale). JavaScript's RegExp differs in ways that change verdicts, so the
// ERE is translated construct by construct and the match is made leftmost-*longest*:
//  - POSIX picks the longest match at the leftmost start; JS takes the first alternative that
//    matches. The end of a match is where the next message is searched from, so it matters.
//  - REG_NEWLINE: `.` and non-matching lists `[^...]` do not match '\n'; `^`/`$` match at line
//    boundaries; `^` also matches where the search starts (regexec is given the log from there).
//  - Inside brackets a backslash is an ordinary character; `[:digit:]`-style classes exist.
//  - glibc extras: \w \W \s \S \b \B \< \> \` \' and back-references \1..\9.

/** A compile error with test_loader's wording (the test then fails: "Can't parse test spec"). */
export class PatternError extends Error {
  override readonly name = "PatternError";
}

/** test_loader's compile_regex buffer: `char buf[256]`, filled while ptr < buf_end - 2. */
const REGEX_BUF_LIMIT = 256 - 2;
const ERE_SPECIALS = ".[]\\()*+?{}|^$";

/**
 * The ERE test_loader builds from a message pattern (kernel selftests: compile_regex): verbatim
 * parts escaped, `{{...}}` parts copied. Lengths count bytes, as the C buffer does.
 */
export function patternToEre(pattern: string): string {
  const bytes = Buffer.from(pattern, "utf8");
  const out: number[] = [];
  let i = 0;
  let inRegex = false;
  const has = (s: string): boolean => bytes[i] === s.charCodeAt(0) && bytes[i + 1] === s.charCodeAt(1);
  while (i < bytes.length && out.length < REGEX_BUF_LIMIT) {
    if (!inRegex && has("{{")) {
      inRegex = true;
      i += 2;
      continue;
    }
    if (inRegex && has("}}")) {
      inRegex = false;
      i += 2;
      continue;
    }
    const c = bytes[i++]!;
    if (!inRegex && c < 0x80 && ERE_SPECIALS.includes(String.fromCharCode(c))) out.push(0x5c);
    out.push(c);
  }
  if (i < bytes.length) throw new PatternError(`Regexp too long: '${pattern}'`);
  if (inRegex) throw new PatternError(`Regexp has open '{{' but no closing '}}': '${pattern}'`);
  return Buffer.from(out).toString("utf8");
}

const CLASSES: Record<string, string> = {
  alpha: "A-Za-z",
  digit: "0-9",
  alnum: "0-9A-Za-z",
  upper: "A-Z",
  lower: "a-z",
  space: " \\t\\n\\v\\f\\r",
  blank: " \\t",
  punct: "!-\\/:-@\\[-`{-~",
  print: " -~",
  graph: "!-~",
  cntrl: "\\x00-\\x1f\\x7f",
  xdigit: "0-9A-Fa-f",
};
const WORD = "A-Za-z0-9_";

function jsClassChar(c: string): string {
  return /[\\\]\[^-]/.test(c) ? "\\" + c : c === "\n" ? "\\n" : c;
}

function jsLiteral(c: string): string {
  if (c === "\n") return "\\n";
  return /[\\^$.|?*+()[\]{}\/]/.test(c) ? "\\" + c : c;
}

interface Translated {
  source: string;
  /** Whether a match can contain '\n' (else it stays within one line). */
  crossesLines: boolean;
  /** Whether one start can give matches of different lengths (needs the longest-match search). */
  variableLength: boolean;
}

/** Translates a glibc ERE into an equivalent JS RegExp source (no flags needed). */
export function translateEre(ere: string): Translated {
  let i = 0;
  let crossesLines = false;
  let variableLength = false;
  let groups = 0;

  const bracket = (): string => {
    // i is just past '['
    let negate = false;
    if (ere[i] === "^") {
      negate = true;
      i++;
    }
    let body = "";
    let first = true;
    for (;;) {
      if (i >= ere.length) throw new PatternError("Unmatched [, [^, [:, [., or [=");
      const c = ere[i]!;
      if (c === "]" && !first) {
        i++;
        break;
      }
      first = false;
      if (c === "[" && (ere[i + 1] === ":" || ere[i + 1] === "=" || ere[i + 1] === ".")) {
        const kind = ere[i + 1]!;
        const end = ere.indexOf(kind + "]", i + 2);
        if (end < 0) throw new PatternError("Unmatched [, [^, [:, [., or [=");
        const name = ere.slice(i + 2, end);
        i = end + 2;
        if (kind === ":") {
          const cls = CLASSES[name];
          if (cls === undefined) throw new PatternError("Invalid character class name");
          if (ere[i] === "-" && ere[i + 1] !== "]") throw new PatternError("Invalid range end");
          if (name === "space" || name === "cntrl") crossesLines = true;
          body += cls;
        } else {
          // Equivalence classes and collating symbols name one character in the C locale.
          if ([...name].length !== 1) throw new PatternError("Invalid collation character");
          if (name === "\n") crossesLines = true;
          body += jsClassChar(name);
        }
        continue;
      }
      i++;
      if (ere[i] === "-" && ere[i + 1] !== undefined && ere[i + 1] !== "]") {
        const hi = ere[i + 1]!;
        if (hi < c) throw new PatternError("Invalid range end");
        if (c <= "\n" && hi >= "\n") crossesLines = true;
        body += jsClassChar(c) + "-" + jsClassChar(hi);
        i += 2;
        continue;
      }
      if (c === "\n") crossesLines = true;
      body += jsClassChar(c);
    }
    // REG_NEWLINE: a non-matching list never matches a newline.
    return negate ? `[^${body}\\n]` : `[${body}]`;
  };

  // Returns the translation of one alternation (up to ')' or the end).
  const alternation = (depth: number): string => {
    const branches: string[] = [];
    let pieces: string[] = [];
    let quantified: boolean[] = [];
    let anchors: boolean[] = [];
    const quant = (q: string): void => {
      variableLength = true;
      // glibc rejects a repetition operator with nothing to repeat (REG_BADRPT), e.g. after '^'.
      if (pieces.length === 0 || anchors[pieces.length - 1]) throw new PatternError("Invalid preceding regular expression");
      const last = pieces.length - 1;
      pieces[last] = quantified[last] ? `(?:${pieces[last]})${q}` : pieces[last] + q;
      quantified[last] = true;
    };
    const atom = (s: string, anchor = false): void => {
      pieces.push(s);
      quantified.push(false);
      anchors.push(anchor);
    };
    while (i < ere.length) {
      const c = ere[i]!;
      if (c === ")") {
        if (depth === 0) {
          // An unmatched ')' is an ordinary character in ERE.
          i++;
          atom("\\)");
          continue;
        }
        break;
      }
      i++;
      switch (c) {
        case "|":
          variableLength = true;
          branches.push(pieces.join(""));
          pieces = [];
          quantified = [];
          anchors = [];
          break;
        case "(": {
          groups++;
          const inner = alternation(depth + 1);
          if (ere[i] !== ")") throw new PatternError("Unmatched ( or \\(");
          i++;
          atom(`(${inner})`);
          break;
        }
        case "*":
        case "+":
        case "?":
          quant(c);
          break;
        case "{": {
          // glibc takes "{,n}" as "{0,n}"
          const m = /^(\d*)(,(\d*))?\}/.exec(ere.slice(i));
          if (!m || (m[1] === "" && m[2] === undefined)) throw new PatternError("Invalid content of \\{\\}");
          i += m[0].length;
          const lo = Number(m[1] || "0");
          const hi = m[2] === undefined ? lo : m[3] === "" ? undefined : Number(m[3]);
          if (hi !== undefined && hi < lo) throw new PatternError("Invalid content of \\{\\}");
          quant(hi === undefined ? `{${lo},}` : hi === lo ? `{${lo}}` : `{${lo},${hi}}`);
          break;
        }
        case ".":
          atom("[^\\n]");
          break;
        case "^":
          atom("(?:(?<![\\s\\S])|(?<=\\n))", true);
          break;
        case "$":
          atom("(?=\\n|(?![\\s\\S]))");
          break;
        case "[":
          atom(bracket());
          break;
        case "\\": {
          if (i >= ere.length) throw new PatternError("Trailing backslash");
          const e = ere[i++]!;
          const special: Record<string, string> = {
            w: `[${WORD}]`,
            W: `[^${WORD}]`,
            s: "[ \\t\\n\\v\\f\\r]",
            S: "[^ \\t\\n\\v\\f\\r]",
            b: "\\b",
            B: "\\B",
            "<": `(?<![${WORD}])(?=[${WORD}])`,
            ">": `(?<=[${WORD}])(?![${WORD}])`,
            "`": "(?<![\\s\\S])",
            "'": "(?![\\s\\S])",
          };
          if (e === "W" || e === "s") crossesLines = true;
          if (e >= "1" && e <= "9") {
            if (Number(e) > groups) throw new PatternError("Invalid back reference");
            variableLength = true;
            atom(`\\${e}`);
          } else {
            atom(special[e] ?? jsLiteral(e));
          }
          break;
        }
        default:
          if (c === "\n") crossesLines = true;
          atom(jsLiteral(c));
      }
    }
    branches.push(pieces.join(""));
    return branches.join("|");
  };

  const source = alternation(0);
  return { source, crossesLines, variableLength };
}

/** A compiled pattern: regexec() with leftmost-longest semantics over JS strings. */
export class PosixRegex {
  readonly ere: string;
  readonly #t: Translated;
  readonly #re: RegExp;

  constructor(ere: string) {
    this.ere = ere;
    this.#t = translateEre(ere);
    try {
      this.#re = new RegExp(this.#t.source);
    } catch (e) {
      throw new PatternError(`Regexp compilation error in '${ere}': '${(e as Error).message}'`);
    }
  }

  /**
   * regexec(regex, text + from, ...): the leftmost-longest match in text[from..], as absolute
   * [start, end), or undefined. `^` matches at `from` (regexec sees a string starting there).
   */
  search(text: string, from: number): [number, number] | undefined {
    const rest = from === 0 ? text : text.slice(from);
    const m = this.#re.exec(rest);
    if (!m) return undefined;
    const start = from + m.index;
    let end = start + m[0].length;
    if (this.#t.variableLength) end = this.#longestEnd(text, from, start, end);
    return [start, end];
  }

  /** The longest end of a match at `start`, given one that ends at `end`. */
  #longestEnd(text: string, from: number, start: number, end: number): number {
    // Matches of a pattern that cannot contain '\n' stay within the line; searching a segment
    // keeps the probes cheap. At the segment's edges `^`, `$` and word boundaries behave as in
    // the whole text (the neighbours are a newline, the search start or the text's end).
    let segStart = from;
    let segEnd = text.length;
    if (!this.#t.crossesLines) {
      const nl = text.lastIndexOf("\n", start - 1);
      segStart = Math.max(from, nl + 1);
      const e = text.indexOf("\n", end);
      segEnd = e < 0 ? text.length : e;
    }
    const seg = text.slice(segStart, segEnd);
    const at = start - segStart;
    // "Some match at `start` ends at or after n" is monotone in n: binary-search the largest n.
    const reaches = (n: number): boolean => {
      const re = new RegExp(`(?:${this.#t.source})(?<=^[\\s\\S]{${n - segStart},})`, "y");
      re.lastIndex = at;
      return re.test(seg);
    };
    if (end >= segEnd || !reaches(end + 1)) return end;
    let lo = end + 1; // reachable
    let hi = segEnd; // maybe
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (reaches(mid)) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}
