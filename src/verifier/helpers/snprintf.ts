// bpf_snprintf's format string is checked at load time: the verifier runs the
// runtime's format parser over the constant string, with no arguments copied.
// kernel: verifier.c (check_bpf_snprintf_call), helpers.c (bpf_bprintf_prepare)
import type { VerifierEnv } from "../env.js";
import { curFrame } from "../state/func.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";

// The kernel's ctype (lib/ctype.c) is Latin-1: it classifies bytes >= 0x80 too.
const isAscii = (c: number): boolean => c < 0x80;
const isSpace = (c: number): boolean => (c >= 9 && c <= 13) || c === 0x20 || c === 0xa0;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isAlpha = (c: number): boolean => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
const isPunct = (c: number): boolean => (c > 0x20 && c < 0x7f && !isDigit(c) && !isAlpha(c)) || (c >= 0xa1 && c <= 0xbf) || c === 0xd7 || c === 0xf7;
const isPrint = (c: number): boolean => (c >= 0x20 && c < 0x7f) || c >= 0xa0;
const ch = (s: string): number => s.charCodeAt(0);

/** kernel: bpf_bprintf_prepare without argument buffers — does `fmt` (up to its NUL) take at most `numArgs` arguments, all supported? */
export function bprintfFormatOk(fmt: Uint8Array, numArgs: number): boolean {
  const end = fmt.indexOf(0);
  if (end < 0) return false;
  const at = (i: number): number => (i < end ? fmt[i]! : 0);
  const endsWord = (c: number): boolean => c === 0 || isSpace(c) || isPunct(c);
  let spec = 0;
  for (let i = 0; i < end; i++) {
    let c = at(i);
    if (isAscii(c) && !isPrint(c) && !isSpace(c)) return false;
    if (c !== ch("%")) continue;
    if (at(i + 1) === ch("%")) { i++; continue; }
    if (spec >= numArgs) return false;
    i++;
    if (!isAscii(at(i))) return false;
    while ([ch("0"), ch("+"), ch("-"), ch(" ")].includes(at(i))) i++;
    if (at(i) >= ch("1") && at(i) <= ch("9")) {
      i++;
      while (isDigit(at(i))) i++;
    }
    c = at(i);
    if (c === ch("p")) {
      const n = at(i + 1);
      if (endsWord(n)) { spec++; continue; }
      if ((n === ch("k") || n === ch("u")) && at(i + 2) === ch("s")) {
        i += 2;
        if (!endsWord(at(i + 1))) return false;
        spec++;
        continue;
      }
      if ([ch("K"), ch("x"), ch("s"), ch("S"), ch("B")].includes(n)) { i++; spec++; continue; }
      if ((n !== ch("i") && n !== ch("I")) || (at(i + 2) !== ch("4") && at(i + 2) !== ch("6"))) return false;
      i += 2;
      spec++;
      continue;
    }
    if (c === ch("s")) {
      if (!endsWord(at(i + 1))) return false;
      spec++;
      continue;
    }
    if (c === ch("c")) { spec++; continue; }
    if (c === ch("l")) i++;
    if (at(i) === ch("l")) i++;
    if (![ch("i"), ch("d"), ch("u"), ch("x"), ch("X")].includes(at(i))) return false;
    spec++;
  }
  return true;
}

/** kernel: check_bpf_snprintf_call — R3 passed check_arg_const_str, R5 is the argument array's size. */
export function checkSnprintfCall(env: VerifierEnv): void {
  const regs = curFrame(env.curState).regs;
  const fmtReg = regs[3]!;
  const dataLen = regs[5]!.varOff.value;
  if (dataLen % 8n) reject(env, "EINVAL", "");
  const map = fmtReg.map!;
  const value = map.initialValue ?? notModelled(`read-only map contents of ${map.name}`);
  const off = Number(fmtReg.varOff.value);
  const fmt = Uint8Array.from({ length: map.valueSize - off }, (_, i) => value[off + i] ?? 0);
  if (!bprintfFormatOk(fmt, Number(dataLen / 8n))) reject(env, "EINVAL", "Invalid format string\n");
}
