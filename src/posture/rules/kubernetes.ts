import { isCredentialName, isIndirectValue } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';
import { get, isRecord, type YamlDoc, type YamlPath } from '../yaml-source.js';

export interface KubernetesFile {
  readonly file: SourceFile;
  readonly docs: readonly YamlDoc[];
}

const POD_SPEC_PATH: Record<string, YamlPath> = {
  Pod: ['spec'],
  Deployment: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** Whether a YAML document is a Kubernetes object (has apiVersion and kind). */
export function isKubernetesObject(value: unknown): boolean {
  return isRecord(value) && typeof value.apiVersion === 'string' && typeof value.kind === 'string';
}

function namespaceOf(obj: Record<string, unknown>): string {
  const ns = get(obj, ['metadata', 'namespace']);
  return typeof ns === 'string' && ns !== '' ? ns : 'default';
}

function nameOf(obj: Record<string, unknown>): string {
  const name = get(obj, ['metadata', 'name']);
  return typeof name === 'string' ? name : '<unnamed>';
}

function asList(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function imageProblem(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const ref = image.split('@')[0] ?? image;
  const tag = ref.lastIndexOf(':') > ref.lastIndexOf('/') ? ref.slice(ref.lastIndexOf(':') + 1) : undefined;
  if (!tag) return `image ${image} has no tag or digest`;
  if (tag === 'latest') return `image ${image} uses the latest tag`;
  return `image ${image} is not pinned by digest`;
}

export function scanKubernetes(files: readonly KubernetesFile[]): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const policyNamespaces = new Set<string>();
  const saNoAutomount = new Set<string>();
  for (const { docs } of files) {
    for (const doc of docs) {
      if (!isRecord(doc.value)) continue;
      if (doc.value.kind === 'NetworkPolicy') policyNamespaces.add(namespaceOf(doc.value));
      if (doc.value.kind === 'ServiceAccount' && doc.value.automountServiceAccountToken === false) {
        saNoAutomount.add(`${namespaceOf(doc.value)}/${nameOf(doc.value)}`);
      }
    }
  }

  const reportedNamespaces = new Set<string>();
  for (const { file, docs } of files) {
    for (const doc of docs) {
      const obj = doc.value;
      if (!isRecord(obj) || typeof obj.kind !== 'string') continue;
      const specPath = POD_SPEC_PATH[obj.kind];
      if (!specPath) continue;
      const spec = get(obj, specPath);
      if (!isRecord(spec)) continue;
      const workload = `${obj.kind}/${nameOf(obj)}`;
      const ns = namespaceOf(obj);
      const line = (...rest: YamlPath) => ({ line: doc.lineOf([...specPath, ...rest]) });
      const podSc = isRecord(spec.securityContext) ? spec.securityContext : {};

      for (const hostKey of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
        if (spec[hostKey] === true) findings.push(report('CG-K8S-006', file.path, `${workload} sets ${hostKey}: true`, line(hostKey)));
      }
      asList(spec.volumes).forEach((volume, i) => {
        if (volume.hostPath !== undefined) {
          findings.push(report('CG-K8S-007', file.path, `${workload} mounts hostPath volume ${String(volume.name ?? i)}`, line('volumes', i)));
        }
      });
      const sa = typeof spec.serviceAccountName === 'string' ? spec.serviceAccountName : 'default';
      if (spec.automountServiceAccountToken !== false && !saNoAutomount.has(`${ns}/${sa}`)) {
        findings.push(report('CG-K8S-011', file.path, `${workload} mounts a service account token (automountServiceAccountToken is not false)`, line()));
      }
      if (!policyNamespaces.has(ns) && !reportedNamespaces.has(ns)) {
        reportedNamespaces.add(ns);
        findings.push(report('CG-K8S-010', file.path, `no NetworkPolicy among the scanned manifests covers namespace "${ns}" (${workload})`, { line: doc.lineOf(['metadata']) }));
      }

      const seccompOk = (sc: unknown) => ['RuntimeDefault', 'Localhost'].includes(String(get(sc, ['seccompProfile', 'type'])));
      const podSeccomp = seccompOk(podSc) ? 'ok' : get(podSc, ['seccompProfile', 'type']) === 'Unconfined' ? 'unconfined' : 'unset';

      for (const group of ['initContainers', 'containers'] as const) {
        asList(spec[group]).forEach((container, i) => {
          const cname = `${workload} container ${String(container.name ?? i)}`;
          const sc = isRecord(container.securityContext) ? container.securityContext : {};
          const at = (...rest: YamlPath) => line(group, i, ...rest);
          const runAsUser = sc.runAsUser ?? podSc.runAsUser;
          const runAsNonRoot = sc.runAsNonRoot ?? podSc.runAsNonRoot;
          if (runAsUser === 0) {
            findings.push(report('CG-K8S-001', file.path, `${cname} sets runAsUser: 0`, at('securityContext')));
          } else if (runAsNonRoot !== true && !(typeof runAsUser === 'number' && runAsUser > 0)) {
            findings.push(report('CG-K8S-001', file.path, `${cname} does not set runAsNonRoot: true or a non-zero runAsUser`, at()));
          }
          if (sc.readOnlyRootFilesystem !== true) {
            findings.push(report('CG-K8S-002', file.path, `${cname} does not set readOnlyRootFilesystem: true`, at()));
          }
          if (sc.allowPrivilegeEscalation !== false) {
            findings.push(report('CG-K8S-003', file.path, `${cname} does not set allowPrivilegeEscalation: false`, at()));
          }
          const containerSeccomp = get(sc, ['seccompProfile', 'type']);
          if (containerSeccomp === 'Unconfined' || (!seccompOk(sc) && podSeccomp !== 'ok')) {
            findings.push(report('CG-K8S-013', file.path, `${cname} runs without a seccomp profile`, at()));
          }
          if (sc.privileged === true) findings.push(report('CG-K8S-005', file.path, `${cname} is privileged`, at('securityContext', 'privileged')));
          const caps = isRecord(sc.capabilities) ? sc.capabilities : {};
          const drop = Array.isArray(caps.drop) ? caps.drop.map((c) => String(c).toUpperCase()) : [];
          const add = Array.isArray(caps.add) ? caps.add.map((c) => String(c).toUpperCase().replace(/^CAP_/, '')) : [];
          const extra = add.filter((c) => c !== 'NET_BIND_SERVICE');
          if (!drop.includes('ALL')) {
            findings.push(report('CG-K8S-004', file.path, `${cname} does not drop ALL capabilities`, at()));
          } else if (extra.length > 0) {
            findings.push(report('CG-K8S-004', file.path, `${cname} adds capabilities ${extra.join(', ')}`, at('securityContext', 'capabilities', 'add')));
          }
          const limits = get(container, ['resources', 'limits']);
          const missing = ['cpu', 'memory'].filter((r) => !isRecord(limits) || limits[r] === undefined);
          if (missing.length > 0) {
            findings.push(report('CG-K8S-008', file.path, `${cname} has no ${missing.join(' or ')} limit`, at()));
          }
          asList(container.env).forEach((env, j) => {
            const name = typeof env.name === 'string' ? env.name : '';
            if (isCredentialName(name) && typeof env.value === 'string' && !isIndirectValue(env.value)) {
              findings.push(report('CG-K8S-009', file.path, `${cname} sets ${name} as a literal value`, at('env', j)));
            }
          });
          if (typeof container.image === 'string') {
            const problem = imageProblem(container.image);
            if (problem) findings.push(report('CG-K8S-012', file.path, `${cname}: ${problem}`, at('image')));
          }
        });
      }
    }
  }
  return findings;
}
