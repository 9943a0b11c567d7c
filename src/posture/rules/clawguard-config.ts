import { basename } from 'node:path';
import { isIndirectValue, isLoopbackHost, isSecretRef, urlHost } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';
import { get, isRecord, parseYaml, type YamlDoc, type YamlPath } from '../yaml-source.js';

/** Whether a parsed YAML document looks like ClawGuard's config (the schema grows; only its anchors are checked). */
export function isClawGuardConfig(path: string, value: unknown): boolean {
  if (!isRecord(value)) return false;
  if (/^clawguard[^/]*\.ya?ml$/i.test(basename(path)) && (value.server !== undefined || value.upstreams !== undefined)) return true;
  return Array.isArray(value.upstreams) && (value.routes !== undefined || value.server !== undefined || value.guards !== undefined);
}

const SECRET_KEY = /^(api[_-]?key|secret|client[_-]?secret|secret[_-]?key|password|passwd|token|bearer[_-]?token|encryption[_-]?key|hmac[_-]?key|vault[_-]?key|private[_-]?key)$/i;
/** `postgres://user:password@host`, `rediss://:password@host`: a credential inside a URL. */
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]+@/i;

function walkLiteralSecrets(node: unknown, path: (string | number)[], out: (string | number)[][]): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkLiteralSecrets(item, [...path, i], out));
    return;
  }
  if (!isRecord(node)) return;
  for (const [key, value] of Object.entries(node)) {
    const here = [...path, key];
    const literal = typeof value === 'string' && !isSecretRef(value) && !isIndirectValue(value);
    if (literal && (SECRET_KEY.test(key) || URL_WITH_PASSWORD.test(value))) out.push(here);
    else walkLiteralSecrets(value, here, out);
  }
}

function hostListens(host: unknown): host is string {
  return typeof host === 'string' && !isLoopbackHost(host);
}

export function scanClawGuardConfig(file: SourceFile, doc: YamlDoc): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const cfg = doc.value;
  const at = (path: YamlPath) => ({ line: doc.lineOf(path) });

  for (const section of ['server', 'admin'] as const) {
    const host = get(cfg, [section, 'host']);
    const tls = get(cfg, [section, 'tls']);
    const hasTls = isRecord(tls) && tls.enabled !== false && (tls.certFile ?? tls.cert) !== undefined && (tls.keyFile ?? tls.key) !== undefined;
    if (hostListens(host) && !hasTls) {
      findings.push(report('CG-CFG-001', file.path, `${section}.host ${host} is reachable beyond loopback and ${section}.tls is not configured`, at([section, 'host'])));
    }
  }
  if (get(cfg, ['auth', 'enabled']) === false) {
    findings.push(report('CG-CFG-002', file.path, 'auth.enabled is false', at(['auth', 'enabled'])));
  }

  const guards = get(cfg, ['guards']);
  if (isRecord(guards)) {
    for (const [family, conf] of Object.entries(guards)) {
      if (isRecord(conf) && conf.failOpen === true) {
        findings.push(report('CG-CFG-003', file.path, `guard ${family} fails open`, at(['guards', family, 'failOpen'])));
      }
    }
  } else if (Array.isArray(guards)) {
    guards.forEach((conf, i) => {
      if (isRecord(conf) && conf.failOpen === true) {
        findings.push(report('CG-CFG-003', file.path, `guard ${String(conf.id ?? conf.family ?? i)} fails open`, at(['guards', i, 'failOpen'])));
      }
    });
  }

  const secrets: (string | number)[][] = [];
  walkLiteralSecrets(cfg, [], secrets);
  for (const path of secrets) {
    const dotted = path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '');
    findings.push(report('CG-CFG-004', file.path, `${dotted} is a literal, not a secret reference`, at(path)));
  }

  const upstreams = get(cfg, ['upstreams']);
  if (Array.isArray(upstreams)) {
    upstreams.forEach((upstream, i) => {
      if (!isRecord(upstream)) return;
      const name = String(upstream.name ?? i);
      if (get(upstream, ['tls', 'rejectUnauthorized']) === false) {
        findings.push(report('CG-CFG-005', file.path, `upstream ${name} disables TLS verification`, at(['upstreams', i, 'tls', 'rejectUnauthorized'])));
      }
      if (typeof upstream.url === 'string' && /^http:\/\//i.test(upstream.url)) {
        const host = urlHost(upstream.url);
        if (host && !isLoopbackHost(host)) {
          findings.push(report('CG-CFG-006', file.path, `upstream ${name} uses plain HTTP to ${host}`, at(['upstreams', i, 'url'])));
        }
      }
    });
  }

  const audit = get(cfg, ['audit']);
  if (isRecord(audit) && audit.enabled !== false) {
    const payloads = typeof audit.payloads === 'string' ? audit.payloads.toLowerCase() : undefined;
    if (payloads === 'redacted' || payloads === 'clear' || payloads === 'plain' || payloads === 'plaintext') {
      findings.push(report('CG-CFG-007', file.path, `audit.payloads is ${payloads}: prompts and responses are kept without encryption`, at(['audit', 'payloads'])));
    } else if (audit.encrypt === false || audit.encryption === false || get(audit, ['encryption', 'enabled']) === false) {
      findings.push(report('CG-CFG-007', file.path, 'audit payload encryption is turned off', at(['audit'])));
    }
  }

  const egress = get(cfg, ['egress']);
  if (isRecord(egress) && egress.enabled === true) {
    if (egress.allowPrivate === true) {
      findings.push(report('CG-CFG-010', file.path, 'egress.allowPrivate is true: tools can reach private and link-local addresses', at(['egress', 'allowPrivate'])));
    }
    const egressHost = typeof egress.host === 'string' ? egress.host : '127.0.0.1';
    if (egress.requireAuth === false && !isLoopbackHost(egressHost)) {
      findings.push(report('CG-CFG-011', file.path, `egress proxy on ${egressHost} accepts unauthenticated clients`, at(['egress', 'requireAuth'])));
    }
  }

  // Defaults as in ClawGuard's config schema: proxy 127.0.0.1:8080, admin 127.0.0.1:8081.
  const serverPort = get(cfg, ['server', 'port']) ?? 8080;
  const adminPort = get(cfg, ['admin', 'port']) ?? 8081;
  const serverHost = get(cfg, ['server', 'host']) ?? '127.0.0.1';
  const adminHost = get(cfg, ['admin', 'host']) ?? '127.0.0.1';
  if (get(cfg, ['admin', 'enabled']) !== false && adminPort !== 0 && adminPort === serverPort && adminHost === serverHost) {
    findings.push(report('CG-CFG-008', file.path, `admin.port ${String(adminPort)} is also the proxy port`, at(['admin', 'port'])));
  }
  const rawAdminHost = get(cfg, ['admin', 'host']);
  if (hostListens(rawAdminHost)) {
    findings.push(report('CG-CFG-009', file.path, `admin.host ${rawAdminHost} is not loopback`, at(['admin', 'host'])));
  }
  return findings;
}

/**
 * ClawGuard configs shipped inside a Kubernetes ConfigMap (`data.<name>.yaml`). Their lines point
 * into the manifest: the data key's line plus the line inside the block.
 */
export function embeddedClawGuardConfigs(manifest: YamlDoc): { key: string; doc: YamlDoc }[] {
  const obj = manifest.value;
  if (!isRecord(obj) || obj.kind !== 'ConfigMap' || !isRecord(obj.data)) return [];
  const out: { key: string; doc: YamlDoc }[] = [];
  for (const [key, text] of Object.entries(obj.data)) {
    if (typeof text !== 'string' || !/\.ya?ml$/i.test(key)) continue;
    const inner = parseYaml(text).docs.find((d) => isClawGuardConfig(key, d.value));
    if (!inner) continue;
    const keyLine = manifest.lineOf(['data', key]) ?? 0;
    out.push({
      key,
      doc: {
        value: inner.value,
        lineOf: (path) => {
          const line = inner.lineOf(path);
          return line === undefined ? undefined : keyLine + line;
        },
      },
    });
  }
  return out;
}
