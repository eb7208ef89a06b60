// Three error kinds, as the kernel separates them: malformed input (our
// InputError, the kernel's -EINVAL before verification), a verifier rejection
// (VerifierReject, carries the exact kernel log line) and our own bug
// (VerifierBug, the kernel's verifier_bug()).

/** Where in the input a problem was found. Every field is optional; fill what is known. */
export interface Where {
  file?: string;
  section?: string;
  /** Byte offset inside the file or section. */
  offset?: number;
  /** Instruction index inside a program. */
  insnIdx?: number;
  program?: string;
}

export function formatWhere(w: Where): string {
  const parts: string[] = [];
  if (w.file !== undefined) parts.push(w.file);
  if (w.section !== undefined) parts.push(`section ${w.section}`);
  if (w.program !== undefined) parts.push(`program ${w.program}`);
  if (w.offset !== undefined) parts.push(`offset ${w.offset} (0x${w.offset.toString(16)})`);
  if (w.insnIdx !== undefined) parts.push(`insn ${w.insnIdx}`);
  return parts.join(", ");
}

/** Malformed or unsupported input: ELF, BTF, instructions, relocations. */
export class InputError extends Error {
  readonly code: string;
  readonly where: Where;
  constructor(code: string, message: string, where: Where = {}, options?: { cause?: unknown }) {
    const loc = formatWhere(where);
    super(loc ? `${loc}: ${message}` : message, options);
    this.name = "InputError";
    this.code = code;
    this.where = where;
  }
  /** The same error with more context (outer layers know the file, the section...). */
  withWhere(extra: Where): InputError {
    return new InputError(this.code, this.bareMessage(), { ...extra, ...this.where }, { cause: this.cause });
  }
  private bareMessage(): string {
    const loc = formatWhere(this.where);
    return loc && this.message.startsWith(`${loc}: `) ? this.message.slice(loc.length + 2) : this.message;
  }
}

/** An internal inconsistency: the kernel prints these as "verifier bug: ...". */
export class VerifierBug extends Error {
  constructor(message: string) {
    super(`verifier bug: ${message}`);
    this.name = "VerifierBug";
  }
}

export function assertNever(x: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
