/**
 * In-process guard cost of a ~60 KB OpenClaw turn: the GuardEngine built exactly as the gateway
 * builds it (src/gateway/server.ts: createGuards + GuardEngine over builtinGuards and the `init`
 * config), timing `engine.inspect(segments)` on a real OpenClaw request.
 *
 *   cold: a fresh engine (empty scan cache) per iteration: an agent's first turn.
 *   warm: the same conversation plus one new user message (a different one every iteration), on an
 *         engine that has already seen the conversation: what every later turn costs.
 *
 * Also times the rest of the pre-upstream work the gateway does per request on the same body
 * (JSON.parse, schema validation, segment extraction) so the guard cost can be read in context.
 * Run: node dist/bench/guard-cost.js [--json]   Env: BENCH_FIXTURE, BENCH_GUARD_SECONDS (per case, 2)
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseConfigText } from '../config/load.js';
import { renderConfig } from '../config/init.js';
import type { Guard, GuardContext, Segment } from '../core/index.js';
import { createGuards, GuardEngine } from '../gateway/guard-engine.js';
import { builtinGuards } from '../guards/index.js';
import { openAiChatAdapter } from '../providers/openai-chat.js';
import { summarize } from './proc.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The OpenClaw turn-3 request: BENCH_FIXTURE, else the copy in src/bench/fixtures (shared/ as last resort). */
export function fixturePath(): string {
  const candidates = [
    process.env.BENCH_FIXTURE,
    resolve(HERE, '../../src/bench/fixtures/openai-turn3.json'),
    resolve(HERE, 'fixtures/openai-turn3.json'),
    resolve(HERE, '../../../shared/bench/fixtures/openclaw/openai-turn3.json'),
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`OpenClaw fixture not found; set BENCH_FIXTURE (tried ${candidates.join(', ')})`);
  return found;
}

export interface CaseStats {
  readonly name: string;
  readonly iterations: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface GuardCostResult {
  readonly fixture: string;
  readonly bodyBytes: number;
  readonly segments: number;
  readonly systemChars: number;
  readonly totalChars: number;
  readonly guards: string[];
  readonly cases: CaseStats[];
}

async function buildEngine(): Promise<{ engine: (only?: string) => GuardEngine; freshEngine: () => Promise<GuardEngine>; guardIds: string[] }> {
  const registry = builtinGuards();
  const text = renderConfig({ port: 8080, adminPort: 8081, upstream: { provider: 'openai', url: 'http://127.0.0.1:9100/v1' }, upstreamKey: 'env:FAKE_UPSTREAM_KEY' });
  const { config, issues } = parseConfigText(text, '<init config>', registry);
  if (!config) throw new Error(`the init config does not validate: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  const guards = createGuards(config, registry);
  // As src/gateway/server.ts: the operator's rules first, then the built-in default rules.
  const base = config.policy as typeof config.policy & { defaultRules?: typeof config.policy.rules };
  const policy = Array.isArray(base.defaultRules) ? { ...base, rules: [...base.rules, ...base.defaultRules] } : base;
  // engine(): a new scan cache over the gateway's long-lived guard instances (what a running gateway has);
  // freshEngine(): new guard instances too (what the first request after start meets, lazy set-up included).
  const engine = (only?: string): GuardEngine =>
    new GuardEngine(
      guards.filter((g) => only === undefined || g.id === only),
      policy,
      config.cache.maxEntries,
    );
  const freshEngine = async (): Promise<GuardEngine> => {
    const fresh = createGuards(config, registry);
    await prepare(fresh);
    return new GuardEngine(fresh, policy, config.cache.maxEntries);
  };
  await prepare(guards);
  return { engine, freshEngine, guardIds: guards.map((g) => g.id) };
}

/**
 * What src/gateway/server.ts does before serving: each guard's optional `ready()`, then one pass over short throw-away
 * segments of every kind (lazy tables, JIT). Errors are ignored here as they are there.
 */
async function prepare(guards: readonly Guard[]): Promise<void> {
  await Promise.all(guards.map((g) => (g as Guard & { ready?: () => Promise<void> }).ready?.()));
  const text = 'Warm-up text: please summarise the meeting notes and list the next steps.';
  const kinds: Segment[] = [
    { id: 'w.in', path: [], direction: 'input', role: 'user', kind: 'message', trusted: false, text },
    { id: 'w.tool', path: [], direction: 'input', role: 'tool', kind: 'tool_result', trusted: false, text },
    { id: 'w.out', path: [], direction: 'output', role: 'assistant', kind: 'message', trusted: false, text },
    { id: 'w.call', path: [], direction: 'output', role: 'assistant', kind: 'tool_call', trusted: false, toolName: 'exec', text: '{"command":"ls -la"}' },
  ];
  for (const g of guards) {
    for (const segment of kinds) {
      if (g.appliesTo && !g.appliesTo(segment)) continue;
      try {
        await g.inspect(segment, { requestId: 'warm-up', direction: segment.direction });
      } catch {
        // as the gateway: a warm-up failure is not fatal
      }
    }
  }
}

/** Runs `fn` for at least `minIter` iterations and until `seconds` pass (at most `maxIter`), after `warm` discarded runs. */
async function time(name: string, fn: (i: number) => unknown, opts: { warm: number; minIter: number; maxIter: number; seconds: number }): Promise<CaseStats> {
  for (let i = 0; i < opts.warm; i++) await fn(-1 - i);
  const ms: number[] = [];
  const end = performance.now() + opts.seconds * 1000;
  for (let i = 0; i < opts.maxIter && (i < opts.minIter || performance.now() < end); i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  const s = summarize(ms);
  return { name, iterations: s.n, mean: s.mean, p50: s.p50, p99: s.p99, max: s.max };
}

export async function measureGuardCost(seconds = Number(process.env.BENCH_GUARD_SECONDS || 2)): Promise<GuardCostResult> {
  const file = fixturePath();
  const raw = readFileSync(file);
  const body = JSON.parse(raw.toString('utf8'));
  const { engine: newEngine, freshEngine, guardIds } = await buildEngine();
  const ctx: GuardContext = { requestId: 'bench', direction: 'input' };
  const { segments, messageCount } = openAiChatAdapter.requestSegments(body);
  const cases: CaseStats[] = [];
  const startup: CaseStats[] = [];
  const totalChars = segments.reduce((a, s) => a + s.text.length, 0);
  const systemChars = segments.filter((s) => s.role === 'system').reduce((a, s) => a + s.text.length, 0);

  // First request after start: new guard instances (lazy set-up of dictionaries, models, tries included).
  {
    const ms: number[] = [];
    const failed = new Set<string>();
    let blocked = 0;
    for (let i = 0; i < 5; i++) {
      const fresh = await freshEngine();
      const t0 = performance.now();
      const r = await fresh.inspect(segments, ctx, messageCount);
      ms.push(performance.now() - t0);
      if (r.decision.action === 'block' || r.decision.action === 'review') blocked++;
      for (const f of r.decision.failures) failed.add(`${f.guard}${f.timedOut ? ' (over budget)' : ''}`);
    }
    const s = summarize(ms);
    const note = blocked > 0 ? `; ${blocked}/5 BLOCKED: ${[...failed].join(', ')} failed` : failed.size > 0 ? `; failures: ${[...failed].join(', ')}` : '';
    startup.push({ name: `inspect, first request after start (new guard instances after ready() and warm-up, 5 runs${note})`, iterations: s.n, mean: s.mean, p50: s.p50, p99: s.p99, max: s.max });
  }

  // Sanity: the real request must pass the default guards, or the warm figures mean nothing.
  const first = await newEngine().inspect(segments, ctx, messageCount);
  if (first.decision.action === 'block' || first.decision.action === 'review') {
    const failures = first.decision.failures.map((f) => `${f.guard} failed: ${f.error}`);
    throw new Error(`the default guards ${first.decision.action} the OpenClaw fixture: ${[...first.findings.map((f) => f.type), ...failures].join(', ')}`);
  }

  const light = { warm: 200, minIter: 500, maxIter: 50_000, seconds };

  // cold: the first turn of a new conversation on a running gateway: an empty scan cache per iteration over the same guard
  // instances, and every text made unique (a per-iteration marker) so that nothing keyed by text anywhere can answer.
  const variant = (i: number): typeof segments => segments.map((sg) => ({ ...sg, text: `[conversation ${i}] ${sg.text}` }));
  const cold = async (name: string, only?: string, seconds2 = seconds): Promise<CaseStats> => {
    const ms: number[] = [];
    for (let i = 0; i < 5; i++) await newEngine(only).inspect(variant(-1 - i), ctx, messageCount); // JIT warm-up
    const end = performance.now() + seconds2 * 1000;
    for (let i = 0; i < 2000 && (i < 10 || performance.now() < end); i++) {
      const engine = newEngine(only);
      const segs = variant(i);
      const t0 = performance.now();
      await engine.inspect(segs, ctx, messageCount);
      ms.push(performance.now() - t0);
    }
    const s = summarize(ms);
    return { name, iterations: s.n, mean: s.mean, p50: s.p50, p99: s.p99, max: s.max };
  };
  cases.push(await cold('inspect, first turn (cold cache)'));
  cases.push(...startup);
  // where the first-turn cost comes from: the same, with one guard at a time
  for (const id of guardIds) cases.push(await cold(`  of which guard "${id}" alone, first turn`, id, Math.min(seconds, 0.5)));

  // warm: the conversation has been seen; each turn adds one new user message
  const warmEngine = newEngine();
  await warmEngine.inspect(segments, ctx, messageCount);
  const nextTurn = (i: number): { segments: typeof segments; messageCount: number } => {
    const b = { ...body, messages: [...body.messages, { role: 'user', content: `Thanks. Now list the files in the workspace again and tell me which changed since turn ${i}; keep it short.` }] };
    return openAiChatAdapter.requestSegments(b);
  };
  const prepared = new Map<number, ReturnType<typeof nextTurn>>();
  const seg = (i: number): ReturnType<typeof nextTurn> => {
    let p = prepared.get(i);
    if (!p) {
      p = nextTurn(i);
      prepared.set(i, p);
    }
    return p;
  };
  for (let i = -200; i < 50_000 && prepared.size < 5200; i++) seg(i); // segments built outside the timing
  cases.push(
    await time(
      'inspect, same conversation + 1 new message (warm cache)',
      async (i) => {
        const t = seg(i);
        await warmEngine.inspect(t.segments, ctx, t.messageCount);
      },
      { ...light, maxIter: 5000 },
    ),
  );
  cases.push(
    await time(
      'inspect, exact re-send (all cached)',
      async () => {
        await warmEngine.inspect(segments, ctx, messageCount);
      },
      light,
    ),
  );

  // the rest of the per-request work on this body, for context
  const text = raw.toString('utf8');
  cases.push(await time('JSON.parse of the body', () => JSON.parse(text), light));
  cases.push(await time('validateRequest (zod schema)', () => openAiChatAdapter.validateRequest(body), light));
  cases.push(await time('requestSegments', () => openAiChatAdapter.requestSegments(body), light));
  cases.push(
    await time(
      'whole input path, warm (parse + validate + segments + inspect)',
      async (i) => {
        const b = JSON.parse(text);
        b.messages.push({ role: 'user', content: `Thanks. Now list the files in the workspace again and tell me which changed since turn w${i}; keep it short.` });
        const c = openAiChatAdapter.validateRequest(b);
        if (!c.ok) throw new Error(c.message);
        const t = openAiChatAdapter.requestSegments(b);
        await warmEngine.inspect(t.segments, ctx, t.messageCount);
      },
      { ...light, maxIter: 5000 },
    ),
  );
  return { fixture: file, bodyBytes: raw.length, segments: segments.length, systemChars, totalChars, guards: guardIds, cases };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  measureGuardCost().then(
    (r) => {
      if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        console.log(`fixture ${r.fixture} (${r.bodyBytes} B, ${r.segments} segments, guards: ${r.guards.join(', ')})`);
        for (const c of r.cases) console.log(`${c.name}: mean ${c.mean.toFixed(3)} ms, p50 ${c.p50.toFixed(3)} ms, p99 ${c.p99.toFixed(3)} ms (n=${c.iterations})`);
      }
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
