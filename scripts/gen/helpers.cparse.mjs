// A small reader for the C the kernel writes its helper tables in: enough to
// lex a file (after the preprocessor conditionals are resolved), find
// top-level definitions, and parse the statement subset that the
// `*_func_proto()` selectors use (switch/case, if/else, return, locals).
// It is not a C compiler: anything outside that subset becomes an "opaque"
// node carrying its source text, so the caller can record it as data.

/**
 * Resolves #if/#ifdef/#ifndef/#elif/#else/#endif the way a kernel with every
 * CONFIG_* option enabled would; conditions that are not about CONFIG_*
 * (include guards, arch macros) keep their first branch. Which options the
 * code under a line needs is kept: `guards[line]` (0-based) lists the
 * CONFIG_* names of the enclosing `#ifdef CONFIG_X` / `#if IS_ENABLED(CONFIG_X)`
 * / `#if defined(A) && defined(B)` blocks, so callers can turn them into
 * conditions instead of assuming them.
 * Returns {text, guards}: inactive and directive lines blanked, line numbers kept.
 */
export function preprocess(src) {
  const lines = src.split("\n");
  const out = [];
  const guards = [];
  // each frame: {active, taken, configs}
  const stack = [];
  const active = () => stack.every((f) => f.active);
  const currentGuards = () => stack.flatMap((f) => (f.active ? f.configs : []));
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^\s*#\s*(\w+)(.*)$/.exec(line);
    if (!m) {
      out.push(active() ? line : "");
      guards.push(currentGuards());
      continue;
    }
    // a directive continued over several lines: read it whole, blank every line of it
    let rest = m[2];
    let j = i;
    while (lines[j].endsWith("\\") && j + 1 < lines.length) {
      rest = rest.replace(/\\$/, " ") + lines[++j];
    }
    const dir = m[1];
    if (dir === "if" || dir === "ifdef" || dir === "ifndef") {
      let v;
      if (dir === "ifdef") v = true;
      else if (dir === "ifndef") v = !/^\s*CONFIG_/.test(rest);
      else v = evalPpCond(rest);
      stack.push({ active: v, taken: v, configs: dir === "ifndef" ? [] : positiveConfigs(dir === "ifdef" ? `defined(${rest.trim()})` : rest) });
    } else if (dir === "elif") {
      const f = stack[stack.length - 1];
      if (f) {
        const v = !f.taken && evalPpCond(rest);
        f.active = v;
        f.taken = f.taken || v;
        f.configs = positiveConfigs(rest);
      }
    } else if (dir === "else") {
      const f = stack[stack.length - 1];
      if (f) {
        f.active = !f.taken;
        f.taken = true;
        f.configs = [];
      }
    } else if (dir === "endif") {
      stack.pop();
    }
    for (let k = i; k <= j; k++) {
      out.push("");
      guards.push(currentGuards());
    }
    i = j;
  }
  return { text: out.join("\n"), guards };
}

// The CONFIG_* options a condition requires when it is a plain conjunction of
// `defined(CONFIG_X)` / `IS_ENABLED(CONFIG_X)` / `IS_BUILTIN`/`IS_MODULE` terms; [] otherwise
// (a negation or a disjunction cannot be read as "needs X").
function positiveConfigs(cond) {
  const c = cond.replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "").trim();
  if (/\|\||!/.test(c)) return [];
  const terms = c.split("&&").map((t) => t.trim().replace(/^\((.*)\)$/, "$1").trim());
  const names = [];
  for (const t of terms) {
    const m = /^(?:defined|IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)\s*\(\s*(CONFIG_\w+)\s*\)$|^defined\s+(CONFIG_\w+)$|^(CONFIG_\w+)$/.exec(t);
    if (!m) continue;
    names.push(m[1] ?? m[2] ?? m[3]);
  }
  return names;
}

// Every CONFIG_* is taken as enabled; `!` of it is therefore false.
function evalPpCond(expr) {
  const e = expr.replace(/\/\*.*?\*\//g, "").replace(/\/\/.*$/, "");
  if (!/CONFIG_/.test(e)) return true;
  const js = e
    .replace(/(?:defined|IS_ENABLED|IS_BUILTIN|IS_REACHABLE)\s*\(\s*CONFIG_\w+\s*\)/g, "true")
    .replace(/defined\s+CONFIG_\w+/g, "true")
    .replace(/CONFIG_\w+/g, "true")
    .replace(/defined\s*\(\s*\w+\s*\)/g, "true");
  if (!/^[\s()!&|truefals]*$/.test(js)) return true;
  try {
    return Boolean(Function(`return (${js});`)());
  } catch {
    return true;
  }
}

/** Blank out comments and the contents of string/char literals' surroundings, keeping offsets. */
export function stripComments(src) {
  let out = "";
  let i = 0;
  const n = src.length;
  while (i < n) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "*") {
      const j = src.indexOf("*/", i + 2);
      const end = j < 0 ? n : j + 2;
      out += src.slice(i, end).replace(/[^\n]/g, " ");
      i = end;
    } else if (c === "/" && src[i + 1] === "/") {
      let j = src.indexOf("\n", i);
      if (j < 0) j = n;
      out += " ".repeat(j - i);
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const PUNCT = ["->", "==", "!=", "<=", ">=", "&&", "||", "<<", ">>", "++", "--", "+=", "-=", "|=", "&=", "..."];

/** Tokens: {t: "id"|"num"|"str"|"p", v, pos}. */
export function lex(src, start = 0, end = src.length) {
  const toks = [];
  let i = start;
  while (i < end) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < end && /\w/.test(src[j])) j++;
      toks.push({ t: "id", v: src.slice(i, j), pos: i });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < end && /[\w.]/.test(src[j])) j++;
      toks.push({ t: "num", v: src.slice(i, j), pos: i });
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < end && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      toks.push({ t: "str", v: src.slice(i, j + 1), pos: i });
      i = j + 1;
    } else {
      const p = PUNCT.find((q) => src.startsWith(q, i));
      const v = p ?? c;
      toks.push({ t: "p", v, pos: i });
      i += v.length;
    }
  }
  return toks;
}

/** Index just past the brace that closes the one at `open`. */
export function matchBrace(src, open) {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "{") depth++;
    else if (c === "}") {
      depth--;
      if (depth === 0) return i + 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === "\\" ? 2 : 1;
      i = j;
    }
  }
  throw new Error(`unbalanced brace at ${open}`);
}

/** Split `s` at commas that are not nested in (), [] or {}. */
export function splitTopLevel(s, sep = ",") {
  const parts = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") depth--;
    if (ch === sep && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim() !== "") parts.push(cur);
  return parts;
}

/** `{ .a = x, .b = y }` designated initializer body -> Map of field -> source text (whitespace collapsed). */
export function parseDesignated(body) {
  const fields = new Map();
  for (const part of splitTopLevel(body)) {
    const m = /^\s*\.(\w+)\s*=\s*([\s\S]*?)\s*$/.exec(part);
    if (m) fields.set(m[1], m[2].replace(/\s+/g, " "));
  }
  return fields;
}

// ---- expressions ---------------------------------------------------------

class Parser {
  constructor(toks, src) {
    this.toks = toks;
    this.i = 0;
    this.src = src;
  }
  peek(o = 0) { return this.toks[this.i + o]; }
  is(v, o = 0) { const t = this.peek(o); return t !== undefined && t.v === v && (t.t === "p" || t.t === "id"); }
  next() { return this.toks[this.i++]; }
  expect(v) {
    const t = this.next();
    if (!t || t.v !== v) throw new Error(`expected '${v}' got '${t?.v}' at ${t?.pos}`);
    return t;
  }
  text(from, to) {
    // Source text of tokens [from, to), whitespace collapsed.
    if (from >= to) return "";
    const a = this.toks[from].pos;
    const last = this.toks[to - 1];
    return this.src.slice(a, last.pos + last.v.length).replace(/\s+/g, " ");
  }

  expr() { return this.ternary(); }
  ternary() {
    const start = this.i;
    const c = this.binary(0);
    if (this.is("?")) {
      this.next();
      const a = this.expr();
      this.expect(":");
      const b = this.ternary();
      return { k: "cond", c, a, b, text: this.text(start, this.i) };
    }
    return c;
  }
  binary(minPrec) {
    const start = this.i;
    let left = this.unary();
    for (;;) {
      const t = this.peek();
      const prec = t && t.t === "p" ? BIN_PREC[t.v] : undefined;
      if (prec === undefined || prec < minPrec) return left;
      this.next();
      const right = this.binary(prec + 1);
      left = { k: "bin", op: t.v, l: left, r: right, text: this.text(start, this.i) };
    }
  }
  unary() {
    const start = this.i;
    const t = this.peek();
    if (t && t.t === "p" && ["!", "-", "~", "&", "*"].includes(t.v)) {
      this.next();
      const e = this.unary();
      return { k: "un", op: t.v, e, text: this.text(start, this.i) };
    }
    if (t && t.v === "sizeof") {
      this.next();
      this.expect("(");
      let depth = 1;
      while (depth > 0) {
        const u = this.next();
        if (u.v === "(") depth++;
        else if (u.v === ")") depth--;
      }
      return { k: "opaque", text: this.text(start, this.i) };
    }
    // cast: ( type ) expr -- only the simple `(void *)` / `(struct x *)` forms
    if (this.is("(") && this.peek(1)?.t === "id" && ["struct", "void", "const", "u32", "u64", "int", "unsigned", "long"].includes(this.peek(1).v)) {
      this.next();
      while (!this.is(")")) this.next();
      this.next();
      return this.unary();
    }
    return this.postfix();
  }
  postfix() {
    const start = this.i;
    let e = this.primary();
    for (;;) {
      if (this.is("(")) {
        this.next();
        const args = [];
        while (!this.is(")")) {
          args.push(this.expr());
          if (this.is(",")) this.next();
        }
        this.next();
        e = { k: "call", f: e, args, text: this.text(start, this.i) };
      } else if (this.is("->") || this.is(".")) {
        const op = this.next().v;
        const name = this.next().v;
        e = { k: "member", e, op, name, text: this.text(start, this.i) };
      } else if (this.is("[")) {
        this.next();
        const idx = this.expr();
        this.expect("]");
        e = { k: "index", e, idx, text: this.text(start, this.i) };
      } else return e;
    }
  }
  primary() {
    const t = this.next();
    if (!t) throw new Error("unexpected end of expression");
    if (t.t === "id") return { k: "id", name: t.v, text: t.v };
    if (t.t === "num") return { k: "num", v: Number.parseInt(t.v, t.v.startsWith("0x") ? 16 : 10), text: t.v };
    if (t.t === "str") return { k: "opaque", text: t.v };
    if (t.v === "(") {
      const e = this.expr();
      this.expect(")");
      return e;
    }
    throw new Error(`unexpected token '${t.v}' at ${t.pos}`);
  }

  // ---- statements --------------------------------------------------------
  stmt() {
    const t = this.peek();
    if (t.v === "{") {
      this.next();
      const body = [];
      while (!this.is("}")) body.push(this.stmt());
      this.next();
      return { k: "block", body };
    }
    if (t.t === "id") {
      switch (t.v) {
        case "switch": {
          this.next();
          this.expect("(");
          const e = this.expr();
          this.expect(")");
          return { k: "switch", e, body: this.stmt() };
        }
        case "case": {
          this.next();
          const e = this.expr();
          this.expect(":");
          return { k: "case", e, pos: t.pos };
        }
        case "default":
          this.next();
          this.expect(":");
          return { k: "default" };
        case "if": {
          this.next();
          this.expect("(");
          const c = this.expr();
          this.expect(")");
          const a = this.stmt();
          let b = null;
          if (this.is("else")) {
            this.next();
            b = this.stmt();
          }
          return { k: "if", c, a, b };
        }
        case "return": {
          this.next();
          if (this.is(";")) { this.next(); return { k: "return", e: null }; }
          const e = this.expr();
          this.expect(";");
          return { k: "return", e };
        }
        case "break":
          this.next(); this.expect(";");
          return { k: "break" };
        case "fallthrough":
          this.next(); this.expect(";");
          return { k: "empty" };
        default:
          break;
      }
      if (/^(for|while|do|goto|list_for_each_entry\w*)$/.test(t.v)) return this.opaqueStmt();
      if (this.looksLikeDecl()) return this.decl();
    }
    if (t.v === ";") { this.next(); return { k: "empty" }; }
    const start = this.i;
    const lhs = this.expr();
    if (this.is("=")) {
      this.next();
      const rhs = this.expr();
      this.expect(";");
      return { k: "assign", lhs, rhs };
    }
    this.expect(";");
    return { k: "expr", e: lhs, text: this.text(start, this.i) };
  }
  looksLikeDecl() {
    const t = this.peek();
    if (["const", "struct", "enum", "static", "unsigned", "int", "bool", "u32", "u64", "long"].includes(t.v)) return true;
    // `type name` or `type *name`
    const a = this.peek(1);
    return a !== undefined && (a.t === "id" || (a.v === "*" && this.peek(2)?.t === "id")) && !this.is("(", 1);
  }
  decl() {
    // type tokens until the declarator name followed by = or ;
    while (!(this.peek().t === "id" && (this.is("=", 1) || this.is(";", 1)))) this.next();
    const name = this.next().v;
    let init = null;
    if (this.is("=")) {
      this.next();
      init = this.expr();
    }
    this.expect(";");
    return { k: "decl", name, init };
  }
  opaqueStmt() {
    // Skip a loop/goto statement with its body; the caller treats it as unknown.
    const start = this.i;
    let depth = 0;
    for (;;) {
      const t = this.next();
      if (t.v === "(" || t.v === "{") depth++;
      else if (t.v === ")") depth--;
      else if (t.v === "}") { depth--; if (depth === 0) break; }
      else if (t.v === ";" && depth === 0) break;
    }
    return { k: "opaqueStmt", text: this.text(start, this.i) };
  }
}

const BIN_PREC = { "||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10 };

/** Parse a function body `{ ... }` (src[open] === "{"). */
export function parseBody(src, open) {
  const end = matchBrace(src, open);
  const p = new Parser(lex(src, open, end), src);
  return p.stmt();
}

/** Parse an expression from text. */
export function parseExpr(text) {
  const p = new Parser(lex(text), text);
  const e = p.expr();
  if (p.i !== p.toks.length) throw new Error(`trailing tokens in '${text}'`);
  return e;
}
