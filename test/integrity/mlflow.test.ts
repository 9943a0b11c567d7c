import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/audit/events.js';
import { type MlflowConfig, mlflowConfigSchema, MlflowPins } from '../../src/integrity/mlflow.js';
import { type FakeMlflow, startFakeMlflow } from './mlflow-fake.js';

/** MLflow registry pins against a local fake of MLflow's documented model-registry REST API. */
let mlflow: FakeMlflow;
const events: AuditEvent[] = [];
const audit = { record: (e: AuditEvent) => void events.push(e) };
const logLines: string[] = [];
const log = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
const open: MlflowPins[] = [];

async function pins(overrides: Partial<MlflowConfig> & { pins: MlflowConfig['pins'] }): Promise<MlflowPins> {
  const config = mlflowConfigSchema.parse({ url: mlflow.url, token: 'env:MLFLOW_TEST_TOKEN', refreshSeconds: 3600, ...overrides });
  const p = await MlflowPins.start(config, { log, audit, env: { MLFLOW_TEST_TOKEN: 'registry-token' } });
  open.push(p);
  return p;
}

beforeAll(async () => {
  mlflow = await startFakeMlflow('registry-token');
});
afterAll(() => mlflow.stop());
beforeEach(() => {
  mlflow.models.clear();
  mlflow.aliases.clear();
  mlflow.requests.length = 0;
  mlflow.override = undefined;
  events.length = 0;
  logLines.length = 0;
  mlflow.models.set(
    'support-llm',
    new Map([
      ['3', { stage: 'Archived', tags: { model_id: 'support-llm-v3' } }],
      ['4', { stage: 'Production', tags: { model_id: 'support-llm-v4' } }],
      ['5', { stage: 'Staging', tags: { model_id: 'support-llm-v5' } }],
    ]),
  );
  mlflow.aliases.set('support-llm@champion', '4');
});
afterEach(() => {
  for (const p of open.splice(0)) p.close();
});

describe('MLflow pins: resolution', () => {
  it('resolves versions, aliases, stages and latest to the model_id tag, with the bearer token', async () => {
    const p = await pins({
      pins: [{ uri: 'models:/support-llm/3' }, { uri: 'models:/support-llm@champion' }, { uri: 'models:/support-llm/Staging' }, { uri: 'models:/support-llm/latest' }],
    });
    expect(p.status).toEqual([
      { uri: 'models:/support-llm/3', version: '3', stage: 'Archived', modelId: 'support-llm-v3' },
      { uri: 'models:/support-llm@champion', version: '4', stage: 'Production', modelId: 'support-llm-v4' },
      { uri: 'models:/support-llm/Staging', version: '5', stage: 'Staging', modelId: 'support-llm-v5' },
      { uri: 'models:/support-llm/latest', version: '5', stage: 'Staging', modelId: 'support-llm-v5' },
    ]);
    expect(mlflow.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`)).toEqual([
      'GET /api/2.0/mlflow/model-versions/get',
      'GET /api/2.0/mlflow/registered-models/alias',
      'POST /api/2.0/mlflow/registered-models/get-latest-versions',
      'POST /api/2.0/mlflow/registered-models/get-latest-versions',
    ]);
    expect(mlflow.requests[0]!.url).toBe('/api/2.0/mlflow/model-versions/get?name=support-llm&version=3');
    expect(JSON.parse(mlflow.requests[2]!.body)).toEqual({ name: 'support-llm', stages: ['Staging'] });
    expect(mlflow.requests.every((r) => r.authorization === 'Bearer registry-token')).toBe(true);
    const resolved = events.filter((e) => e.type === 'system' && e.action === 'model.pin.resolved');
    expect(resolved).toHaveLength(4);
  });

  it('a governed model is allowed only when it is the resolved id; ungoverned models are left to the other rules', async () => {
    const p = await pins({ pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }, { uri: 'models:/support-llm/3' }] });
    expect(p.check('support-llm-v4')).toEqual({});
    expect(p.check('support-llm-v5')?.refused).toBe('model "support-llm-v5" is pinned by models:/support-llm@champion in MLflow, which allows "support-llm-v4" (version 4) only');
    // The pin without a glob allows its own id only: support-llm-v3 is allowed through it although the glob pin refuses it.
    expect(p.check('support-llm-v3')).toEqual({});
    expect(p.check('gpt-4o-2024-08-06')).toBeUndefined();
  });
});

describe('MLflow pins: changes', () => {
  it('follow: an alias moved to another version is noticed, logged, audited and followed', async () => {
    const p = await pins({ onChange: 'follow', pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
    mlflow.aliases.set('support-llm@champion', '5');
    await p.refresh();
    expect(p.check('support-llm-v5')).toEqual({});
    expect(p.check('support-llm-v4')?.refused).toMatch(/allows "support-llm-v5" \(version 5\) only/);
    const changed = events.find((e) => e.type === 'system' && e.action === 'model.pin.changed');
    expect(changed).toMatchObject({
      detail: { uri: 'models:/support-llm@champion', fromVersion: '4', toVersion: '5', fromStage: 'Production', toStage: 'Staging', fromModel: 'support-llm-v4', toModel: 'support-llm-v5', applied: 'followed' },
    });
    expect(logLines.join('')).toMatch(/MLflow pin changed/);
    // No change, no new event.
    await p.refresh();
    expect(events.filter((e) => e.type === 'system' && e.action === 'model.pin.changed')).toHaveLength(1);
  });

  it('refuse: a moved pin refuses every model it governs until the registry goes back', async () => {
    const p = await pins({ onChange: 'refuse', pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
    mlflow.aliases.set('support-llm@champion', '5');
    await p.refresh();
    expect(p.check('support-llm-v4')?.refused).toMatch(/the pin is refused: it moved from version 4 \(Production, "support-llm-v4"\) to version 5 \(Staging, "support-llm-v5"\) and onChange is "refuse"/);
    expect(p.check('support-llm-v5')?.refused).toMatch(/the pin is refused/);
    expect(events.filter((e) => e.type === 'system' && e.action === 'model.pin.changed').at(-1)).toMatchObject({ detail: { applied: 'refused' } });
    mlflow.aliases.set('support-llm@champion', '4');
    await p.refresh();
    expect(p.check('support-llm-v4')).toEqual({});
    expect(events.filter((e) => e.type === 'system' && e.action === 'model.pin.changed').at(-1)).toMatchObject({ detail: { applied: 'restored' } });
  });

  it('a stage transition of a pinned version is noticed', async () => {
    const p = await pins({ onChange: 'refuse', pins: [{ uri: 'models:/support-llm/4', model: 'support-llm*' }] });
    mlflow.models.get('support-llm')!.get('4')!.stage = 'Archived';
    await p.refresh();
    expect(events.find((e) => e.type === 'system' && e.action === 'model.pin.changed')).toMatchObject({ detail: { fromStage: 'Production', toStage: 'Archived', fromVersion: '4', toVersion: '4', applied: 'refused' } });
    expect(p.check('support-llm-v4')?.refused).toMatch(/refused/);
  });
});

describe('MLflow pins: failures fail closed', () => {
  it('registry down at start: governed models are refused, naming the pin; it recovers on the next refresh', async () => {
    await mlflow.stop();
    try {
      const p = await pins({ pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
      expect(p.check('support-llm-v4')?.refused).toBe('model "support-llm-v4" is pinned by models:/support-llm@champion in MLflow, which could not be resolved (the MLflow registry could not be reached)');
      expect(events.find((e) => e.type === 'system' && e.action === 'model.pin.unresolved')).toBeDefined();
      await mlflow.restart();
      await p.refresh();
      expect(p.check('support-llm-v4')).toEqual({});
    } finally {
      await mlflow.restart().catch(() => undefined);
    }
  });

  it('registry down after resolving: the last answer holds for maxStaleSeconds, then the pin refuses', async () => {
    const p = await pins({ refreshSeconds: 1, maxStaleSeconds: 2, pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
    mlflow.override = { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE"}' };
    await p.refresh();
    expect(p.check('support-llm-v4')).toEqual({});
    expect(p.check('support-llm-v4', Date.now() + 3100)?.refused).toMatch(/the registry has not answered since .* \(the MLflow registry answered 503 TEMPORARILY_UNAVAILABLE\)/);
  });

  it('bad token, malformed answers, a missing tag, a version not READY, a deleted alias: refused with the reason', async () => {
    const cases: [() => void, RegExp][] = [
      [() => (mlflow.override = { status: 403, body: '{"error_code":"PERMISSION_DENIED"}' }), /the MLflow registry refused the credentials \(403\)/],
      [() => (mlflow.override = { status: 200, body: '{"model_version": ' }), /not JSON/],
      [() => (mlflow.override = { status: 200, body: '{"model_version": {"name": "support-llm"}}' }), /malformed answer \(model_version\)/],
      [() => mlflow.models.get('support-llm')!.set('4', { stage: 'Production', tags: {} }), /version 4 has no "model_id" tag naming the model id/],
      [() => mlflow.models.get('support-llm')!.set('4', { stage: 'Production', status: 'PENDING_REGISTRATION', tags: { model_id: 'support-llm-v4' } }), /version 4 is PENDING_REGISTRATION, not READY/],
      [() => mlflow.aliases.delete('support-llm@champion'), /no such model, version or alias in the registry \(RESOURCE_DOES_NOT_EXIST\)/],
    ];
    for (const [breakIt, why] of cases) {
      mlflow.override = undefined;
      mlflow.models.get('support-llm')!.set('4', { stage: 'Production', tags: { model_id: 'support-llm-v4' } });
      mlflow.aliases.set('support-llm@champion', '4');
      breakIt();
      const p = await pins({ pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
      expect(p.check('support-llm-v4')?.refused, String(why)).toMatch(why);
      p.close();
    }
  });

  it('a definitive answer (alias deleted) refuses at once, without waiting for the stale window', async () => {
    const p = await pins({ maxStaleSeconds: 3600, pins: [{ uri: 'models:/support-llm@champion', model: 'support-llm*' }] });
    mlflow.aliases.delete('support-llm@champion');
    await p.refresh();
    expect(p.check('support-llm-v4')?.refused).toMatch(/the pin is refused: no such model, version or alias/);
  });

  it('config: only models:/ URIs', () => {
    for (const bad of ['runs:/abc/model', 'models:/x', 'models:/x/1/2', 'models:/x@']) {
      expect(mlflowConfigSchema.safeParse({ url: 'http://127.0.0.1:1', pins: [{ uri: bad }] }).success, bad).toBe(false);
    }
  });
});
