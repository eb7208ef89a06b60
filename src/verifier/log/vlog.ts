// The verifier log buffer, with the kernel's semantics: a rolling window of
// the last `size` bytes (unless BPF_LOG_FIXED), positions that keep counting
// past the window so bpf_vlog_reset() can rewind, the per-message 1023-char
// cap of vscnprintf, and len_max for log_true_size / -ENOSPC.
// kernel: kernel/bpf/log.c (bpf_verifier_vlog, bpf_vlog_reset, bpf_vlog_finalize)

export const BPF_LOG_LEVEL1 = 1;
export const BPF_LOG_LEVEL2 = 2;
export const BPF_LOG_STATS = 4;
export const BPF_LOG_FIXED = 8;
export const BPF_LOG_LEVEL = BPF_LOG_LEVEL1 | BPF_LOG_LEVEL2;
export const BPF_LOG_MASK = BPF_LOG_LEVEL | BPF_LOG_STATS | BPF_LOG_FIXED;

/** kernel: BPF_VERIFIER_TMP_LOG_SIZE; one verbose() call prints at most this minus the NUL. */
const TMP_LOG_SIZE = 1024;

export interface FinalLog {
  /** What the user buffer holds after bpf_vlog_finalize. */
  text: string;
  /** kernel: log_true_size (len_max, counting the terminating NUL). */
  trueSize: number;
  /** The buffer was too small: the kernel returns -ENOSPC. */
  truncated: boolean;
}

export class VerifierLog {
  readonly level: number;
  /** Buffer size in bytes (len_total); 0 means no user buffer (nothing is kept). */
  readonly size: number;
  private parts: string[] = [];
  /** Absolute position where parts[0] starts. */
  private partsStart = 0;
  private startPos = 0;
  private endPos = 0;
  private lenMax = 0;

  constructor(level: number, size = 0) {
    this.level = level;
    this.size = size;
  }

  /** kernel: bpf_verifier_log_needed */
  get needed(): boolean {
    return this.level !== 0;
  }

  /** Current end position (env->log.end_pos). */
  get pos(): number {
    return this.endPos;
  }

  /** kernel: bpf_verifier_vlog — one verbose() call. */
  write(msg: string): void {
    if (this.level === 0) return;
    let s = msg;
    if (s.length > TMP_LOG_SIZE - 1) s = s.slice(0, TMP_LOG_SIZE - 1);
    const n = s.length + 1; // with the terminating NUL
    const len = this.endPos + n;
    if (len > this.lenMax) this.lenMax = Math.min(len, 0xffffffff);
    if (this.level & BPF_LOG_FIXED) {
      this.endPos += s.length;
      if (this.size > 0) this.parts.push(s);
      return;
    }
    const newEnd = this.endPos + n;
    if (this.size > 0 && newEnd - this.startPos >= this.size) this.startPos = newEnd - this.size;
    this.endPos = newEnd - 1;
    if (this.size > 0) {
      this.parts.push(s);
      this.trimHead();
    }
  }

  /** kernel: bpf_vlog_reset — rewind to an earlier position. */
  reset(newPos: number): void {
    if (newPos > this.endPos || this.level === 0) return;
    this.endPos = newPos;
    if (this.endPos < this.startPos) this.startPos = this.endPos;
    // Drop the text past newPos.
    let end = this.partsStart;
    let i = 0;
    for (; i < this.parts.length; i++) {
      const l = this.parts[i]!.length;
      if (end + l >= newPos) break;
      end += l;
    }
    if (i < this.parts.length) {
      this.parts[i] = this.parts[i]!.slice(0, newPos - end);
      this.parts.length = i + 1;
    }
    if (newPos < this.partsStart) {
      this.parts = [];
      this.partsStart = newPos;
    }
  }

  /** The text currently in the window, without finalizing (for tests and progress output). */
  text(): string {
    const all = this.parts.join("");
    const from = Math.max(0, this.startPos - this.partsStart);
    const to = this.endPos - this.partsStart;
    return all.slice(from, to);
  }

  /** kernel: bpf_vlog_finalize */
  finalize(): FinalLog {
    if (this.level === 0) return { text: "", trueSize: 0, truncated: false };
    let text = this.parts.join("");
    if (this.level & BPF_LOG_FIXED) {
      // The buffer keeps the first size-1 bytes.
      if (this.size > 0 && text.length > this.size - 1) text = text.slice(0, this.size - 1);
    } else {
      text = this.text();
    }
    return { text, trueSize: this.lenMax, truncated: this.size > 0 && this.lenMax > this.size };
  }

  /** Keep memory bounded on huge logs: forget parts entirely before the window. */
  private trimHead(): void {
    if (this.parts.length < 4096) return;
    let dropped = 0;
    let pos = this.partsStart;
    while (dropped < this.parts.length - 1 && pos + this.parts[dropped]!.length <= this.startPos) {
      pos += this.parts[dropped]!.length;
      dropped++;
    }
    if (dropped > 0) {
      this.parts = [this.parts.slice(dropped).join("")];
      this.partsStart = pos;
    } else {
      this.parts = [this.parts.join("")];
    }
  }
}
