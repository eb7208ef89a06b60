// Symbolic evaluation of the kernel's `*_func_proto(func_id, prog)` selectors
// (and of the protos' `.allowed` predicates). func_id and prog->type are known
// when we ask; everything else the kernel looks at is unknown at generation
// time -- expected_attach_type, capabilities, prog->sleepable, lockdown, the
// iterator target, `case` labels under #ifdef CONFIG_X, the struct_ops member,
// the attach target's BTF set or name prefix -- so the evaluator forks on it
// and records the branch taken as a condition. The result for one (func_id,
// prog type) is the list of reachable outcomes, each a proto (or NULL) with
// the conjunction of conditions that leads there. Tests it cannot classify
// are kept as {kind: "expr", text} with the source text.

import { findFunc } from "./helpers.source.mjs";

// Conditions that only fail on a runtime error (an allocation), not on anything
// the program or its loader chooses: taken as succeeding.
const ASSUMED = new Map([["md_dst", true]]);

const CAP_FUNCS = new Map([["bpf_capable", "CAP_BPF"], ["perfmon_capable", "CAP_PERFMON"]]);

function clone(st) {
  return {
    attach: { oneOf: st.attach.oneOf ? [...st.attach.oneOf] : null, noneOf: [...st.attach.noneOf] },
    lits: { ...st.lits },
    locals: { ...st.locals },
  };
}

/** Constrain `expected_attach_type == t` to `holds`; null when the path becomes impossible. */
function constrainAttach(st, t, holds) {
  const a = st.attach;
  if (holds) {
    if (a.noneOf.includes(t)) return null;
    if (a.oneOf && !a.oneOf.includes(t)) return null;
    const s = clone(st);
    s.attach = { oneOf: [t], noneOf: [] };
    return s;
  }
  if (a.oneOf) {
    if (!a.oneOf.includes(t)) return st;
    const rest = a.oneOf.filter((x) => x !== t);
    if (rest.length === 0) return null;
    const s = clone(st);
    s.attach.oneOf = rest;
    return s;
  }
  if (a.noneOf.includes(t)) return st;
  const s = clone(st);
  s.attach.noneOf.push(t);
  return s;
}

/** Fork on a boolean condition the kernel evaluates at load time. */
function forkLit(st, lit) {
  const key = litKey(lit);
  if (key in st.lits) return [{ b: st.lits[key].holds, st }];
  const t = clone(st);
  t.lits[key] = { ...lit, holds: true };
  const f = clone(st);
  f.lits[key] = { ...lit, holds: false };
  return [{ b: true, st: t }, { b: false, st: f }];
}

export function litKey(lit) {
  switch (lit.kind) {
    case "capable": return `cap:${lit.cap}`;
    case "sleepable": return "sleepable";
    case "lockedDown": return `lockdown:${lit.what}`;
    case "iterTarget": return `iter:${lit.target}`;
    case "config": return `config:${lit.name}`;
    case "structOpsMember": return `member:${lit.member}`;
    case "attachTarget": return `target:${lit.set}`;
    case "attachTargetPrefix": return `targetPrefix:${lit.prefix}`;
    default: return `expr:${lit.text}`;
  }
}

export class Evaluator {
  /**
   * @param scan   result of scanTree()
   * @param lookupProto (name, fromFile) -> proto key or undefined
   */
  constructor(scan, lookupProto) {
    this.scan = scan;
    this.lookupProto = lookupProto;
    this.warnings = new Set();
    this.depth = 0;
  }

  /** Outcomes of calling selector `fname` (named in `fromFile`'s verifier_ops) for (funcId, progType): [{v, st}] */
  select(fname, funcId, progType, fromFile) {
    const st = { attach: { oneOf: null, noneOf: [] }, lits: {}, locals: {} };
    this.cx = { funcId, progType };
    this.file = fromFile;
    return this.callFunc(fname, [{ k: "enum", name: funcId }, { k: "prog" }], st);
  }

  /** Paths on which the `.allowed` predicate `fname` returns true, for a program of progType. */
  allowedPaths(fname, progType, fromFile) {
    const st = { attach: { oneOf: null, noneOf: [] }, lits: {}, locals: {} };
    this.cx = { funcId: null, progType };
    this.file = fromFile;
    return this.callFunc(fname, [{ k: "prog" }], st).flatMap(({ v, st: s2 }) => this.truthOf(v, s2, { text: fname }).filter((r) => r.b).map((r) => r.st));
  }

  callFunc(fname, args, st, fromFile = this.file) {
    const f = findFunc(this.scan, fname, fromFile);
    if (!f) throw new Error(`selector ${fname} not found`);
    if (f.body.k === "unparsed") throw new Error(`cannot parse ${fname} (${f.file}): ${f.body.why}`);
    if (++this.depth > 40) throw new Error(`call depth exceeded in ${fname}`);
    const saved = st.locals;
    const entry = clone(st);
    entry.locals = {};
    f.params.forEach((p, i) => { entry.locals[p] = args[i] ?? { k: "opaque", text: p }; });
    const prevFile = this.file;
    this.file = f.file;
    const res = [];
    for (const r of this.exec(f.body, entry)) {
      r.st.locals = saved;
      if (r.c === "return") res.push({ v: r.v, st: r.st });
      else res.push({ v: f.ret === "bool" ? { k: "bool", v: false } : { k: "null" }, st: r.st });
    }
    this.file = prevFile;
    this.depth--;
    return res;
  }

  // ---- statements ----
  exec(s, st) {
    switch (s.k) {
      case "block": return this.execSeq(s.body, 0, st);
      case "if": {
        const out = [];
        for (const { b, st: s2 } of this.truth(s.c, st)) {
          if (b) out.push(...this.exec(s.a, s2));
          else if (s.b) out.push(...this.exec(s.b, s2));
          else out.push({ st: s2, c: "normal" });
        }
        return out;
      }
      case "switch": return this.execSwitch(s, st);
      case "return":
        if (s.e === null) return [{ st, c: "return", v: { k: "null" } }];
        return this.eval(s.e, st).map(({ v, st: s2 }) => ({ st: s2, c: "return", v }));
      case "break": return [{ st, c: "break" }];
      case "decl":
        if (!s.init) {
          const s2 = clone(st);
          s2.locals[s.name] = { k: "null" };
          return [{ st: s2, c: "normal" }];
        }
        return this.eval(s.init, st).map(({ v, st: s2 }) => {
          const s3 = clone(s2);
          s3.locals[s.name] = v;
          return { st: s3, c: "normal" };
        });
      case "assign":
        if (s.lhs.k !== "id") return [{ st, c: "normal" }];
        return this.eval(s.rhs, st).map(({ v, st: s2 }) => {
          const s3 = clone(s2);
          s3.locals[s.lhs.name] = v;
          return { st: s3, c: "normal" };
        });
      case "expr": case "empty": case "case": case "default":
        return [{ st, c: "normal" }];
      case "opaqueStmt":
        this.warnings.add(`${this.file}: statement not modelled: ${s.text.slice(0, 80)}`);
        return [{ st, c: "normal" }];
      default:
        throw new Error(`statement kind ${s.k}`);
    }
  }

  execSeq(body, from, st) {
    let cur = [{ st, c: "normal" }];
    for (let i = from; i < body.length; i++) {
      const next = [];
      for (const r of cur) {
        if (r.c !== "normal") next.push(r);
        else next.push(...this.exec(body[i], r.st));
      }
      cur = next;
    }
    return cur;
  }

  execSwitch(s, st) {
    const body = s.body.k === "block" ? s.body.body : [s.body];
    const labels = [];
    body.forEach((x, i) => {
      if (x.k === "case") labels.push({ i, name: x.e.k === "id" ? x.e.name : x.e.text, configs: x.configs ?? [] });
      else if (x.k === "default") labels.push({ i, name: null });
    });
    const def = labels.find((l) => l.name === null);
    const caseNames = labels.filter((l) => l.name !== null).map((l) => l.name);
    const out = [];
    const run = (from, s2) => {
      for (const r of this.execSeq(body, from, s2)) out.push(r.c === "break" ? { st: r.st, c: "normal" } : r);
    };
    for (const { v, st: s2 } of this.eval(s.e, st)) {
      if (v.k === "enum") {
        // A label under `#ifdef CONFIG_X` is there only when X is set; without it
        // the value falls to the next matching label or to default.
        let cur = [s2];
        for (const l of labels.filter((x) => x.name === v.name)) {
          const next = [];
          for (const s3 of cur) {
            let on = [s3];
            let offs = [];
            for (const name of l.configs) {
              const nOn = [];
              for (const s4 of on) {
                for (const { b, st: s5 } of forkLit(s4, { kind: "config", name })) (b ? nOn : offs).push(s5);
              }
              on = nOn;
            }
            for (const s4 of on) run(l.i, s4);
            next.push(...offs);
          }
          cur = next;
        }
        for (const s3 of cur) {
          if (def) run(def.i, s3);
          else out.push({ st: s3, c: "normal" });
        }
      } else if (v.k === "attach") {
        for (const l of labels) {
          if (l.name === null) continue;
          const s3 = constrainAttach(s2, l.name, true);
          if (s3) run(l.i, s3);
        }
        let s4 = s2;
        for (const n of caseNames) { s4 = s4 && constrainAttach(s4, n, false); }
        if (s4) {
          if (def) run(def.i, s4);
          else out.push({ st: s4, c: "normal" });
        }
      } else {
        throw new Error(`${this.file}: switch on unmodelled value ${JSON.stringify(v)}`);
      }
    }
    return out;
  }

  // ---- expressions ----
  /** Fork on the truth value of e: [{b, st}] */
  truth(e, st) {
    const out = [];
    for (const { v, st: s2 } of this.eval(e, st)) out.push(...this.truthOf(v, s2, e));
    return out;
  }

  truthOf(v, st, e) {
    switch (v.k) {
      case "bool": return [{ b: v.v, st }];
      case "null": return [{ b: false, st }];
      case "proto": case "func": case "prog": case "attachBtfId": return [{ b: true, st }];
      case "int": return [{ b: v.v !== 0, st }];
      case "lit": return forkLit(st, v.lit);
      default: {
        const text = v.text ?? e.text;
        if (ASSUMED.has(text)) return [{ b: ASSUMED.get(text), st }];
        return forkLit(st, { kind: "expr", text });
      }
    }
  }

  eval(e, st) {
    switch (e.k) {
      case "num": return [{ v: { k: "int", v: e.v }, st }];
      case "id": return [{ v: this.ident(e.name, st), st }];
      case "opaque": return [{ v: { k: "opaque", text: e.text }, st }];
      case "member": {
        const base = e.e.k === "id" ? this.ident(e.e.name, st) : null;
        if (base?.k === "prog" && e.op === "->") {
          if (e.name === "expected_attach_type") return [{ v: { k: "attach" }, st }];
          if (e.name === "type") return [{ v: { k: "enum", name: this.cx.progType }, st }];
          if (e.name === "sleepable") return [{ v: { k: "lit", lit: { kind: "sleepable" } }, st }];
        }
        if (e.op === "->" && e.name === "attach_btf_id" && e.e.k === "member" && e.e.name === "aux" && e.e.e.k === "id" && this.ident(e.e.e.name, st).k === "prog") {
          return [{ v: { k: "attachBtfId" }, st }];
        }
        return [{ v: { k: "opaque", text: e.text }, st }];
      }
      case "index": return [{ v: { k: "opaque", text: e.text }, st }];
      case "un": {
        if (e.op === "&" && e.e.k === "id") {
          const key = this.lookupProto(e.e.name, this.file);
          return [{ v: key ? { k: "proto", key } : { k: "opaque", text: e.text }, st }];
        }
        if (e.op === "!") return this.truth(e.e, st).map(({ b, st: s2 }) => ({ v: { k: "bool", v: !b }, st: s2 }));
        return [{ v: { k: "opaque", text: e.text }, st }];
      }
      case "cond": {
        const out = [];
        for (const { b, st: s2 } of this.truth(e.c, st)) out.push(...this.eval(b ? e.a : e.b, s2));
        return out;
      }
      case "bin": return this.evalBin(e, st);
      case "call": return this.evalCall(e, st);
      default: throw new Error(`expression kind ${e.k}`);
    }
  }

  ident(name, st) {
    if (name in st.locals) return st.locals[name];
    if (name === "NULL") return { k: "null" };
    if (name === "true" || name === "false") return { k: "bool", v: name === "true" };
    if (findFunc(this.scan, name, this.file)) return { k: "func", name };
    if (/^[A-Z][A-Z0-9_]*$/.test(name)) return { k: "enum", name };
    return { k: "opaque", text: name };
  }

  evalBin(e, st) {
    if (e.op === "&&" || e.op === "||") {
      const out = [];
      for (const { b, st: s2 } of this.truth(e.l, st)) {
        if (e.op === "&&" ? !b : b) out.push({ v: { k: "bool", v: b }, st: s2 });
        else for (const r of this.truth(e.r, s2)) out.push({ v: { k: "bool", v: r.b }, st: r.st });
      }
      return out;
    }
    const out = [];
    for (const { v: l, st: s2 } of this.eval(e.l, st)) {
      for (const { v: r, st: s3 } of this.eval(e.r, s2)) out.push(...this.compare(e, l, r, s3));
    }
    return out;
  }

  compare(e, l, r, st) {
    const op = e.op;
    if ((op === "==" || op === "!=") && (l.k === "attach" || r.k === "attach")) {
      const other = l.k === "attach" ? r : l;
      if (other.k !== "enum") throw new Error(`${this.file}: attach type compared with ${other.k}: ${e.text}`);
      const out = [];
      for (const holds of [true, false]) {
        const s2 = constrainAttach(st, other.name, holds);
        if (s2) out.push({ v: { k: "bool", v: op === "==" ? holds : !holds }, st: s2 });
      }
      return out;
    }
    if ((op === "==" || op === "!=") && l.k === "enum" && r.k === "enum") {
      return [{ v: { k: "bool", v: (l.name === r.name) === (op === "==") }, st }];
    }
    if (l.k === "int" && r.k === "int") {
      const a = l.v, b = r.v;
      const res = { "==": a === b, "!=": a !== b, "<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b }[op];
      if (res !== undefined) return [{ v: { k: "bool", v: res }, st }];
    }
    if ((op === "==" || op === "!=") && ((l.k === "moff" && r.k === "offsetof") || (l.k === "offsetof" && r.k === "moff"))) {
      const member = l.k === "offsetof" ? l.member : r.member;
      return forkLit(st, { kind: "structOpsMember", member }).map(({ b, st: s2 }) => ({ v: { k: "bool", v: op === "==" ? b : !b }, st: s2 }));
    }
    if (l.k === "lockdown" && op === "<" && r.k === "int" && r.v === 0) {
      return forkLit(st, { kind: "lockedDown", what: l.what }).map(({ b, st: s2 }) => ({ v: { k: "bool", v: b }, st: s2 }));
    }
    return [{ v: { k: "lit", lit: { kind: "expr", text: e.text } }, st }];
  }

  evalCall(e, st) {
    const fname = e.f.k === "id" ? e.f.name : null;
    if (fname === "bpf_token_capable" || fname === "capable") {
      const cap = e.args[e.args.length - 1]?.text ?? "?";
      return [{ v: { k: "lit", lit: { kind: "capable", cap } }, st }];
    }
    if (fname && CAP_FUNCS.has(fname)) return [{ v: { k: "lit", lit: { kind: "capable", cap: CAP_FUNCS.get(fname) } }, st }];
    // btf_id_set_contains(&SET, prog->aux->attach_btf_id): the function the program attaches to is in SET
    if (fname === "btf_id_set_contains" && e.args.length === 2) {
      const set = e.args[0].text.replace(/^&\s*/, "");
      const rows = this.scan.btfIdLists.get(`set:${set}`);
      const ids = this.eval(e.args[1], st);
      if (rows && ids.length === 1 && ids[0].v.k === "attachBtfId") {
        return [{ v: { k: "lit", lit: { kind: "attachTarget", set, funcs: rows.map((r) => r.type) } }, st }];
      }
    }
    // strncmp(prog->aux->attach_func_name, "prefix", strlen("prefix")): 0 when the attach target starts with prefix
    if (fname === "strncmp" && e.args[0]?.text === "prog->aux->attach_func_name" && e.args[1]?.k === "opaque") {
      const prefix = e.args[1].text.replace(/^"|"$/g, "");
      return forkLit(st, { kind: "attachTargetPrefix", prefix }).map(({ b, st: s2 }) => ({ v: { k: "int", v: b ? 0 : 1 }, st: s2 }));
    }
    // prog_ops_moff(prog) == offsetof(struct S, member): which struct_ops member the program implements
    if (fname === "prog_ops_moff") return [{ v: { k: "moff" }, st }];
    if (fname === "offsetof") return [{ v: { k: "offsetof", member: e.args[e.args.length - 1]?.text ?? "?" }, st }];
    if (fname === "security_locked_down") return [{ v: { k: "lockdown", what: e.args[0]?.text ?? "?" }, st }];
    if (fname === "bpf_iter_get_func_proto") return this.iterTargets(st);
    if (fname && findFunc(this.scan, fname, this.file)) {
      // Evaluate arguments left to right (they are plain names here: func_id, prog).
      let states = [{ args: [], st }];
      for (const a of e.args) {
        const next = [];
        for (const s of states) for (const { v, st: s2 } of this.eval(a, s.st)) next.push({ args: [...s.args, v], st: s2 });
        states = next;
      }
      const out = [];
      for (const s of states) out.push(...this.callFunc(fname, s.args, s.st));
      return out;
    }
    return [{ v: { k: "opaque", text: e.text }, st }];
  }

  // kernel: bpf_iter_get_func_proto -- the proto comes from the iterator target the program attaches to
  iterTargets(st) {
    const out = [];
    const targets = [];
    for (const reg of this.scan.iterRegs) {
      const fn = reg.fields.get("get_func_proto");
      const target = reg.fields.get("target")?.replace(/"/g, "");
      if (!fn || !target) continue;
      targets.push(target);
      const s2 = clone(st);
      for (const t of targets.slice(0, -1)) s2.lits[`iter:${t}`] = { kind: "iterTarget", target: t, holds: false };
      s2.lits[`iter:${target}`] = { kind: "iterTarget", target, holds: true };
      out.push(...this.callFunc(fn, [{ k: "enum", name: this.cx.funcId }, { k: "prog" }], s2, reg.file));
    }
    const none = clone(st);
    for (const t of targets) none.lits[`iter:${t}`] = { kind: "iterTarget", target: t, holds: false };
    out.push({ v: { k: "null" }, st: none });
    return out;
  }
}
