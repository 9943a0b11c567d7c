import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { formatJson, formatMarkdown, formatText } from '../../eval/report.js';
import { runSuites, selectSuites } from '../../eval/runner.js';
import type { EvalSplit, EvalSuite } from '../../eval/types.js';

interface EvalCommandOptions {
  suite?: string[];
  data?: string;
  split: EvalSplit;
  limit?: number;
  json?: boolean;
  markdown?: string;
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a number between 0 and 1');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** Default data folder: $CLAWGUARD_EVAL_DATA, else ../shared/eval relative to the working directory. */
export function defaultEvalDataDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.CLAWGUARD_EVAL_DATA ? resolve(cwd, env.CLAWGUARD_EVAL_DATA) : resolve(cwd, '../shared/eval');
}

function progressBar(stream: NodeJS.WriteStream, label: string): (done: number, total: number) => void {
  return (done, total) => {
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) stream.write('\n');
  };
}

/**
 * `clawguard eval`: precision, recall, FPR, recall at 1% FPR and speed of the detectors on the
 * labelled data. The suites are passed in, so each detector family contributes its own.
 */
/** Tasks the scripting form `clawguard eval TASK FILE…` accepts. */
const FILE_TASKS = ['injection', 'indirect', 'pii', 'secrets', 'harmful'];

/** `per_type: {TYPE: {tp, fp, fn, precision, recall, f1}}`, keyed by the dataset's own type names. */
function perType(breakdown: Readonly<Record<string, object>>): Record<string, { tp: number | null; fp: number | null; fn: number | null; precision: number; recall: number; f1: number }> {
  const out: Record<string, { tp: number | null; fp: number | null; fn: number | null; precision: number; recall: number; f1: number }> = {};
  for (const [type, row] of Object.entries(breakdown)) {
    const r = row as { tp?: number; fp?: number; fn?: number; precision: number; recall: number; f1: number };
    out[type] = { tp: r.tp ?? null, fp: r.fp ?? null, fn: r.fn ?? null, precision: r.precision, recall: r.recall, f1: r.f1 };
  }
  return out;
}

export function registerEvalCommand(program: Command, suites: EvalSuite[]): void {
  program
    .command('eval')
    .description('Measure detection quality (precision, recall, FPR, recall at 1% FPR, µs per KB) on labelled data')
    .addOption(new Option('--suite <name...>', `suites to run (default: all): ${suites.map((s) => s.name).join(', ')}`))
    .option('--data <dir>', 'folder holding <task>/<split>.jsonl (default: $CLAWGUARD_EVAL_DATA or ../shared/eval)')
    .addOption(new Option('--split <split>', 'which split to measure').choices(['dev', 'train']).default('dev'))
    .option('--limit <n>', 'at most this many records per file (a fixed sample)', positiveInt)
    .option('--json', 'print one JSON object: { split, reports: [...] }')
    .option('--markdown <file>', 'also write a markdown report to this file')
    .option('--threshold <t>', 'with TASK FILE…: report at this score instead of the detector default', probability)
    .option('--errors <n>', 'list up to N misses and N false positives with score, source and text (injection, indirect, benign)', positiveInt)
    .argument('[task]', 'with files: the task they hold (injection, indirect, pii, secrets, harmful)')
    .argument('[files...]', 'JSONL files with `text` and `label` (malicious | benign) to measure instead of the data folder')
    .action(async (task: string | undefined, files: string[], opts: EvalCommandOptions & { threshold?: number; errors?: number }) => {
      try {
        if (task !== undefined) {
          // The stable scripting form: `clawguard eval TASK FILE… [--json] [--threshold T]`.
          if (files.length === 0) throw new Error(`name the JSONL files to measure: clawguard eval ${task} FILE…`);
          const suite = suites.find((s) => s.name === task && FILE_TASKS.includes(task));
          if (!suite) throw new Error(`TASK must be one of ${FILE_TASKS.join(', ')} (got "${task}"); other suites run with --suite`);
          const [report] = await runSuites([suite], [], {
            dataDir: '.',
            split: opts.split,
            files: files.map((f) => resolve(f)),
            ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }),
            ...(opts.limit === undefined ? {} : { limit: opts.limit }),
            ...(opts.errors === undefined ? {} : { errors: opts.errors }),
          });
          const m = report!.metrics;
          // The stable keys; a figure a task has no meaning for (tn, fpr, auc of PII spans) is null.
          const figure = (key: string): number | null => m[key] ?? null;
          const summary = {
            task,
            n: m.n ?? report!.examples,
            tp: figure('tp'),
            fp: figure('fp'),
            tn: figure('tn'),
            fn: figure('fn'),
            precision: figure('precision'),
            recall: figure('recall'),
            f1: figure('f1'),
            fpr: figure('fpr'),
            recall_at_1pct_fpr: figure('recall_at_1pct_fpr'),
            auc: figure('auc'),
            ms_per_kb: m.us_per_kb === undefined ? null : Math.round(m.us_per_kb) / 1000,
            ...(task === 'pii' || task === 'secrets' || task === 'harmful' ? { per_type: perType(report!.breakdown ?? {}) } : {}),
            ...(report!.errors ? { errors: { missed: report!.errors.missed, false_positives: report!.errors.falsePositives } } : {}),
          };
          process.stdout.write(opts.json ? `${JSON.stringify(summary)}\n` : formatText([report!]));
          return;
        }
        const chosen = selectSuites(suites, opts.suite ?? []);
        const dataDir = opts.data ? resolve(opts.data) : defaultEvalDataDir();
        const showProgress = Boolean(process.stderr.isTTY) && !opts.json;
        const reports = [];
        for (const suite of chosen) {
          const onProgress = showProgress ? progressBar(process.stderr, suite.name) : undefined;
          reports.push(
            ...(await runSuites([suite], [], {
              dataDir,
              split: opts.split,
              ...(opts.limit === undefined ? {} : { limit: opts.limit }),
              ...(opts.errors === undefined ? {} : { errors: opts.errors }),
              ...(onProgress ? { onProgress } : {}),
            })),
          );
        }
        process.stdout.write(opts.json ? `${formatJson(reports, opts.split)}\n` : formatText(reports));
        if (opts.markdown) writeFileSync(opts.markdown, formatMarkdown(reports));
      } catch (error) {
        process.stderr.write(`clawguard eval: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = 1;
      }
    });
}
