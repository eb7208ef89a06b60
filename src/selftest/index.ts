// Public API of the selftest layer: test_loader's annotations and verdicts, and the corpus.
export { ARCHES, BPF_F, parseTestSpec, skipDeclTagPrefix, sortDeclTags } from "./annotations.js";
export type { Arch, ExpectMsg, ParseOptions, SpecResult, SubSpec, TestSpec } from "./annotations.js";
export { PatternError, PosixRegex, patternToEre, translateEre } from "./posix-regex.js";
export { strverscmp } from "./strverscmp.js";
export { validateMsgs } from "./msgs.js";
export type { MsgCheck, MsgStatus } from "./msgs.js";
export { TEST_LOADER_LOG_BUF_SZ, isTest, judge, loadPlan, skipReason, summaryLine, tally } from "./judge.js";
export type { JudgeEnv, Judgement, LoadOutcome, LoadPlan, Tally, TestResult } from "./judge.js";
export { firstErrorLine, specForProgram, stripStatsLines, testLoaderView, withOverlay } from "./recorded.js";
export type { RecordedView } from "./recorded.js";
export {
  corpusDir,
  loadCorpusLogs,
  loadCorpusPrograms,
  loadOverlay,
  loadSets,
  objectPath,
  programKey,
  sourceOf,
} from "./corpus.js";
export type {
  ConformanceSets,
  CorpusLog,
  CorpusMap,
  CorpusProgram,
  HostRecord,
  KernelRecord,
  OverlayRow,
  RecordedJudgement,
} from "./corpus.js";
export { objectBtf, programDeclTags } from "./btf-tags.js";
export { fixupBtfFromPath, objectBtfFixedFromPath } from "./btf-func-fixup.js";
export { formatTestJson, formatTestText, testLine } from "./report.js";
export type { TestLine } from "./report.js";
export { objectSpecs, runObjectTests } from "./run.js";
export type { ObjectProgram, ProgramSpec, VerifyFn, VerifyRequest } from "./run.js";
