// A part of the kernel's rules bpfverify does not model yet. It is never
// turned into a verdict: the program is reported as "unsupported" with the
// feature named, so no user mistakes a gap for an accept or a reject.
export class NotModelled extends Error {
  readonly feature: string;
  constructor(feature: string) {
    super(`not modelled yet: ${feature}`);
    this.name = "NotModelled";
    this.feature = feature;
  }
}

export function notModelled(feature: string): never {
  throw new NotModelled(feature);
}
