import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Provider } from '../../redteam/target.js';

interface RedteamOptions {
  target?: string;
  key?: string;
  provider: Provider;
  model?: string;
  corpus: string[];
  concurrency: number;
  timeout: number;
  json?: boolean;
  html?: string;
  failOver?: number;
  serveVulnerableModel?: number;
}

/** Exit codes: 0 within the threshold, 1 attack success rate over --fail-over, 2 could not measure (bad input, or cases without a usable answer). */
export const REDTEAM_EXIT = { ok: 0, failOver: 1, incomplete: 2 } as const;

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('expected a rate between 0 and 1, e.g. 0.02');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function progressBar(stream: NodeJS.WriteStream): (done: number, total: number) => void {
  let last = -1;
  return (done, total) => {
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    if (filled === last && done < total && done % 25 !== 0) return;
    last = filled;
    stream.write(`\rredteam [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
    if (done >= total) stream.write('\n');
  };
}

async function serveVulnerable(port: number): Promise<void> {
  const { startVulnerableModel } = await import('../../redteam/vulnerable-model.js');
  const model = await startVulnerableModel({ port, keepRequests: 0 });
  process.stdout.write(
    `vulnerable scripted model listening on ${model.url} (127.0.0.1 only; it obeys every instruction it reads — for red-team baselines, never for real use)\n` +
      `  OpenAI:    ${model.url}/v1   (POST /v1/chat/completions)\n  Anthropic: ${model.url}      (POST /v1/messages)\n`,
  );
  const stop = (): void => {
    void model.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/**
 * `clawguard redteam`: sends the attack corpus (plus a benign control set) to an OpenAI- or
 * Anthropic-compatible endpoint and reports, per category and strategy, what was stopped and what
 * got through. `--serve-vulnerable-model PORT` starts the naive scripted model for baselines.
 */
export function registerRedteamCommand(program: Command): void {
  program
    .command('redteam')
    .description('Attack an OpenAI- or Anthropic-compatible endpoint with the red-team corpus; report per category what was stopped and what got through')
    .option('--target <url>', 'endpoint: OpenAI base URL with /v1 (http://127.0.0.1:8080/v1) or Anthropic base URL (http://127.0.0.1:8080)')
    .option('--key <key>', 'API key sent to the target (default: $CLAWGUARD_REDTEAM_KEY)')
    .addOption(new Option('--provider <api>', 'API the target speaks').choices(['openai', 'anthropic']).default('openai'))
    .option('--model <name>', 'model name in the requests (default: gpt-4o-mini / claude-3-5-haiku-latest)')
    .option('--corpus <name|file...>', 'builtin (every strategy), quick (plain attacks only) or JSONL files; several are merged', ['builtin'])
    .option('--concurrency <n>', 'requests in flight', positiveInt, 4)
    .option('--timeout <seconds>', 'per request; no answer by then is an error', positiveInt, 60)
    .option('--json', 'print one JSON object (the whole report)')
    .option('--html <file>', 'also write a self-contained HTML report')
    .option('--fail-over <rate>', 'exit 1 when the attack success rate is above this (0..1), e.g. 0.02', rate)
    .option('--serve-vulnerable-model <port>', 'instead of attacking: serve the naive scripted model on 127.0.0.1:PORT (0: any free port)', port)
    .action(async (opts: RedteamOptions) => {
      if (opts.serveVulnerableModel !== undefined) {
        try {
          await serveVulnerable(opts.serveVulnerableModel);
        } catch (error) {
          process.stderr.write(`clawguard redteam: ${error instanceof Error ? error.message : String(error)}\n`);
          process.exitCode = REDTEAM_EXIT.incomplete;
        }
        return;
      }
      try {
        // Loaded only when the command runs: registering it costs the other commands nothing.
        const [{ CorpusError, loadCorpora }, { formatHtml, formatText }, { runRedteam }] = await Promise.all([import('../../redteam/load.js'), import('../../redteam/report.js'), import('../../redteam/runner.js')]);
        if (!opts.target) throw new CorpusError('--target URL is required (or --serve-vulnerable-model PORT)');
        let url: URL;
        try {
          url = new URL(opts.target);
        } catch {
          throw new CorpusError(`--target: not a URL: ${opts.target}`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CorpusError('--target must be an http:// or https:// URL');
        const corpus = loadCorpora(opts.corpus);
        const key = opts.key ?? process.env.CLAWGUARD_REDTEAM_KEY;
        const model = opts.model ?? (opts.provider === 'openai' ? 'gpt-4o-mini' : 'claude-3-5-haiku-latest');
        const showProgress = Boolean(process.stderr.isTTY) && !opts.json;
        const report = await runRedteam(corpus, {
          url: opts.target,
          provider: opts.provider,
          model,
          ...(key ? { key } : {}),
          timeoutMs: opts.timeout * 1000,
          concurrency: opts.concurrency,
          ...(showProgress ? { onProgress: progressBar(process.stderr) } : {}),
        });
        const failOver = opts.failOver;
        const over = failOver !== undefined && (report.attacks.asr ?? 0) > failOver;
        const errors = report.attacks.errors + report.control.errors;
        if (opts.html) writeFileSync(opts.html, formatHtml(report));
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...report, ...(failOver !== undefined ? { failOver, passed: !over } : {}) })}\n`);
        else {
          process.stdout.write(formatText(report));
          if (opts.html) process.stdout.write(`HTML report: ${opts.html}\n`);
          if (failOver !== undefined) process.stdout.write(`${over ? 'FAIL' : 'PASS'}: attack success rate ${((report.attacks.asr ?? 0) * 100).toFixed(1)}% ${over ? '>' : '<='} --fail-over ${(failOver * 100).toFixed(1)}%\n`);
        }
        if (errors > 0) process.stderr.write(`clawguard redteam: ${errors} case(s) got no usable answer (see "errors"); the measurement is incomplete\n`);
        process.exitCode = over ? REDTEAM_EXIT.failOver : errors > 0 ? REDTEAM_EXIT.incomplete : REDTEAM_EXIT.ok;
      } catch (error) {
        process.stderr.write(`clawguard redteam: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = REDTEAM_EXIT.incomplete;
      }
    });
}
