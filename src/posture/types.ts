/** Severity of a posture finding, lowest first. `--fail-on` compares against this order. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** What kind of artefact a rule judges. */
export type TargetKind = 'dockerfile' | 'kubernetes' | 'openclaw' | 'clawguard' | 'secrets' | 'kb' | 'image';

/** A rule's fixed description. Ids are stable: tools and suppressions key on them. */
export interface RuleMeta {
  readonly id: string;
  /** kebab-case short name, e.g. `dockerfile-root-user`. */
  readonly name: string;
  readonly target: TargetKind;
  readonly severity: Severity;
  /** One line: what is wrong. */
  readonly title: string;
  /** Why it matters, and exactly what the rule checks. */
  readonly description: string;
  /** How to fix it. */
  readonly fix: string;
}

export interface PostureFinding {
  readonly ruleId: string;
  readonly severity: Severity;
  /** Path as given on the command line (relative where the user gave a relative path). */
  readonly file: string;
  /** 1-based; absent for findings about the whole file or the whole scan. */
  readonly line?: number;
  readonly column?: number;
  /** What was found here. Never contains a secret value. */
  readonly message: string;
  readonly fix: string;
}

/** One file handed to a scanner. */
export interface SourceFile {
  /** Display path. */
  readonly path: string;
  readonly absPath: string;
  readonly text: string;
  /** POSIX permission bits, when the file came from disk. */
  readonly mode?: number;
}

/** A file that could not be scanned; reported, never silently passed. */
export interface ScanError {
  readonly file: string;
  readonly message: string;
}

export interface ScanReport {
  readonly findings: PostureFinding[];
  readonly errors: ScanError[];
  /** Files looked at, by the scanner that judged them. */
  readonly scanned: { readonly file: string; readonly kinds: TargetKind[] }[];
  /** Files not read: binary, or larger than the size limit. */
  readonly skipped: { readonly file: string; readonly reason: 'binary' | 'too large' }[];
}
