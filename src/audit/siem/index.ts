import { isAbsolute, resolve } from 'node:path';
import { resolveSecret } from '../../secrets/secret-ref.js';
import { type SiemTarget, siemTargetName } from '../config.js';
import { DatadogLogsForwarder } from './datadog.js';
import type { SiemForwarder } from './forwarder.js';
import { HttpJsonLinesForwarder } from './http-jsonl.js';
import { FileSpool, type ForwardQueue, MemoryQueue } from './queue.js';
import { SplunkHecForwarder } from './splunk.js';
import { SyslogForwarder } from './syslog.js';

export { DatadogLogsForwarder, datadogIntakeUrl, type DatadogLogsOptions } from './datadog.js';
export { eventToSyslog5424, recordToJson, type SiemEvent, toSyslog5424 } from './format.js';
export { QueueForwarder, RetryableSiemError, type SiemForwarder, type SiemStats } from './forwarder.js';
export { HttpJsonLinesForwarder } from './http-jsonl.js';
export { FileSpool, type ForwardQueue, MemoryQueue } from './queue.js';
export { SPLUNK_HEC_PATH, SplunkHecForwarder, type SplunkHecOptions } from './splunk.js';
export { SyslogForwarder, type SyslogTarget } from './syslog.js';

export interface SiemSetupOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Folder that relative spool paths are resolved against (the config file's folder). */
  readonly baseDir?: string;
  /** Where forwarders report errors, drops and dead letters (one line each, never a credential). */
  readonly log?: (message: string) => void;
}

/** Builds one forwarder from its `audit.siem[i]` entry, resolving its secret references. */
export async function createSiemForwarder(target: SiemTarget, index: number, options: SiemSetupOptions = {}): Promise<SiemForwarder> {
  const log = options.log;
  const name = `audit.siem[${index}] ${siemTargetName(target)}`;
  if (target.type === 'syslog') return new SyslogForwarder(target, { ...(log ? { log } : {}), name });
  if (target.type === 'http') {
    const headers: Record<string, string> = {};
    for (const [header, ref] of Object.entries(target.headers)) headers[header] = await resolveSecret(ref, options.env);
    return new HttpJsonLinesForwarder(target.url, headers, { ...target, ...(log ? { log } : {}), name });
  }
  const queue: ForwardQueue =
    target.spool === false
      ? new MemoryQueue(10_000)
      : new FileSpool(spoolPath(target.spool.path ?? `clawguard-siem-${siemTargetName(target)}.spool`, options.baseDir), target.spool.maxBytes, (m) => log?.(`${name}: ${m}`));
  const common = {
    ...(target.caFile ? { caFile: target.caFile } : {}),
    tlsVerify: target.tlsVerify,
    flushIntervalMs: target.flushIntervalMs,
    timeoutMs: target.timeoutMs,
    initialBackoffMs: target.initialBackoffMs,
    maxBackoffMs: target.maxBackoffMs,
    batchSize: target.batchSize,
    batchBytes: target.batchBytes,
    queue,
    ...(log ? { log } : {}),
    name,
  };
  try {
    if (target.type === 'splunk') {
      const token = await resolveSecret(target.token, options.env);
      return new SplunkHecForwarder({ ...common, url: target.url, token, source: target.source, sourcetype: target.sourcetype, ...(target.index ? { index: target.index } : {}), ...(target.host ? { host: target.host } : {}) });
    }
    const apiKey = await resolveSecret(target.apiKey, options.env);
    return new DatadogLogsForwarder({
      ...common,
      apiKey,
      site: target.site,
      ...(target.url ? { url: target.url } : {}),
      service: target.service,
      source: target.source,
      tags: target.tags,
      compress: target.compress,
      ...(target.hostname ? { hostname: target.hostname } : {}),
    });
  } catch (error) {
    queue.close();
    throw error;
  }
}

function spoolPath(path: string, baseDir: string | undefined): string {
  return isAbsolute(path) ? path : resolve(baseDir ?? process.cwd(), path);
}
