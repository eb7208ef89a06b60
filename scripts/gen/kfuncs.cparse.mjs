// The C-source side of the kfunc generator: comment stripping, #if condition
// tracking per line, and the kernel's kfunc declaration macros
// (BTF_KFUNCS_START/BTF_SET8_START ... BTF_ID_FLAGS ... _END, struct
// btf_kfunc_id_set, register_btf_kfunc_id_set / register_btf_fmodret_id_set,
// BTF_ID_LIST / BTF_SET_START lists). Plain Node, no dependencies.

/** Replace comments by spaces, keeping newlines so line numbers stay valid. */
export function stripComments(text) {
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    const d = text[i + 1];
    if (c === "/" && d === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (c === "/" && d === "/") {
      let end = text.indexOf("\n", i);
      if (end < 0) end = n;
      out += " ".repeat(end - i);
      i = end;
    } else if (c === '"' || c === "'") {
      // strings may hold "/*"; copy them whole
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Offsets of line starts, for offset -> line (1-based). */
export function lineIndex(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (off) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= off) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function norm(expr) {
  return expr.replace(/\s+/g, " ").trim();
}

/**
 * The preprocessor conditions in force on each line (1-based), as C expressions
 * in the source's spelling ("CONFIG_CGROUPS", "IS_ENABLED(CONFIG_IPV6)",
 * "!(CONFIG_NET)" for an #else branch). Header include guards are dropped.
 */
export function conditionsByLine(text) {
  const lines = text.split("\n");
  const stack = []; // each: {shown: string|null, prior: string[]}
  const out = new Array(lines.length + 1);
  out[0] = [];
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    // directive continuation lines
    while (/\\\s*$/.test(line) && i + 1 < lines.length && /^\s*#/.test(lines[i])) {
      out[i + 1] = stack.map((s) => s.shown).filter((s) => s !== null);
      i++;
      line = line.replace(/\\\s*$/, " ") + lines[i];
    }
    const m = /^\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)$/.exec(line);
    if (m) {
      const kw = m[1];
      const arg = norm(m[2]);
      if (kw === "ifdef") stack.push({ shown: arg, prior: [arg] });
      else if (kw === "ifndef") {
        const guard = /^_*[A-Z0-9_]*_H(_|__)?$/.test(arg) && !arg.startsWith("CONFIG_");
        stack.push({ shown: guard ? null : `!(${arg})`, prior: [`!(${arg})`] });
      } else if (kw === "if") stack.push({ shown: arg, prior: [arg] });
      else if (kw === "elif") {
        const top = stack[stack.length - 1];
        if (top) {
          const prev = top.prior.map((p) => `!(${p.replace(/^!\((.*)\)$/, "$1")})`);
          top.shown = [...prev, arg].join(" && ");
          top.prior.push(arg);
        }
      } else if (kw === "else") {
        const top = stack[stack.length - 1];
        if (top && top.shown !== null) top.shown = top.prior.map((p) => (p.startsWith("!(") && p.endsWith(")") ? p.slice(2, -1) : `!(${p})`)).join(" && ");
      } else if (kw === "endif") stack.pop();
    }
    out[i + 1] = stack.map((s) => s.shown).filter((s) => s !== null);
  }
  return out;
}

/** Conditions on `inner` that `outer` does not already impose. */
export function extraConds(inner, outer) {
  let k = 0;
  while (k < outer.length && k < inner.length && outer[k] === inner[k]) k++;
  return inner.slice(k);
}

function splitFlags(s) {
  if (s === undefined) return [];
  return s
    .split("|")
    .map((f) => f.trim())
    .filter((f) => f !== "" && f !== "0");
}

/**
 * Every id set of a file: BTF_KFUNCS_START / BTF_SET8_START bodies with their
 * BTF_ID_FLAGS entries. `macros` expands the few x-macro lists used inside sets
 * (XDP_METADATA_KFUNC_xxx): name -> [{args: string[]}].
 */
export function parseIdSets(file, text, conds, lineOf, macros) {
  const sets = [];
  const re = /\b(BTF_KFUNCS_START|BTF_SET8_START)\s*\(\s*(\w+)\s*\)([\s\S]*?)\b(?:BTF_KFUNCS_END|BTF_SET8_END)\s*\(\s*\2\s*\)/g;
  for (let m; (m = re.exec(text)); ) {
    if (/#\s*define\s*$/.test(text.slice(Math.max(0, m.index - 40), m.index))) continue;
    const startLine = lineOf(m.index);
    const setCond = conds[startLine];
    const bodyStart = m.index + m[0].indexOf(m[3]);
    const entries = [];
    const bodyLines = m[3].split("\n");
    let localDefine = null; // #define XDP_METADATA_KFUNC(_, __, name, ___) BTF_ID_FLAGS(func, name)
    let off = bodyStart;
    for (const raw of bodyLines) {
      const line = lineOf(off);
      off += raw.length + 1;
      const entryCond = extraConds(conds[line], setCond);
      const d = /^\s*#\s*define\s+(\w+)\(([^)]*)\)\s*BTF_ID_FLAGS\(\s*func\s*,\s*(\w+)\s*(?:,([^)]*))?\)/.exec(raw);
      if (d) {
        localDefine = { name: d[1], params: d[2].split(",").map((p) => p.trim()), nameParam: d[3], flags: splitFlags(d[4]) };
        continue;
      }
      const f = /\bBTF_ID_FLAGS\s*\(\s*func\s*,\s*(\w+)\s*(?:,([^)]*))?\)/.exec(raw);
      if (f && !/^\s*#/.test(raw)) {
        entries.push({ name: f[1], flags: splitFlags(f[2]), line, ...(entryCond.length ? { cond: entryCond } : {}) });
        continue;
      }
      const x = /^\s*(\w+)\s*$/.exec(raw);
      if (x && localDefine && macros.has(x[1])) {
        const idx = localDefine.params.indexOf(localDefine.nameParam);
        for (const inv of macros.get(x[1])) {
          if (inv.macro !== localDefine.name) continue;
          entries.push({ name: inv.args[idx], flags: localDefine.flags, line, via: x[1], ...(entryCond.length ? { cond: entryCond } : {}) });
        }
      }
    }
    sets.push({
      key: `${file}:${m[2]}`,
      name: m[2],
      file,
      line: startLine,
      kfuncs: m[1] === "BTF_KFUNCS_START",
      ...(setCond.length ? { cond: setCond } : {}),
      entries,
    });
  }
  return sets;
}

/** `struct btf_kfunc_id_set NAME = { .set = &x, .filter = f }`. */
export function parseKfuncIdSets(file, text, conds, lineOf) {
  const out = [];
  const re = /struct\s+btf_kfunc_id_set\s+(\w+)\s*=\s*\{([^}]*)\}/g;
  for (let m; (m = re.exec(text)); ) {
    const fields = {};
    for (const fm of m[2].matchAll(/\.(\w+)\s*=\s*&?\s*(\w+)/g)) fields[fm[1]] = fm[2];
    const line = lineOf(m.index);
    out.push({
      key: `${file}:${m[1]}`,
      name: m[1],
      file,
      line,
      set: fields.set ?? null,
      ...(fields.filter ? { filter: fields.filter } : {}),
      ...(conds[line].length ? { cond: conds[line] } : {}),
    });
  }
  return out;
}

/** register_btf_kfunc_id_set(PROG_TYPE, &set) / register_btf_fmodret_id_set(&set) calls. */
export function parseRegistrations(file, text, conds, lineOf) {
  const out = [];
  const re = /\b(register_btf_kfunc_id_set|register_btf_fmodret_id_set)\s*\(\s*(?:(\w+)\s*,\s*)?&\s*(\w+)\s*\)/g;
  for (let m; (m = re.exec(text)); ) {
    const line = lineOf(m.index);
    out.push({
      file,
      line,
      call: m[1],
      progType: m[1] === "register_btf_fmodret_id_set" ? null : m[2],
      idSet: m[3],
      ...(conds[line].length ? { cond: conds[line] } : {}),
    });
  }
  return out;
}

/** BTF_ID_LIST(name) / BTF_SET_START(name)..END: [{kind: "func"|"struct"|..., name} | {unused: true}] with conditions. */
export function parseBtfIdLists(file, text, conds, lineOf) {
  const out = [];
  const re = /^\s*(BTF_ID_LIST|BTF_SET_START)\s*\(\s*(\w+)\s*\)/gm;
  for (let m; (m = re.exec(text)); ) {
    const startLine = lineOf(m.index);
    const rest = text.slice(re.lastIndex);
    const lines = rest.split("\n");
    const entries = [];
    let line = startLine;
    for (const raw of lines.slice(1)) {
      line++;
      const t = raw.trim();
      if (t === "" || t.startsWith("#")) continue;
      const id = /^BTF_ID\s*\(\s*(\w+)\s*,\s*(\w+)\s*\)$/.exec(t);
      const cond = extraConds(conds[line], conds[startLine]);
      if (id) entries.push({ kind: id[1], name: id[2], ...(cond.length ? { cond } : {}) });
      else if (t === "BTF_ID_UNUSED") {
        // `#else BTF_ID_UNUSED` only keeps the slots of the #if branch; the list is
        // recorded as the configured-in view, with the #if conditions on its entries
        if (!cond.some((c) => c.startsWith("!("))) entries.push({ unused: true, ...(cond.length ? { cond } : {}) });
      }
      else break;
    }
    out.push({ name: m[2], file, line: startLine, macro: m[1], entries });
  }
  return out;
}

/** `enum NAME { A, B, ... }` enumerator names in order (no values). */
export function enumNames(text, name) {
  const m = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(text);
  if (!m) throw new Error(`enum ${name} not found`);
  return m[1]
    .split(",")
    .map((s) => s.replace(/=.*$/s, "").trim())
    .filter((s) => /^\w+$/.test(s));
}

/**
 * x-macro lists: `#define LIST \ M(a, b, c) \ M(...)` -> LIST -> [{macro: "M", args}].
 * Only lists whose body is a sequence of calls of one macro.
 */
export function parseXMacroLists(text) {
  const out = new Map();
  const re = /^#\s*define\s+(\w+)[ \t]*((?:[^\n]*\\\n)+[^\n]*)/gm;
  for (let m; (m = re.exec(text)); ) {
    const body = m[2].replace(/\\\n/g, " ");
    const calls = [...body.matchAll(/(\w+)\s*\(([^()]*)\)/g)].map((c) => ({ macro: c[1], args: c[2].split(",").map((a) => a.trim()) }));
    if (calls.length === 0 || calls.some((c) => c.macro !== calls[0].macro)) continue;
    out.set(m[1], calls);
  }
  return out;
}

/** The `case BPF_PROG_TYPE_X: ... return BTF_KFUNC_HOOK_Y;` arms of bpf_prog_type_to_kfunc_hook. */
export function parseProgTypeToHook(btfC) {
  const m = /bpf_prog_type_to_kfunc_hook\s*\(\s*enum bpf_prog_type prog_type\s*\)\s*\{([\s\S]*?)\n\}/.exec(btfC);
  if (!m) throw new Error("bpf_prog_type_to_kfunc_hook not found in kernel/bpf/btf.c");
  const map = {};
  let pending = [];
  for (const tok of m[1].matchAll(/case\s+(\w+)\s*:|default\s*:|return\s+(\w+)\s*;/g)) {
    if (tok[1]) pending.push(tok[1]);
    else if (tok[0].startsWith("default")) pending.push("default");
    else {
      for (const p of pending) map[p] = tok[2];
      pending = [];
    }
  }
  return map;
}

/** `#define KF_X (1 << n)` from include/linux/btf.h. */
export function parseKfFlagBits(btfH) {
  const out = {};
  for (const m of btfH.matchAll(/^#define\s+(KF_\w+)\s+\(\s*1\s*<<\s*(\d+)\s*\)/gm)) out[m[1]] = Number(m[2]);
  return out;
}
