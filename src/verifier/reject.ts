// How a rule rejects a program: the message has already been written to the
// log with env.verbose() (the kernel prints, then returns -errno); the
// exception only carries the errno up to bpf_check.
export type Errno = "EINVAL" | "EACCES" | "EPERM" | "E2BIG" | "EFAULT" | "ENOTSUPP" | "ERANGE" | "ENOENT" | "ENOMEM" | "ENOSPC" | "EBUSY" | "EOPNOTSUPP" | "ENOSYS" | "ELOOP";

export const ERRNO_NUMBER: Record<Errno, number> = {
  EPERM: 1, ENOENT: 2, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EINVAL: 22, ENOSPC: 28, ERANGE: 34,
  ENOSYS: 38, ELOOP: 40, EOPNOTSUPP: 95, E2BIG: 7, ENOTSUPP: 524,
};

export class Reject extends Error {
  readonly errno: Errno;
  constructor(errno: Errno) {
    super(errno);
    this.name = "Reject";
    this.errno = errno;
  }
}

/** Print `msg` and reject with `errno` (the kernel's `verbose(env, msg); return -errno;`). */
export interface Verbose {
  verbose(s: string): void;
}
export function reject(env: Verbose, errno: Errno, msg: string): never {
  env.verbose(msg);
  throw new Reject(errno);
}
