import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AuditSink } from '../audit/events.js';
import { globMatch } from '../core/glob.js';
import type { SseEvent } from '../providers/sse.js';
import { type MlflowConfig, mlflowConfigSchema, MlflowPins, type PinCheck } from './mlflow.js';
import type { IntegrityConfig } from './startup.js';

/**
 * Model lineage: which model answered each request. The gateway records on every `upstream.response`
 * audit event the upstream, the model id the provider *answered* with (`modelAnswered`, from the JSON
 * answer or the stream) and, for self-hosted models listed under `lineage.artifacts`, the SHA-256 of
 * the model artifact as signed in the integrity manifest (`artifactDigest`). Optionally, pins in an
 * MLflow model registry decide which model ids are allowed (mlflow.ts). docs/integrity.md.
 */
export const lineageConfigSchema = z.strictObject({
  /** Self-hosted model artifacts: requests to a matching model (and upstream) record the artifact's digest from the integrity manifest. */
  artifacts: z
    .array(
      z.strictObject({
        /** Glob over the model id (the answered one, else the requested one). */
        model: z.string().min(1).default('*'),
        /** Only for this upstream (by name). */
        upstream: z.string().min(1).optional(),
        /** The artifact's path as written in the manifest (relative to its root, POSIX). */
        path: z.string().min(1),
      }),
    )
    .default([]),
  mlflow: mlflowConfigSchema.optional(),
});

export type LineageConfig = z.infer<typeof lineageConfigSchema>;

/** The longest model id recorded; anything longer from a provider is cut. */
const MAX_MODEL_ID = 200;
const DIGEST_IN_ID = /@sha256:([0-9a-f]{64})$/i;

/** The `model` field of a provider's JSON answer (OpenAI and Anthropic both send it at the top). */
export function answeredModel(answer: unknown): string | undefined {
  const model = (answer as { model?: unknown } | null)?.model;
  return typeof model === 'string' && model !== '' ? model.slice(0, MAX_MODEL_ID) : undefined;
}

/**
 * Finds the model id in a stream: OpenAI repeats `model` on every chunk, Anthropic sends it once in
 * `message_start` (`message.model`). Only the first few data events are parsed, so a provider that
 * never names its model costs nothing after them.
 */
export class StreamModelSniffer {
  model: string | undefined;
  private looked = 0;

  observe(event: SseEvent): void {
    if (this.model !== undefined || this.looked >= 4 || event.data === '' || event.data === '[DONE]') return;
    this.looked++;
    try {
      const data = JSON.parse(event.data) as { model?: unknown; message?: { model?: unknown } };
      this.model = answeredModel(data) ?? answeredModel(data?.message);
    } catch {
      /* not JSON: the stream rewriter deals with it */
    }
  }
}

export interface LineageFields {
  readonly modelAnswered?: string;
  readonly artifactDigest?: string;
}

interface Artifact {
  readonly model: string;
  readonly upstream?: string | undefined;
  readonly path: string;
  readonly digest: string;
}

export class LineageError extends Error {
  override name = 'LineageError';
}

/** What the proxy asks per request: lineage fields for the audit event, and MLflow pins. */
export class ModelLineage {
  /** No artifacts, no pins: records the answered model id only. */
  static readonly none = new ModelLineage([], undefined);

  private constructor(
    private readonly artifacts: readonly Artifact[],
    readonly pins: MlflowPins | undefined,
  ) {}

  /**
   * Reads artifact digests from the integrity manifest (already verified at start-up, so its digests
   * are the signed ones) and resolves MLflow pins once. Throws `LineageError` when an artifact is
   * configured without a manifest or is not in it.
   */
  static async start(
    config: LineageConfig | undefined,
    integrity: IntegrityConfig | undefined,
    baseDir: string,
    options: { log: Logger; audit: Pick<AuditSink, 'record'>; env?: NodeJS.ProcessEnv },
  ): Promise<ModelLineage> {
    const artifacts: Artifact[] = [];
    if (config && config.artifacts.length > 0) {
      if (!integrity?.manifest) throw new LineageError('lineage.artifacts needs integrity.manifest: the digests come from the signed manifest');
      const file = isAbsolute(integrity.manifest) ? integrity.manifest : resolve(baseDir, integrity.manifest);
      let files: Record<string, { sha256?: unknown }>;
      try {
        files = (JSON.parse(await readFile(file, 'utf8')) as { manifest: { files: Record<string, { sha256?: unknown }> } }).manifest.files;
      } catch {
        throw new LineageError(`lineage.artifacts: the integrity manifest ${file} cannot be read`);
      }
      for (const a of config.artifacts) {
        const sha = files?.[a.path]?.sha256;
        if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) throw new LineageError(`lineage.artifacts: "${a.path}" is not in the integrity manifest`);
        artifacts.push({ model: a.model, upstream: a.upstream, path: a.path, digest: `sha256:${sha}` });
      }
    }
    const pins = config?.mlflow ? await MlflowPins.start(config.mlflow, options) : undefined;
    return new ModelLineage(artifacts, pins);
  }

  /** `modelAnswered` and `artifactDigest` for an `upstream.response` event. */
  fields(upstream: string, requested: string, answered: string | undefined): LineageFields {
    const model = answered ?? requested;
    const inId = DIGEST_IN_ID.exec(model)?.[1];
    const artifact = this.artifacts.find((a) => (a.upstream === undefined || a.upstream === upstream) && (globMatch(a.model, model) || globMatch(a.model, requested)));
    const digest = artifact?.digest ?? (inId ? `sha256:${inId.toLowerCase()}` : undefined);
    return { ...(answered !== undefined ? { modelAnswered: answered } : {}), ...(digest ? { artifactDigest: digest } : {}) };
  }

  /** An MLflow pin's verdict on a requested model, or undefined when no pin governs it. */
  pinCheck(model: string): PinCheck | undefined {
    return this.pins?.check(model);
  }

  close(): void {
    this.pins?.close();
  }
}

export type { MlflowConfig };
