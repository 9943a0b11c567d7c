/**
 * Reading OpenClaw's `models.providers` entries: which ones ClawGuard can sit in front of, where their
 * upstream is, and where their API key comes from. Pure: the environment is passed in.
 */

/** The OpenClaw request adapters ClawGuard speaks, and the ClawGuard provider each maps to. */
export const SUPPORTED_APIS = { 'openai-completions': 'openai', 'anthropic-messages': 'anthropic' } as const;
export type SupportedApi = keyof typeof SUPPORTED_APIS;

/** Built-in OpenClaw providers that need no `baseUrl`: where they go, and the adapter to use through ClawGuard. */
const BUILTIN: Record<string, { url: string; api: SupportedApi; envKey: string }> = {
  openai: { url: 'https://api.openai.com/v1', api: 'openai-completions', envKey: 'OPENAI_API_KEY' },
  anthropic: { url: 'https://api.anthropic.com', api: 'anthropic-messages', envKey: 'ANTHROPIC_API_KEY' },
};

/** APIs that ClawGuard cannot proxy today but that an OpenAI-speaking upstream also serves. */
const REWRITABLE_APIS: Record<string, SupportedApi> = { 'openai-responses': 'openai-completions' };

export type KeySource =
  /** The key itself (inline in openclaw.json, or resolved from an env reference). */
  | { readonly kind: 'value'; readonly value: string; readonly from: string }
  /** An env reference whose value is not visible here: ClawGuard must get the same variable. */
  | { readonly kind: 'env'; readonly name: string };

export interface ProviderPlan {
  readonly id: string;
  /** The ClawGuard upstream name (`openclaw-<id>`). */
  readonly upstream: string;
  readonly provider: 'openai' | 'anthropic';
  /** The adapter OpenClaw uses after the change. */
  readonly api: SupportedApi;
  /** Where ClawGuard forwards to: the provider's previous base URL. */
  readonly url: string;
  readonly key: KeySource;
  /** Model ids listed for the provider: each gets a ClawGuard route. */
  readonly models: readonly string[];
  readonly notes: readonly string[];
}

export interface SkippedProvider {
  readonly id: string;
  readonly reason: string;
}

export interface ProviderScan {
  readonly plans: ProviderPlan[];
  readonly skipped: SkippedProvider[];
  /** Providers that already point at ClawGuard. */
  readonly connected: string[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `${NAME}` or `$NAME` (OpenClaw's env shorthand), else undefined. */
export function envReference(value: string): string | undefined {
  const m = /^\$\{([A-Z_][A-Z0-9_]*)\}$/.exec(value.trim()) ?? /^\$([A-Z_][A-Z0-9_]*)$/.exec(value.trim());
  return m?.[1];
}

export function upstreamName(providerId: string): string {
  const cleaned = providerId.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return `openclaw-${cleaned || 'provider'}`;
}

/** Lines of a dotenv file as a map (`KEY=value`, `export KEY=value`, quotes stripped). */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    let value = m[2]!;
    if ((value.startsWith('"') && value.endsWith('"') && value.length >= 2) || (value.startsWith("'") && value.endsWith("'") && value.length >= 2)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out.set(m[1]!, value);
  }
  return out;
}

function sameOrigin(url: string, base: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(base);
    return a.protocol === b.protocol && a.host === b.host;
  } catch {
    return false;
  }
}

/**
 * Decides, provider by provider, what `connect` does. `lookupEnv` resolves a variable the way
 * OpenClaw would (process environment, `env.vars`, its `.env` files).
 */
export function scanProviders(config: Record<string, unknown>, proxyUrl: string, lookupEnv: (name: string) => string | undefined): ProviderScan {
  const plans: ProviderPlan[] = [];
  const skipped: SkippedProvider[] = [];
  const connected: string[] = [];
  const models = isRecord(config.models) ? config.models : {};
  const providers = isRecord(models.providers) ? models.providers : {};
  for (const [id, raw] of Object.entries(providers)) {
    if (!isRecord(raw)) {
      skipped.push({ id, reason: 'not an object' });
      continue;
    }
    const notes: string[] = [];
    const builtin = BUILTIN[id];
    const baseUrl = typeof raw.baseUrl === 'string' && raw.baseUrl.trim() ? raw.baseUrl.trim() : undefined;
    if (baseUrl && sameOrigin(baseUrl, proxyUrl)) {
      connected.push(id);
      continue;
    }
    const declaredApi = typeof raw.api === 'string' ? raw.api : baseUrl ? 'openai-completions' : builtin?.api;
    let api: SupportedApi | undefined;
    if (declaredApi && declaredApi in SUPPORTED_APIS) api = declaredApi as SupportedApi;
    else if (declaredApi && REWRITABLE_APIS[declaredApi]) {
      api = REWRITABLE_APIS[declaredApi];
      notes.push(`api ${declaredApi} becomes ${api} (ClawGuard inspects Chat Completions; the same OpenAI upstream serves both)`);
    }
    if (!api) {
      skipped.push({ id, reason: `ClawGuard does not proxy the "${declaredApi ?? 'unknown'}" API yet (supported: ${Object.keys(SUPPORTED_APIS).join(', ')})` });
      continue;
    }
    if (typeof raw.auth === 'string' && raw.auth !== 'api-key') {
      skipped.push({ id, reason: `uses "${raw.auth}" auth, which ClawGuard cannot hold for it (only API keys move)` });
      continue;
    }
    const url = baseUrl ?? builtin?.url;
    if (!url) {
      skipped.push({ id, reason: 'no baseUrl, and not a built-in provider whose URL ClawGuard knows' });
      continue;
    }
    const key = keySource(id, raw.apiKey, builtin?.envKey, lookupEnv);
    if (typeof key === 'string') {
      skipped.push({ id, reason: key });
      continue;
    }
    if (raw.headers !== undefined || (isRecord(raw.request) && (raw.request.auth !== undefined || raw.request.headers !== undefined))) {
      notes.push('custom headers/auth in openclaw.json are sent to ClawGuard, not to the provider: move any credential they carry into ClawGuard');
    }
    const modelIds = Array.isArray(raw.models)
      ? raw.models.flatMap((m) => (isRecord(m) && typeof m.id === 'string' && m.id ? [m.id] : typeof m === 'string' && m ? [m] : []))
      : [];
    plans.push({ id, upstream: upstreamName(id), provider: SUPPORTED_APIS[api], api, url, key, models: [...new Set(modelIds)], notes });
  }
  return { plans, skipped, connected };
}

function keySource(id: string, apiKey: unknown, builtinEnv: string | undefined, lookupEnv: (name: string) => string | undefined): KeySource | string {
  let envName: string | undefined;
  if (apiKey === undefined || apiKey === null || apiKey === '') {
    envName = builtinEnv ?? `${id.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`;
  } else if (typeof apiKey === 'string') {
    envName = envReference(apiKey);
    if (!envName) return { kind: 'value', value: apiKey, from: `models.providers.${id}.apiKey` };
  } else if (isRecord(apiKey)) {
    if (apiKey.source === 'env' && typeof apiKey.id === 'string') envName = apiKey.id;
    else return `apiKey is a SecretRef (source "${String(apiKey.source ?? 'unknown')}") that only OpenClaw can resolve: give ClawGuard the key (upstreams[].apiKey) and point baseUrl at it by hand`;
  } else {
    return 'apiKey has an unexpected type';
  }
  const value = lookupEnv(envName);
  return value ? { kind: 'value', value, from: `$${envName}` } : { kind: 'env', name: envName };
}
