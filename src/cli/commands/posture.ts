import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYamlText } from 'yaml';
import { describeFailure, generateSigningKeyPair, signPaths, verifyManifestFile } from '../../integrity/index.js';
import type { PostureDetectors } from '../../posture/detectors.js';
import { exceedsThreshold, formatJson, formatSarif, formatText } from '../../posture/format.js';
import { allRules } from '../../posture/rules.js';
import { parseOpenClawConfig } from '../../posture/rules/openclaw.js';
import { scanPaths } from '../../posture/scan.js';
import { buildThreatModel, clawguardConfigFrom, threatModelToJson, threatModelToMarkdown } from '../../posture/threat-model.js';
import { isSeverity, type Severity } from '../../posture/types.js';

export interface PostureCommandOptions {
  /** Standard output; default process.stdout. */
  readonly out?: (text: string) => void;
  /** Diagnostics; default process.stderr. */
  readonly err?: (text: string) => void;
  /** Secrets/PII/injection detectors for `scan`; default: ClawGuard's own families. */
  readonly detectors?: () => PostureDetectors | Promise<PostureDetectors>;
  /** Reported in SARIF `tool.driver.version`. */
  readonly version?: string;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function severityOption(value: string): Severity | 'none' {
  if (value === 'none' || isSeverity(value)) return value;
  throw new InvalidArgumentError('use critical, high, medium, low, info or none');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Adds `scan`, `threat-model` and `integrity keygen|sign|verify`. Actions set process.exitCode. */
export function registerPostureCommands(program: Command, options: PostureCommandOptions = {}): void {
  const out = options.out ?? ((text: string) => void process.stdout.write(text));
  const err = options.err ?? ((text: string) => void process.stderr.write(text));
  /** Usage errors and unreadable inputs: exit code 2, kept apart from "findings" (1). */
  const fail = (command: string, error: unknown): void => {
    err(`${command}: ${message(error)}\n`);
    process.exitCode = 2;
  };
  const emit = async (text: string, file: string | undefined) => {
    if (file) await writeFile(file, text);
    else out(text);
  };

  program
    .command('scan')
    .description('posture audit: Dockerfiles, Kubernetes manifests, openclaw.json, ClawGuard config and secrets in files')
    .argument('[paths...]', 'files or folders (default: .)')
    .option('--json', 'JSON output')
    .option('--sarif', 'SARIF 2.1.0 output (GitHub code scanning)')
    .option('-o, --output <file>', 'write the report to a file')
    .option('--kb <dir>', 'check knowledge-base documents before ingestion (repeatable)', collect)
    .option('--image-report <file>', 'merge a Trivy, Grype or Clair JSON image scan report into the findings (repeatable)', collect)
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').argParser(severityOption).default('high'))
    .option('--no-secrets', 'skip the secrets-in-files check')
    .option('--skip-rule <id>', 'drop findings of this rule id, an accepted risk (repeatable)', collect)
    .option('--list-rules', 'print the rule catalogue and exit')
    .option('--clawguard-url <url>', 'ClawGuard proxy URL that OpenClaw providers should point at (repeatable)', collect)
    .action(async (paths: string[], opts: { json?: boolean; sarif?: boolean; output?: string; kb?: string[]; imageReport?: string[]; failOn: Severity | 'none'; secrets: boolean; clawguardUrl?: string[]; skipRule?: string[]; listRules?: boolean }) => {
      try {
        if (opts.listRules) {
          const rules = allRules();
          out(opts.json ? `${JSON.stringify(rules, null, 2)}\n` : rules.map((r) => `${r.id.padEnd(11)} ${r.severity.padEnd(8)} ${r.name}: ${r.title}\n`).join(''));
          return;
        }
        if (opts.json && opts.sarif) throw new Error('choose one of --json and --sarif');
        const known = new Set(allRules().map((r) => r.id));
        const unknown = (opts.skipRule ?? []).filter((id) => !known.has(id));
        if (unknown.length > 0) throw new Error(`unknown rule id(s) for --skip-rule: ${unknown.join(', ')}`);
        const targets = paths.length === 0 && !opts.kb && !opts.imageReport ? ['.'] : paths;
        const detectors = options.detectors ? await options.detectors() : undefined;
        const report = await scanPaths(targets, {
          secrets: opts.secrets,
          ...(opts.kb ? { kb: opts.kb } : {}),
          ...(opts.imageReport ? { imageReports: opts.imageReport } : {}),
          ...(detectors ? { detectors } : {}),
          ...(opts.clawguardUrl ? { clawguardUrls: opts.clawguardUrl } : {}),
          ...(opts.skipRule ? { skipRules: opts.skipRule } : {}),
        });
        const text = opts.sarif ? formatSarif(report, options.version) : opts.json ? formatJson(report) : formatText(report);
        await emit(text, opts.output);
        if (opts.failOn !== 'none' && exceedsThreshold(report, opts.failOn)) process.exitCode = 1;
        else if (report.errors.length > 0) process.exitCode = 2;
      } catch (error) {
        fail('scan', error);
      }
    });

  program
    .command('threat-model')
    .description('STRIDE + AI threat model for an agent, with each control checked against a ClawGuard config')
    .argument('<agent>', 'agent description (YAML)')
    .option('-c, --config <file>', 'ClawGuard config (or a ConfigMap holding it) to check the controls against')
    .option('--openclaw <file>', "the agent's openclaw.json, for the sandbox and exec-approval control")
    .option('--json', 'JSON output (default Markdown)')
    .option('-o, --output <file>', 'write to a file')
    .action(async (agentFile: string, opts: { config?: string; openclaw?: string; json?: boolean; output?: string }) => {
      try {
        const agent: unknown = parseYamlText(await readFile(agentFile, 'utf8'));
        const config: unknown = opts.config ? clawguardConfigFrom(parseYamlText(await readFile(opts.config, 'utf8')) ?? {}) : undefined;
        const openclaw: unknown = opts.openclaw ? parseOpenClawConfig(await readFile(opts.openclaw, 'utf8')) : undefined;
        const model = buildThreatModel(agent, config, openclaw);
        await emit(opts.json ? threatModelToJson(model) : threatModelToMarkdown(model), opts.output);
      } catch (error) {
        fail('threat-model', error);
      }
    });

  const integrity = program.command('integrity').description('SHA-256 manifests signed with Ed25519 for models, knowledge bases, prompts and configs');

  integrity
    .command('keygen')
    .description('create an Ed25519 signing key pair')
    .option('-d, --out-dir <dir>', 'folder for clawguard-signing.key and clawguard-signing.pub', '.')
    .option('--force', 'overwrite existing key files')
    .action(async (opts: { outDir: string; force?: boolean }) => {
      try {
        const keyPath = join(opts.outDir, 'clawguard-signing.key');
        const pubPath = join(opts.outDir, 'clawguard-signing.pub');
        if (!opts.force && (existsSync(keyPath) || existsSync(pubPath))) throw new Error(`${keyPath} or ${pubPath} exists (use --force)`);
        await mkdir(opts.outDir, { recursive: true });
        const pair = generateSigningKeyPair();
        await writeFile(keyPath, pair.privateKeyPem, { mode: 0o600 });
        await writeFile(pubPath, pair.publicKeyPem, { mode: 0o644 });
        out(`key ${pair.keyId}\nprivate: ${keyPath} (keep it off the gateway host)\npublic:  ${pubPath}\n`);
      } catch (error) {
        fail('integrity keygen', error);
      }
    });

  integrity
    .command('sign')
    .description('hash files and folders into a signed manifest')
    .argument('<paths...>', 'files or folders to cover')
    .requiredOption('-k, --key <ref>', 'private key: path, file:/path, env:NAME')
    .requiredOption('-o, --out <file>', 'manifest to write')
    .option('--root <dir>', 'paths in the manifest are relative to this folder (default: the manifest folder)')
    .option('--meta <key=value>', 'lineage metadata, e.g. model=llama-3.1-8b@rev (repeatable)', collect)
    .action(async (paths: string[], opts: { key: string; out: string; root?: string; meta?: string[] }) => {
      try {
        const metadata: Record<string, string> = {};
        for (const pair of opts.meta ?? []) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw new Error(`--meta ${pair}: expected key=value`);
          metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
        }
        const signed = await signPaths({
          paths,
          privateKey: opts.key,
          out: opts.out,
          ...(opts.root ? { root: opts.root } : {}),
          ...(Object.keys(metadata).length ? { metadata } : {}),
        });
        out(`signed ${Object.keys(signed.manifest.files).length} file(s) with key ${signed.signature.keyId} into ${opts.out}\n`);
      } catch (error) {
        fail('integrity sign', error);
      }
    });

  integrity
    .command('verify')
    .description('check a signed manifest: signature, then every added, removed or changed file')
    .argument('<manifest>', 'manifest written by `integrity sign`')
    .requiredOption('-p, --pub <ref>', 'public key: path, file:/path, env:NAME')
    .option('--root <dir>', 'folder the manifest paths are relative to (default: the manifest folder)')
    .option('--json', 'JSON output')
    .action(async (manifest: string, opts: { pub: string; root?: string; json?: boolean }) => {
      try {
        const result = await verifyManifestFile(manifest, opts.pub, opts.root ? { root: opts.root } : {});
        if (opts.json) {
          out(`${JSON.stringify(result, null, 2)}\n`);
        } else {
          const lines = [`signature: ${result.signatureValid ? 'valid' : 'INVALID'} (key ${result.manifestKeyId ?? '?'})`];
          for (const c of result.changed) lines.push(`changed: ${c.path}`);
          for (const r of result.removed) lines.push(`removed: ${r}`);
          for (const a of result.added) lines.push(`added:   ${a}`);
          for (const e of result.errors) lines.push(`error:   ${e}`);
          lines.push(result.ok ? `OK: ${result.checked} file(s) verified` : describeFailure(result));
          out(`${lines.join('\n')}\n`);
        }
        if (!result.ok) process.exitCode = 1;
      } catch (error) {
        fail('integrity verify', error);
      }
    });
}
