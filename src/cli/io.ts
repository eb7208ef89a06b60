// Output sinks for the CLI, so commands can be run in-process by tests.
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

// A reader that goes away (`bpfverify insns x.o | head`) is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

export const defaultIo: CliIo = {
  out: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s); },
};

/** Collects output in memory (for tests). */
export function memoryIo(): CliIo & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out(s: string) { io.stdout += s; },
    err(s: string) { io.stderr += s; },
  };
  return io;
}
