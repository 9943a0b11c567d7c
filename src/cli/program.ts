import { Command, InvalidArgumentError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type KeyStore, rotateKey } from '../auth/api-keys.js';
import { openKeyStore } from '../auth/open-key-store.js';
import { ConfigError, formatIssue, loadConfigFile, parseConfigText } from '../config/load.js';
import { InitError, initProject } from '../config/init.js';
import { configJsonSchema } from '../config/json-schema.js';
import { builtinGuards } from '../guards/index.js';
import { createGateway } from '../gateway/server.js';
import { allowYoungGenerationGrowth, tuneGatewayHeap, tuneYoungGeneration } from '../gateway/heap-tuning.js';
import { createGuards } from '../gateway/guard-engine.js';
import { decide, ScanCache, scanSegments } from '../core/index.js';
import { SecretError } from '../secrets/secret-ref.js';
import type { Approval, ApprovalStatus, ApprovalStore } from '../gateway/approvals/approval-store.js';
import { openStateStores } from '../gateway/open-state-stores.js';
import { registerIncidentCommands } from './commands/incident.js';
import { unresolvedLocalSecrets } from '../config/local-secret-check.js';

const out = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const err = (text: string): void => {
  process.stderr.write(`${text}\n`);
};

function portArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

function durationArg(value: string): number {
  const match = /^(\d+)([dhm])$/.exec(value);
  if (!match) throw new InvalidArgumentError('use a number with d, h or m, e.g. 30d');
  return Number(match[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as 'd' | 'h' | 'm'];
}

/** Expected failures (bad config, missing secret, bad flag) print a clear message, never a stack trace. */
function reportFailure(error: unknown): void {
  if (error instanceof ConfigError) err(error.message);
  else if (error instanceof SecretError || error instanceof InitError) err(`error: ${error.message}`);
  else if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') err(`error: ${error.message} (is another ClawGuard running? change server.port / admin.port)`);
  else err(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

async function serve(configPath: string, banner?: string[]): Promise<void> {
  tuneGatewayHeap();
  tuneYoungGeneration();
  // A reader of our output that went away (a log shipper, a parent process) must not turn a later
  // write into an uncaught EPIPE that kills the gateway before it has drained and closed its stores.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const registry = builtinGuards();
  const loaded = loadConfigFile(configPath, registry);
  const gateway = await createGateway(loaded, { registry });
  let urls: Awaited<ReturnType<typeof gateway.listen>>;
  try {
    urls = await gateway.listen();
  } catch (error) {
    // A port already in use: close what was opened (stores, timers, a listener that did bind) so the
    // process exits with the error instead of hanging with no port.
    await gateway.close().catch(() => undefined);
    throw error;
  }
  const { proxyUrl, adminUrl, egressUrl } = urls;
  allowYoungGenerationGrowth();
  out(`ClawGuard is listening`);
  out(`  LLM proxy:  ${proxyUrl}   (OpenAI: ${proxyUrl}/v1 · Anthropic: ${proxyUrl})`);
  if (adminUrl) out(`  admin API:  ${adminUrl}`);
  if (egressUrl) out(`  egress:     ${egressUrl}   (HTTP proxy for the agent's tools; credentials: any user, a client key as password)`);
  out(`  config:     ${loaded.file}`);
  if (gateway.usesDemoUpstream) out(`  upstream:   built-in DEMO upstream (no provider configured; answers are labelled, not a model)`);
  for (const line of banner ?? []) out(line);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    out(`${signal}: stopping`);
    gateway.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * Commands whose modules are heavy (detector models, scanners) register only when they may run:
 * the gateway process (`serve`, `start`) never loads them, which keeps its memory small.
 */
const GATEWAY_COMMANDS = new Set(['serve', 'start']);

async function registerToolCommands(program: Command): Promise<void> {
  const [{ registerPostureCommands }, { registerEvalCommand }, { allEvalSuites }, { registerCheckCommand }, { registerOpenClawCommands }, { registerAuditCommands }] = await Promise.all([
    import('./commands/posture.js'),
    import('./commands/eval.js'),
    import('../eval/suites.js'),
    import('./commands/check.js'),
    import('./commands/openclaw.js'),
    import('./commands/audit.js'),
  ]);
  registerPostureCommands(program);
  registerCheckCommand(program);
  registerOpenClawCommands(program);
  registerAuditCommands(program);
  registerEvalCommand(program, allEvalSuites());
  const { registerRedteamCommand } = await import('./commands/redteam.js');
  registerRedteamCommand(program);
}

export function buildProgram(): Command {
  const program = new Command();
  program.name('clawguard').description('Security gateway and hardening toolkit for AI agents').showHelpAfterError();

  program
    .command('start')
    .description('quick start: create ./data/clawguard.yaml on first run (printing a client key once), then serve it')
    .option('--dir <dir>', 'where the config and store live', 'data')
    .action(async (opts: { dir: string }) => {
      try {
        const configPath = join(resolve(opts.dir), 'clawguard.yaml');
        const banner: string[] = [];
        if (!existsSync(configPath)) {
          const created = initProject({ dir: opts.dir });
          banner.push('', 'First start: wrote a secure default config and created your keys. They are shown ONCE; only their hashes are stored.');
          banner.push(`  client key: ${created.clientKey}`, `  admin key:  ${created.adminKey}`, '');
          banner.push('Try it:');
          banner.push(`  curl -s ${created.proxyUrl}/v1/chat/completions -H "Authorization: Bearer ${created.clientKey}" \\`);
          banner.push(`    -H 'content-type: application/json' -d '{"model":"demo","messages":[{"role":"user","content":"Hello"}]}'`);
        } else {
          banner.push(`  keys:       created at first start and shown once; make another: npx clawguard keys create --config ${configPath} --name NAME`);
        }
        await serve(configPath, banner);
      } catch (error) {
        reportFailure(error);
      }
    });

  program
    .command('serve')
    .description('run the gateway')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (opts: { config: string }) => {
      try {
        await serve(opts.config);
      } catch (error) {
        reportFailure(error);
      }
    });

  program
    .command('init')
    .description('write a secure default config and create a client key and an admin key')
    .option('--dir <dir>', 'folder for clawguard.yaml and its store', '.')
    .option('--port <n>', 'proxy port', portArg)
    .option('--admin-port <n>', 'admin port', portArg)
    .option('--upstream <provider=url>', 'openai=URL (with /v1) or anthropic=URL')
    .option('--upstream-key <ref>', 'the upstream API key as a secret reference: env:NAME or file:PATH (relative: to the current folder)')
    .option('--force', 'replace an existing clawguard.yaml')
    .option('--json', 'print {config, clientKey, adminKey, proxyUrl, adminUrl}')
    .action((opts: { dir: string; port?: number; adminPort?: number; upstream?: string; upstreamKey?: string; force?: boolean; json?: boolean }) => {
      try {
        const result = initProject(opts);
        if (opts.json) {
          out(JSON.stringify(result));
          return;
        }
        out(`wrote ${result.config}`);
        out(`client key: ${result.clientKey}`);
        out(`admin key:  ${result.adminKey}`);
        out('These keys are shown once; only their hashes are stored.');
        out(`start it:   npx clawguard serve --config ${result.config}`);
      } catch (error) {
        reportFailure(error);
      }
    });

  const config = program.command('config').description('check and describe configuration files');
  config
    .command('validate [file]')
    .description('report every error in a config file, with its path and line')
    .action((file: string | undefined) => {
      const path = resolve(file ?? 'clawguard.yaml');
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        err(`${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
        process.exitCode = 1;
        return;
      }
      const { config: parsed, issues } = parseConfigText(text, path, builtinGuards());
      if (parsed) {
        out(`${path}: valid`);
        // Valid, but `serve` would stop at these here: said, not failed (the config may be for another machine).
        for (const u of unresolvedLocalSecrets(parsed)) err(`${path}: warning: ${u.path}: ${u.ref}: ${u.problem} (serve would fail on this machine)`);
        return;
      }
      for (const issue of issues) err(formatIssue(path, issue));
      err(`${issues.length} error(s)`);
      process.exitCode = 1;
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file')
    .action(() => out(JSON.stringify(configJsonSchema(builtinGuards()), null, 2)));

  const keys = program.command('keys').description('manage client and admin keys');
  const withStore = async <T>(configPath: string, fn: (store: KeyStore) => Promise<T>): Promise<T> => {
    const store = await openKeyStore(loadConfigFile(configPath, builtinGuards()));
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  };
  keys
    .command('create')
    .description('create a key (printed once)')
    .requiredOption('--name <name>', 'who or what uses it')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--admin', 'an admin key instead of a client key')
    .option('--role <role>', 'role from the config (default: auth.defaultRole)')
    .option('--tenant <tenant>', 'tenant the key belongs to')
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h', durationArg)
    .option('--json', 'print {id, key, name, kind, role, expiresAt}')
    .action(async (opts: { name: string; config: string; admin?: boolean; role?: string; tenant?: string; expires?: number; json?: boolean }) => {
      try {
        const loaded = loadConfigFile(opts.config, builtinGuards());
        if (opts.role && !loaded.config.roles.some((r) => r.name === opts.role)) throw new InitError(`--role: no role named "${opts.role}" in ${loaded.file}`);
        const { key, record } = await withStore(opts.config, (s) =>
          s.create({
            kind: opts.admin ? 'admin' : 'client',
            name: opts.name,
            ...(opts.role ? { role: opts.role } : {}),
            ...(opts.tenant ? { tenant: opts.tenant } : {}),
            ...(opts.expires ? { expiresAt: new Date(Date.now() + opts.expires) } : {}),
          }),
        );
        out(
          opts.json
            ? JSON.stringify({ id: record.id, key, name: record.name, kind: record.kind, role: record.role ?? loaded.config.auth.defaultRole, expiresAt: record.expiresAt })
            : `${record.kind} key "${record.name}" (${record.id}):\n${key}\nShown once; only its hash is stored.`,
        );
      } catch (error) {
        reportFailure(error);
      }
    });
  keys
    .command('list')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; json?: boolean }) => {
      try {
        const list = await withStore(opts.config, (s) => s.list());
        if (opts.json) out(JSON.stringify(list));
        else for (const k of list) out(`${k.id}  ${k.kind.padEnd(6)}  ${k.prefix}…  ${k.name}${k.revokedAt ? `  (revoked ${k.revokedAt})` : ''}`);
      } catch (error) {
        reportFailure(error);
      }
    });
  keys
    .command('show <id>')
    .description('one key by id (or a unique id prefix); never its secret')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--json', 'JSON output')
    .action(async (id: string, opts: { config: string; json?: boolean }) => {
      try {
        const k = await withStore(opts.config, (s) => s.get(id));
        if (!k) {
          err(`no key with id ${id}`);
          process.exitCode = 1;
          return;
        }
        out(opts.json ? JSON.stringify(k) : Object.entries(k).map(([name, value]) => `${name.padEnd(10)} ${value ?? '-'}`).join('\n'));
      } catch (error) {
        reportFailure(error);
      }
    });
  keys
    .command('rotate <id>')
    .description('replace a key: a new one with the same name, role, tenant and expiry, the old one revoked')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--json', 'print {id, key, name, kind, role, replaced}')
    .action(async (id: string, opts: { config: string; json?: boolean }) => {
      try {
        const rotated = await withStore(opts.config, (s) => rotateKey(s, id));
        if (!rotated) {
          err(`no key with id ${id}`);
          process.exitCode = 1;
          return;
        }
        const r = rotated.record;
        out(opts.json ? JSON.stringify({ id: r.id, key: rotated.key, name: r.name, kind: r.kind, role: r.role, replaced: rotated.replaced.id }) : `new ${r.kind} key "${r.name}" (${r.id}), ${rotated.replaced.id} revoked:\n${rotated.key}\nShown once; only its hash is stored.`);
      } catch (error) {
        reportFailure(error);
      }
    });
  keys
    .command('revoke <id>')
    .description('revoke a key by id (or a unique id prefix)')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (id: string, opts: { config: string }) => {
      try {
        const revoked = await withStore(opts.config, (s) => s.revoke(id));
        if (!revoked) {
          err(`no key with id ${id}`);
          process.exitCode = 1;
          return;
        }
        out(`revoked ${revoked.id} (${revoked.name})`);
      } catch (error) {
        reportFailure(error);
      }
    });

  const approvalsCmd = program.command('approvals').description('decide on tool calls and requests held for human review');
  const withApprovals = async <T>(configPath: string, fn: (store: ApprovalStore) => Promise<T>): Promise<T> => {
    const state = await openStateStores(loadConfigFile(configPath, builtinGuards()));
    try {
      return await fn(state.approvals);
    } finally {
      await state.close();
    }
  };
  const showApproval = (a: Approval): string =>
    `${a.id}  ${a.status.padEnd(8)}  ${a.createdAt}  ${a.toolName ? `tool ${a.toolName}` : 'request'}  [${a.reasons.join(', ')}]  principal ${a.principal}${a.decidedBy ? `  by ${a.decidedBy}` : ''}`;
  approvalsCmd
    .command('list')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .option('--status <status>', 'pending | approved | denied | expired', 'pending')
    .option('--json', 'JSON output')
    .action(async (opts: { config: string; status: string; json?: boolean }) => {
      try {
        if (!['pending', 'approved', 'denied', 'expired', 'all'].includes(opts.status)) throw new InitError('--status must be pending, approved, denied, expired or all');
        const list = await withApprovals(opts.config, (s) => s.list(opts.status === 'all' ? undefined : (opts.status as ApprovalStatus)));
        if (opts.json) out(JSON.stringify(list));
        else if (list.length === 0) out(`no ${opts.status === 'all' ? '' : `${opts.status} `}approvals`);
        else for (const a of list) out(showApproval(a));
      } catch (error) {
        reportFailure(error);
      }
    });
  approvalsCmd
    .command('show <id>')
    .option('-c, --config <file>', 'config file', 'clawguard.yaml')
    .action(async (id: string, opts: { config: string }) => {
      try {
        const a = await withApprovals(opts.config, (s) => s.get(id));
        if (!a) {
          err(`no approval ${id}`);
          process.exitCode = 1;
          return;
        }
        out(showApproval(a));
        if (a.arguments) out(`arguments: ${a.arguments}`);
        out(`expires:   ${a.expiresAt}`);
      } catch (error) {
        reportFailure(error);
      }
    });
  for (const verb of ['approve', 'deny'] as const) {
    approvalsCmd
      .command(`${verb} <id>`)
      .option('-c, --config <file>', 'config file', 'clawguard.yaml')
      .option('--note <text>', 'why')
      .action(async (id: string, opts: { config: string; note?: string }) => {
        try {
          const by = `cli:${process.env.USER ?? 'operator'}`;
          const done = await withApprovals(opts.config, async (s) => ((await s.decide(id, verb === 'approve' ? 'approved' : 'denied', by, opts.note)) ? true : ((await s.get(id))?.status ?? 'unknown')));
          if (done === true) out(`${verb === 'approve' ? 'approved' : 'denied'} ${id}`);
          else {
            err(done === 'unknown' ? `no approval ${id}` : `approval ${id} is already ${done}`);
            process.exitCode = 1;
          }
        } catch (error) {
          reportFailure(error);
        }
      });
  }

  program
    .command('detect [text]')
    .description('print, as JSON, what every guard finds in a text (TEXT, or - / nothing for standard input)')
    .option('-c, --config <file>', 'use the guards configured in this file (default: the built-in defaults)')
    .option('--kind <kind>', 'message | tool_result | tool_call', 'message')
    .option('--direction <direction>', 'input | output', 'input')
    .option('--tool <name>', 'tool name, for tool_call and tool_result')
    .action(async (text: string | undefined, opts: { config?: string; kind: string; direction: string; tool?: string }) => {
      try {
        if (!['message', 'tool_result', 'tool_call'].includes(opts.kind)) throw new InitError('--kind must be message, tool_result or tool_call');
        if (!['input', 'output'].includes(opts.direction)) throw new InitError('--direction must be input or output');
        const input = text === undefined || text === '-' ? readFileSync(0, 'utf8') : text;
        const registry = builtinGuards();
        const config = opts.config ? loadConfigFile(opts.config, registry).config : parseConfigText('', '<defaults>', registry).config!;
        const guards = createGuards(config, registry);
        await Promise.all(guards.map((g) => g.ready?.()));
        const kind = opts.kind as 'message' | 'tool_result' | 'tool_call';
        const direction = opts.direction as 'input' | 'output';
        const role = kind === 'tool_result' ? 'tool' : direction === 'output' ? 'assistant' : 'user';
        const segment = { id: 'text', path: [], direction, role, kind, trusted: false, text: input, ...(opts.tool ? { toolName: opts.tool } : {}) } as const;
        const { findings, failures } = await scanSegments([segment], guards, { requestId: 'detect', direction }, new ScanCache(0));
        const policy = { ...config.policy, rules: [...config.policy.rules, ...config.policy.defaultRules] };
        const decision = decide(policy, direction, findings, failures, new Map([[segment.id, segment]]));
        out(
          JSON.stringify(
            {
              action: decision.action,
              findings: decision.verdicts.map((v) => ({ guard: v.finding.guard, type: v.finding.type, score: Number(v.finding.score.toFixed(3)), span: v.finding.span, action: v.action, reason: v.finding.reason })),
              failures: failures.map((f) => ({ guard: f.guard, error: f.error })),
            },
            null,
            2,
          ),
        );
      } catch (error) {
        reportFailure(error);
      }
    });

  registerIncidentCommands(program);

  return program;
}

/** Runs the CLI (`main.ts` loads this module once it has tuned the heap). */
export async function runCli(argv: string[]): Promise<void> {
  try {
    const program = buildProgram();
    if (!GATEWAY_COMMANDS.has(argv[2] ?? '')) await registerToolCommands(program);
    await program.parseAsync(argv);
  } catch (error) {
    reportFailure(error);
  }
}
