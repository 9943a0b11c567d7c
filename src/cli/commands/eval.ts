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
    .action(async (opts: EvalCommandOptions) => {
      try {
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
