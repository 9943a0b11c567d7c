import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditSink } from '../audit/events.js';
import { globMatch } from '../core/glob.js';
import { lazySecret, secretRefSchema } from '../secrets/secret-ref.js';

/**
 * Model pins held in an MLflow model registry, read through its REST API:
 *
 * - `models:/NAME/VERSION` — `GET /api/2.0/mlflow/model-versions/get?name=&version=`
 * - `models:/NAME@ALIAS` — `GET /api/2.0/mlflow/registered-models/alias?name=&alias=`
 * - `models:/NAME/STAGE` (`Production`, `Staging`, …) and `models:/NAME/latest` —
 *   `POST /api/2.0/mlflow/registered-models/get-latest-versions {name, stages}`
 *
 * The model id the gateway allows is the value of a **model-version tag** (`modelIdTag`, default
 * `model_id`): MLflow's own fields name a run and an artifact location, not the id a serving
 * endpoint answers to, so the team that registers a version says which id serves it. A version that
 * is not `READY` or has no such tag resolves to nothing (refused).
 *
 * Pins are re-read every `refreshSeconds`. A change of version, stage or model id is logged and
 * audited (`system` event `model.pin.changed`) and then followed or refused (`onChange`). Fail
 * closed: a pin that never resolved, whose registry has not answered for `maxStaleSeconds` past a
 * refresh, or whose version is gone, refuses every model it governs.
 */
export const mlflowConfigSchema = z.strictObject({
  /** The tracking server, e.g. https://mlflow.internal:5000 */
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Bearer token (`MLFLOW_TRACKING_TOKEN` style), as a secret reference. */
  token: secretRefSchema.optional(),
  refreshSeconds: z.number().int().min(1).max(86_400).default(60),
  /** How long the last answer stays good while the registry is unreachable; then the pins refuse. */
  maxStaleSeconds: z.number().int().min(0).max(86_400).default(300),
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
  /** The model-version tag that holds the model id the upstream serves. */
  modelIdTag: z.string().min(1).default('model_id'),
  /** When a pin's version, stage or model id changes: `follow` it, or `refuse` the pin until the gateway restarts (or the registry goes back). */
  onChange: z.enum(['follow', 'refuse']).default('follow'),
  pins: z
    .array(
      z.strictObject({
        uri: z.string().regex(/^models:\/[^/@]+(\/[^/@]+|@[A-Za-z0-9_-]+)$/, 'must be models:/NAME/VERSION, models:/NAME/STAGE, models:/NAME/latest or models:/NAME@ALIAS'),
        /** Glob over requested model ids this pin governs: they are allowed only when equal to the resolved id. Absent: the pin allows its resolved id and governs nothing else. */
        model: z.string().min(1).optional(),
      }),
    )
    .min(1),
});

export type MlflowConfig = z.infer<typeof mlflowConfigSchema>;

/** A pin's verdict on a requested model: `refused` holds the reason, absent when allowed. */
export interface PinCheck {
  readonly refused?: string;
}

interface Resolved {
  readonly version: string;
  readonly stage: string;
  readonly modelId: string;
}

interface PinState {
  readonly uri: string;
  readonly glob: string | undefined;
  /** The resolution accepted (at start, or the latest followed change). */
  approved?: Resolved | undefined;
  /** What the registry says now. */
  current?: Resolved | undefined;
  lastOk: number;
  /** Why the pin refuses although the registry answered (a refused change, a version gone). */
  refused?: string | undefined;
  lastError?: string | undefined;
}

/** The registry answered, and the answer says no (not found, not ready, no tag): refuse at once. */
class Definitive extends Error {}

type Ref = { kind: 'version'; name: string; version: string } | { kind: 'alias'; name: string; alias: string } | { kind: 'stage'; name: string; stage: string };

export function parseModelUri(uri: string): Ref {
  const alias = /^models:\/([^/@]+)@([A-Za-z0-9_-]+)$/.exec(uri);
  if (alias) return { kind: 'alias', name: decodeURIComponent(alias[1]!), alias: alias[2]! };
  const m = /^models:\/([^/@]+)\/([^/@]+)$/.exec(uri);
  if (!m) throw new Error(`not a model URI: ${uri}`);
  const name = decodeURIComponent(m[1]!);
  return /^[0-9]+$/.test(m[2]!) ? { kind: 'version', name, version: m[2]! } : { kind: 'stage', name, stage: m[2]! };
}

export class MlflowPins {
  private readonly states: PinState[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** The bearer token, read on the first call (a failed read is retried on the next). */
  private readonly token: (() => Promise<string>) | undefined;

  private constructor(
    private readonly config: MlflowConfig,
    private readonly log: Logger,
    private readonly audit: Pick<AuditSink, 'record'>,
    env: NodeJS.ProcessEnv,
  ) {
    this.states = config.pins.map((p) => ({ uri: p.uri, glob: p.model, lastOk: 0 }));
    this.token = config.token ? lazySecret(config.token, env) : undefined;
  }

  /** Resolves every pin once (failures leave the pin refusing, they do not stop the gateway), then refreshes periodically. */
  static async start(config: MlflowConfig, options: { log: Logger; audit: Pick<AuditSink, 'record'>; env?: NodeJS.ProcessEnv }): Promise<MlflowPins> {
    const pins = new MlflowPins(config, options.log, options.audit, options.env ?? process.env);
    await pins.refresh();
    pins.timer = setInterval(() => void pins.refresh(), config.refreshSeconds * 1000);
    pins.timer.unref();
    return pins;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** The current resolution of each pin (for status pages and tests). */
  get status(): { uri: string; version?: string; stage?: string; modelId?: string; refused?: string; error?: string }[] {
    return this.states.map((s) => ({
      uri: s.uri,
      ...(s.current ? { version: s.current.version, stage: s.current.stage, modelId: s.current.modelId } : {}),
      ...(s.refused ? { refused: s.refused } : {}),
      ...(s.lastError ? { error: s.lastError } : {}),
    }));
  }

  check(model: string, now = Date.now()): PinCheck | undefined {
    let refusal: string | undefined;
    for (const s of this.states) {
      const governs = s.glob ? globMatch(s.glob, model) : s.current?.modelId === model || s.approved?.modelId === model;
      if (!governs) continue;
      const why = this.refusal(s, model, now);
      if (why === undefined) return {};
      refusal ??= why;
    }
    return refusal === undefined ? undefined : { refused: refusal };
  }

  private refusal(s: PinState, model: string, now: number): string | undefined {
    const prefix = `model "${model}" is pinned by ${s.uri} in MLflow`;
    if (s.refused) return `${prefix}, and the pin is refused: ${s.refused}`;
    if (!s.current || !s.approved) return `${prefix}, which could not be resolved${s.lastError ? ` (${s.lastError})` : ''}`;
    if (now - s.lastOk > (this.config.refreshSeconds + this.config.maxStaleSeconds) * 1000) {
      return `${prefix}, and the registry has not answered since ${new Date(s.lastOk).toISOString()}${s.lastError ? ` (${s.lastError})` : ''}`;
    }
    if (s.approved.modelId !== model) return `${prefix}, which allows "${s.approved.modelId}" (version ${s.approved.version}) only`;
    return undefined;
  }

  /** Re-reads every pin; concurrent calls share one pass. */
  refresh(): Promise<void> {
    this.running ??= (async () => {
      for (const s of this.states) await this.refreshOne(s);
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async refreshOne(s: PinState): Promise<void> {
    let resolved: Resolved;
    try {
      resolved = await this.resolve(s.uri);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const wasOk = s.lastError === undefined;
      s.lastError = message;
      if (error instanceof Definitive) {
        s.current = undefined;
        s.refused = message;
      }
      if (wasOk) {
        this.log.warn({ uri: s.uri, error: message }, 'MLflow pin could not be resolved: models it governs are refused');
        this.record('model.pin.unresolved', { uri: s.uri, reason: message });
      }
      return;
    }
    s.lastOk = Date.now();
    s.lastError = undefined;
    const before = s.current;
    s.current = resolved;
    if (!s.approved) {
      s.approved = resolved;
      s.refused = undefined;
      this.log.info({ uri: s.uri, version: resolved.version, stage: resolved.stage, modelId: resolved.modelId }, 'MLflow pin resolved');
      this.record('model.pin.resolved', { uri: s.uri, version: resolved.version, stage: resolved.stage, modelId: resolved.modelId });
      return;
    }
    const changed = !before || before.version !== resolved.version || before.stage !== resolved.stage || before.modelId !== resolved.modelId;
    const from = before ?? s.approved;
    if (this.config.onChange === 'follow') {
      s.approved = resolved;
      s.refused = undefined;
    } else {
      const same = s.approved.version === resolved.version && s.approved.stage === resolved.stage && s.approved.modelId === resolved.modelId;
      s.refused = same ? undefined : `it moved from version ${s.approved.version} (${s.approved.stage}, "${s.approved.modelId}") to version ${resolved.version} (${resolved.stage}, "${resolved.modelId}") and onChange is "refuse"`;
    }
    if (changed) {
      const applied = this.config.onChange === 'follow' ? 'followed' : s.refused ? 'refused' : 'restored';
      this.log.warn({ uri: s.uri, from, to: resolved, applied }, 'MLflow pin changed');
      this.record('model.pin.changed', {
        uri: s.uri,
        fromVersion: from.version,
        toVersion: resolved.version,
        fromStage: from.stage,
        toStage: resolved.stage,
        fromModel: from.modelId,
        toModel: resolved.modelId,
        applied,
      });
    }
  }

  private record(action: string, detail: Record<string, string>): void {
    try {
      this.audit.record({ type: 'system', action, detail });
    } catch (error) {
      this.log.error({ action, error: error instanceof Error ? error.message : String(error) }, 'MLflow pin event could not be audited');
    }
  }

  private async call(path: string, init: RequestInit = {}): Promise<any> {
    const token = this.token ? await this.token() : undefined;
    const headers: Record<string, string> = { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
    let response: Response;
    try {
      response = await fetch(`${this.config.url.replace(/\/$/, '')}${path}`, { ...init, headers, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch {
      throw new Error('the MLflow registry could not be reached');
    }
    const text = await response.text().catch(() => '');
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      if (response.ok) throw new Error('the MLflow registry sent an answer that is not JSON');
    }
    if (response.status === 401 || response.status === 403) throw new Error(`the MLflow registry refused the credentials (${response.status})`);
    if (response.status === 404 || body?.error_code === 'RESOURCE_DOES_NOT_EXIST') throw new Definitive(`no such model, version or alias in the registry (${body?.error_code ?? response.status})`);
    if (!response.ok) throw new Error(`the MLflow registry answered ${response.status}${typeof body?.error_code === 'string' ? ` ${body.error_code}` : ''}`);
    return body;
  }

  private async resolve(uri: string): Promise<Resolved> {
    const ref = parseModelUri(uri);
    const q = (params: Record<string, string>) => new URLSearchParams(params).toString();
    let version: any;
    if (ref.kind === 'version') {
      version = (await this.call(`/api/2.0/mlflow/model-versions/get?${q({ name: ref.name, version: ref.version })}`))?.model_version;
    } else if (ref.kind === 'alias') {
      version = (await this.call(`/api/2.0/mlflow/registered-models/alias?${q({ name: ref.name, alias: ref.alias })}`))?.model_version;
    } else {
      const latest = ref.stage.toLowerCase() === 'latest';
      const body = await this.call('/api/2.0/mlflow/registered-models/get-latest-versions', { method: 'POST', body: JSON.stringify({ name: ref.name, ...(latest ? {} : { stages: [ref.stage] }) }) });
      const versions = body?.model_versions;
      if (body !== undefined && versions !== undefined && !Array.isArray(versions)) throw new Error('the MLflow registry sent a malformed answer (model_versions)');
      const list = (versions ?? []) as any[];
      version = list.reduce<any>((best, v) => (best === undefined || Number(v?.version) > Number(best.version) ? v : best), undefined);
      if (!version) throw new Definitive(`no version of "${ref.name}" is in stage ${ref.stage}`);
    }
    if (!version || typeof version !== 'object' || typeof version.version !== 'string') throw new Error('the MLflow registry sent a malformed answer (model_version)');
    if (version.status !== undefined && version.status !== 'READY') throw new Definitive(`version ${version.version} is ${String(version.status)}, not READY`);
    const tags = Array.isArray(version.tags) ? (version.tags as { key?: unknown; value?: unknown }[]) : [];
    const modelId = tags.find((t) => t?.key === this.config.modelIdTag)?.value;
    if (typeof modelId !== 'string' || modelId === '') throw new Definitive(`version ${version.version} has no "${this.config.modelIdTag}" tag naming the model id`);
    return { version: version.version, stage: typeof version.current_stage === 'string' ? version.current_stage : 'None', modelId };
  }
}
