// Matching expected messages against a log, as test_loader's validate_msgs() does:
// positive patterns in order, each searched from the end of the previous match; a run of
// negative patterns between two positives is searched in the span between those matches.

import type { ExpectMsg } from "./annotations.js";

export type MsgStatus = "MATCHED" | "ABSENT" | "EXPECTED" | "UNEXPECTED" | "WRONG LINE" | "NOT REACHED";

export interface MsgCheck {
  readonly ok: boolean;
  /** Per pattern, in order; patterns after the first failing one are "NOT REACHED". */
  readonly status: readonly { readonly pattern: string; readonly negative: boolean; readonly regex: boolean; readonly status: MsgStatus }[];
  /** test_loader's report line for the failing pattern, e.g. "EXPECTED   SUBSTR: 'R1 invalid mem access'". */
  readonly failure: string | undefined;
}

interface Match {
  start: number;
  end: number;
  line: number;
}

/** kernel selftests: match_msg — returns [start, end) of the first match at or after `from`. */
function matchMsg(msg: ExpectMsg, log: string, from: number): [number, number] | undefined {
  if (msg.regex) return msg.regex.search(log, from);
  const k = log.indexOf(msg.substr, from);
  return k < 0 ? undefined : [k, k + msg.substr.length];
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf("\n", from); i >= 0 && i < to; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** kernel selftests: validate_msgs (with match_positive_msgs / match_negative_msgs). */
export function validateMsgs(logText: string, msgs: readonly ExpectMsg[]): MsgCheck {
  // The log is a C string to test_loader: it ends at the first NUL.
  const nul = logText.indexOf("\0");
  const log = nul < 0 ? logText : logText.slice(0, nul);
  const matches: (Match | undefined)[] = new Array(msgs.length).fill(undefined);

  // Positives, sequentially; line numbers count from the previous match's start.
  let pos = 0;
  let prevStart = 0;
  let line = 0;
  msgs.forEach((m, i) => {
    if (m.negative) return;
    const r = matchMsg(m, log, pos);
    if (!r) return;
    line += countNewlines(log, prevStart, r[0]);
    matches[i] = { start: r[0], end: r[1], line };
    prevStart = r[0];
    pos = r[1];
  });

  // Negatives: the span runs from the previous positive's end (or the log's start) to the next
  // positive's start (or the log's end). test_loader searches every pattern of a run of
  // consecutive negatives with the run's *first* pattern; that is reproduced, since a verdict
  // that differs from test_loader's would not be the kernel selftests' verdict.
  let spanStart = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (!m.negative) {
      spanStart = matches[i]?.end ?? spanStart;
      continue;
    }
    let spanEnd: number | undefined = log.length;
    let next = i + 1;
    for (; next < msgs.length; next++) {
      if (!msgs[next]!.negative) {
        // An unmatched positive leaves a NULL end, which no match is <=.
        spanEnd = matches[next]?.start;
        break;
      }
    }
    for (let j = i; j < next; j++) {
      const r = matchMsg(m, log, spanStart);
      if (r && spanEnd !== undefined && r[1] <= spanEnd) matches[j] = { start: r[0], end: r[1], line: 0 };
    }
    i = next - 1;
  }

  const status: { pattern: string; negative: boolean; regex: boolean; status: MsgStatus }[] = [];
  let prev: Match | undefined;
  let failure: string | undefined;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    const match = matches[i];
    const noMatch = !m.negative && !match;
    const wrongLine = !m.negative && m.onNextLine && prev !== undefined && match !== undefined && prev.line + 1 !== match.line;
    const unexpected = m.negative && match !== undefined;
    const entry = { pattern: m.substr, negative: m.negative, regex: m.regex !== undefined };
    if (noMatch || wrongLine || unexpected) {
      const st: MsgStatus = wrongLine ? "WRONG LINE" : noMatch ? "EXPECTED" : "UNEXPECTED";
      status.push({ ...entry, status: st });
      const label = st === "EXPECTED" ? "EXPECTED  " : st;
      failure = `${label} ${m.regex ? " REGEX" : "SUBSTR"}: '${m.substr}'`;
      for (let k = i + 1; k < msgs.length; k++) {
        const n = msgs[k]!;
        status.push({ pattern: n.substr, negative: n.negative, regex: n.regex !== undefined, status: "NOT REACHED" });
      }
      break;
    }
    status.push({ ...entry, status: m.negative ? "ABSENT" : "MATCHED" });
    if (!m.negative) prev = match;
  }
  return { ok: failure === undefined, status, failure };
}
