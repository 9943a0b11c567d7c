import { createInterface } from 'node:readline';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ConfigError, loadConfigFile } from '../../config/load.js';
import { builtinGuards } from '../../guards/index.js';
import {
  type CompiledToolPolicy,
  compileToolPolicy,
  evaluateToolCall,
  PROFILES,
  shellParserReady,
  type ToolCallsConfig,
  toolCallsConfigSchema,
  toolCallsGuardFactory,
  type ToolCallVerdict,
} from '../../guards/toolcalls/index.js';

/** Where the command reads and writes; the process's streams unless a test passes its own. */
export interface CheckIo {
  readonly stdin?: NodeJS.ReadableStream;
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
}

interface CheckOptions {
  tool?: string;
  args?: string;
  profile?: (typeof PROFILES)[number];
  config?: string;
  json?: boolean;
  batch?: boolean;
}

/** Exit codes: 0 allowed, 2 needs review, 3 denied, 1 bad input (in batch mode: any bad line). */
export const CHECK_EXIT = { allow: 0, error: 1, review: 2, deny: 3 } as const;

function loadToolConfig(opts: CheckOptions): ToolCallsConfig {
  let own: Record<string, unknown> = {};
  if (opts.config) {
    const registry = builtinGuards();
    if (!registry.get(toolCallsGuardFactory.name)) registry.register(toolCallsGuardFactory);
    const loaded = loadConfigFile(opts.config, registry);
    const entry = (loaded.config.guards as Record<string, Record<string, unknown> | undefined>)[toolCallsGuardFactory.name] ?? {};
    const { enabled: _enabled, failOpen: _failOpen, timeoutMs: _timeoutMs, ...rest } = entry;
    own = rest;
  }
  if (opts.profile) own = { ...own, profile: opts.profile };
  return toolCallsConfigSchema.parse(own);
}

function verdictJson(tool: string, verdict: ToolCallVerdict): Record<string, unknown> {
  return {
    tool,
    action: verdict.action,
    findings: verdict.issues.map((i) => ({ type: i.type, score: Number(i.score.toFixed(2)), reason: i.reason, ...(i.span ? { span: i.span } : {}) })),
  };
}

function verdictText(tool: string, verdict: ToolCallVerdict): string[] {
  const lines = [`${verdict.action.toUpperCase()}  ${tool}`];
  for (const i of verdict.issues) lines.push(`  ${i.type}  (score ${i.score.toFixed(2)})  ${i.reason}`);
  if (verdict.issues.length === 0) lines.push('  no findings');
  return lines;
}

function argsText(args: unknown): string {
  if (args === undefined) return '{}';
  return typeof args === 'string' ? args : JSON.stringify(args);
}

async function runBatch(policy: CompiledToolPolicy, io: Required<CheckIo>): Promise<number> {
  const rl = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  let worst = 0;
  let bad = false;
  let n = 0;
  for await (const raw of rl) {
    n++;
    const line = raw.trim();
    if (line === '') continue;
    let input: unknown;
    try {
      input = JSON.parse(line);
    } catch {
      io.out(JSON.stringify({ line: n, error: 'not valid JSON' }));
      bad = true;
      continue;
    }
    const record = input as { tool?: unknown; args?: unknown };
    if (typeof input !== 'object' || input === null || typeof record.tool !== 'string' || record.tool === '') {
      io.out(JSON.stringify({ line: n, error: 'expected {"tool": NAME, "args": {...}}' }));
      bad = true;
      continue;
    }
    const verdict = evaluateToolCall(policy, record.tool, argsText(record.args));
    io.out(JSON.stringify(verdictJson(record.tool, verdict)));
    worst = Math.max(worst, CHECK_EXIT[verdict.action]);
  }
  return bad ? CHECK_EXIT.error : worst;
}

/**
 * `clawguard check tool-call`: the verdict of the tool-call policy for one call, or for JSONL lines
 * on stdin with `--batch` — for operators trying a policy, and for CI.
 */
export function registerCheckCommand(program: Command, io: CheckIo = {}): void {
  const streams: Required<CheckIo> = {
    stdin: io.stdin ?? process.stdin,
    out: io.out ?? ((line) => process.stdout.write(`${line}\n`)),
    err: io.err ?? ((line) => process.stderr.write(`${line}\n`)),
  };
  const check = program.command('check').description('Check what ClawGuard would decide, without a running gateway');
  check
    .command('tool-call')
    .description('Verdict of the tool-call policy for one call (exit 0 allow, 2 review, 3 deny, 1 bad input)')
    .option('--tool <name>', 'tool name, e.g. exec')
    .option('--args <json>', 'the call\'s arguments as JSON, e.g. \'{"command":"ls"}\'')
    .addOption(new Option('--profile <profile>', 'policy profile (default: the config\'s, else "generic")').choices([...PROFILES]))
    .option('--config <file>', 'take guards.toolcalls from this ClawGuard config')
    .option('--json', 'print {tool, action, findings} as JSON')
    .option('--batch', 'read JSONL lines {"tool", "args"} from stdin, write one JSON verdict per line')
    .action(async (opts: CheckOptions) => {
      try {
        const policy = compileToolPolicy(loadToolConfig(opts));
        await shellParserReady();
        if (opts.batch) {
          if (opts.tool || opts.args) throw new InvalidArgumentError('--batch reads calls from stdin; leave out --tool and --args');
          process.exitCode = await runBatch(policy, streams);
          return;
        }
        if (!opts.tool) throw new InvalidArgumentError('--tool is required (or use --batch)');
        const text = opts.args ?? '{}';
        try {
          JSON.parse(text);
        } catch {
          throw new InvalidArgumentError('--args must be JSON, e.g. \'{"command":"ls -la"}\'');
        }
        const verdict = evaluateToolCall(policy, opts.tool, text);
        if (opts.json) streams.out(JSON.stringify(verdictJson(opts.tool, verdict)));
        else for (const line of verdictText(opts.tool, verdict)) streams.out(line);
        process.exitCode = CHECK_EXIT[verdict.action];
      } catch (error) {
        if (error instanceof ConfigError) streams.err(error.message);
        else streams.err(`error: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = CHECK_EXIT.error;
      }
    });
}
