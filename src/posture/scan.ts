import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { defaultDetectors, type PostureDetectors } from './detectors.js';
import { collectFiles, isBinary, type WalkedFile } from './files.js';
import { readImageReports } from './image-reports.js';
import { embeddedClawGuardConfigs, isClawGuardConfig, scanClawGuardConfig } from './rules/clawguard-config.js';
import { isDockerfileName, scanDockerfile } from './rules/dockerfile.js';
import { isKbDocument, scanKbDocument } from './rules/kb.js';
import { isKubernetesObject, type KubernetesFile, scanKubernetes } from './rules/kubernetes.js';
import { isExecApprovalsName, isOpenClawConfigName, looksLikeOpenClawConfig, parseOpenClawConfig, scanExecApprovals, scanOpenClawConfig } from './rules/openclaw.js';
import { scanSecretsInFile } from './rules/secrets.js';
import type { PostureFinding, ScanError, ScanReport, SourceFile, TargetKind } from './types.js';
import { parseYaml } from './yaml-source.js';

export interface ScanOptions {
  /** Knowledge-base folders or files: documents checked for injection, secrets, PII and hidden text. */
  readonly kb?: readonly string[];
  /** Trivy, Grype or Clair JSON reports whose vulnerabilities become findings (`--image-report`). */
  readonly imageReports?: readonly string[];
  /** Secret/PII/injection detectors; default: ClawGuard's own families (`defaultDetectors()`). */
  readonly detectors?: PostureDetectors;
  /** Look for credentials in every text file (default true). */
  readonly secrets?: boolean;
  /** ClawGuard LLM-proxy URLs an OpenClaw provider `baseUrl` may point at. */
  readonly clawguardUrls?: readonly string[];
  /** Rule ids whose findings are dropped (accepted risks). */
  readonly skipRules?: readonly string[];
  /** Files larger than this are not read (default 2 MiB). */
  readonly maxFileBytes?: number;
  readonly cwd?: string;
}

const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;

function compareFindings(a: PostureFinding, b: PostureFinding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  if ((a.line ?? 0) !== (b.line ?? 0)) return (a.line ?? 0) - (b.line ?? 0);
  return a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0;
}

type Skipped = ScanReport['skipped'];

async function readText(walked: WalkedFile, maxBytes: number, errors: ScanError[], skipped: Skipped): Promise<SourceFile | undefined> {
  if (walked.size > maxBytes) {
    skipped.push({ file: walked.displayPath, reason: 'too large' });
    return undefined;
  }
  let buffer: Buffer;
  try {
    buffer = await readFile(walked.absPath);
  } catch (error) {
    errors.push({ file: walked.displayPath, message: message(error) });
    return undefined;
  }
  if (isBinary(buffer)) {
    skipped.push({ file: walked.displayPath, reason: 'binary' });
    return undefined;
  }
  return { path: walked.displayPath, absPath: walked.absPath, text: buffer.toString('utf8'), mode: walked.mode };
}

interface Judged {
  readonly kinds: TargetKind[];
  readonly findings: PostureFinding[];
  readonly errors: ScanError[];
  /** Kubernetes objects are judged together at the end (NetworkPolicies cover other files). */
  readonly kubernetes?: KubernetesFile;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Recognises a file (Dockerfile, YAML manifest or config, OpenClaw JSON5) and applies its rules. */
function judgeConfigFile(file: SourceFile, options: ScanOptions): Judged {
  const out: Judged = { kinds: [], findings: [], errors: [] };
  const ext = extname(file.path).toLowerCase();
  if (isDockerfileName(file.path)) {
    out.kinds.push('dockerfile');
    out.findings.push(...scanDockerfile(file, { hasDockerignore: existsSync(join(dirname(file.absPath), '.dockerignore')) }));
    return out;
  }
  if (ext === '.yaml' || ext === '.yml') {
    const parsed = parseYaml(file.text);
    const k8sDocs = parsed.docs.filter((d) => isKubernetesObject(d.value));
    let kubernetes: KubernetesFile | undefined;
    if (k8sDocs.length > 0) {
      out.kinds.push('kubernetes');
      kubernetes = { file, docs: k8sDocs };
      for (const { key, doc } of k8sDocs.flatMap((d) => embeddedClawGuardConfigs(d))) {
        if (!out.kinds.includes('clawguard')) out.kinds.push('clawguard');
        out.findings.push(...scanClawGuardConfig(file, doc).map((f) => ({ ...f, message: `data.${key}: ${f.message}` })));
      }
    }
    const cfg = parsed.docs.find((d) => isClawGuardConfig(file.path, d.value));
    if (cfg) {
      out.kinds.push('clawguard');
      out.findings.push(...scanClawGuardConfig(file, cfg));
    }
    const looksLikeManifest = /^\s*apiVersion\s*:/m.test(file.text) && /^\s*kind\s*:/m.test(file.text);
    if (parsed.errors.length > 0 && (k8sDocs.length > 0 || cfg !== undefined || /clawguard/i.test(file.path) || looksLikeManifest)) {
      out.errors.push({ file: file.path, message: `YAML: ${parsed.errors[0] ?? ''}` });
    }
    return kubernetes ? { ...out, kubernetes } : out;
  }
  const named = isOpenClawConfigName(file.path) || isExecApprovalsName(file.path);
  if (named || ext === '.json' || ext === '.json5') {
    let value: unknown;
    try {
      value = parseOpenClawConfig(file.text);
    } catch (error) {
      if (named) out.errors.push({ file: file.path, message: `JSON5: ${message(error)}` });
      return out;
    }
    if (isExecApprovalsName(file.path)) {
      out.kinds.push('openclaw');
      out.findings.push(...scanExecApprovals(file, value));
    } else if (isOpenClawConfigName(file.path) || looksLikeOpenClawConfig(value)) {
      out.kinds.push('openclaw');
      out.findings.push(...scanOpenClawConfig(file, value, options.clawguardUrls ? { clawguardUrls: options.clawguardUrls } : {}));
    }
  }
  return out;
}

/** `clawguard scan`: the posture audit of files and folders. */
export async function scanPaths(paths: readonly string[], options: ScanOptions = {}): Promise<ScanReport> {
  const cwd = options.cwd ?? process.cwd();
  // Built on first use: a scan without the secrets or KB checks never loads the detector models.
  let built: PostureDetectors | undefined = options.detectors;
  const detectors = (): PostureDetectors => (built ??= defaultDetectors());
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_BYTES;
  const findings: PostureFinding[] = [];
  const errors: ScanError[] = [];
  const scanned: { file: string; kinds: TargetKind[] }[] = [];
  const skipped: Skipped = [];
  const kubernetes: KubernetesFile[] = [];

  const walked = paths.length > 0 ? await collectFiles(paths, cwd) : [];
  for (const entry of walked) {
    const file = await readText(entry, maxBytes, errors, skipped);
    if (!file) continue;
    const kinds: TargetKind[] = [];
    try {
      const judged = judgeConfigFile(file, options);
      kinds.push(...judged.kinds);
      findings.push(...judged.findings);
      errors.push(...judged.errors);
      if (judged.kubernetes) kubernetes.push(judged.kubernetes);
      if (options.secrets !== false) {
        kinds.push('secrets');
        findings.push(...(await scanSecretsInFile(file, detectors())));
      }
    } catch (error) {
      errors.push({ file: file.path, message: message(error) });
    }
    scanned.push({ file: file.path, kinds });
  }
  findings.push(...scanKubernetes(kubernetes));

  if (options.kb && options.kb.length > 0) {
    for (const entry of await collectFiles(options.kb, cwd)) {
      if (!isKbDocument(entry.absPath)) continue;
      const file = await readText(entry, maxBytes, errors, skipped);
      if (!file) continue;
      try {
        findings.push(...(await scanKbDocument(file, detectors())));
      } catch (error) {
        errors.push({ file: file.path, message: message(error) });
      }
      scanned.push({ file: file.path, kinds: ['kb'] });
    }
  }

  if (options.imageReports && options.imageReports.length > 0) {
    const images = await readImageReports(options.imageReports, cwd);
    findings.push(...images.findings);
    errors.push(...images.errors);
    for (const r of images.reports) scanned.push({ file: r.file, kinds: ['image'] });
  }

  const skip = new Set(options.skipRules ?? []);
  const kept = skip.size === 0 ? findings : findings.filter((f) => !skip.has(f.ruleId));
  kept.sort(compareFindings);
  return { findings: kept, errors, scanned, skipped };
}
