import { basename } from 'node:path';
import { isCredentialName, isIndirectValue } from '../heuristics.js';
import { report } from '../rules.js';
import type { PostureFinding, SourceFile } from '../types.js';

interface Instruction {
  readonly keyword: string;
  /** Everything after the keyword, continuations joined with a space. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

interface Stage {
  readonly from: Instruction;
  readonly image: string;
  readonly alias?: string;
  readonly instructions: Instruction[];
}

export function isDockerfileName(path: string): boolean {
  const name = basename(path);
  return /^(Dockerfile|Containerfile)(\..+)?$/i.test(name) || /\.(dockerfile|containerfile)$/i.test(name);
}

/**
 * Splits a Dockerfile into instructions, joining `\` continuations, folding heredoc bodies
 * (`RUN <<EOF … EOF`) into their instruction, and dropping comments.
 */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const out: Instruction[] = [];
  let buffer = '';
  let start = 0;
  const flush = () => {
    const match = /^(\S+)\s*([\s\S]*)$/.exec(buffer.trim());
    if (match) out.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: start });
    buffer = '';
  };
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (buffer === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (buffer !== '' && trimmed.startsWith('#')) continue;
    if (buffer === '') start = i + 1;
    if (trimmed.endsWith('\\')) {
      buffer += `${trimmed.slice(0, -1)} `;
      continue;
    }
    buffer += trimmed;
    const heredocs = [...buffer.matchAll(/<<-?\s*["']?([A-Za-z_][A-Za-z0-9_]*)["']?/g)].map((m) => m[1] ?? '');
    for (const terminator of heredocs) {
      while (i + 1 < lines.length && (lines[i + 1] ?? '').trim() !== terminator) buffer += `\n${lines[++i] ?? ''}`;
      i++;
    }
    flush();
  }
  if (buffer.trim() !== '') flush();
  return out;
}

function words(args: string): string[] {
  return args.split(/\s+/).filter((w) => w !== '');
}

/** Source paths of COPY/ADD in shell or JSON form, flags removed. */
function copySources(args: string): string[] {
  let parts: string[];
  if (args.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(args);
      parts = Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      parts = words(args);
    }
  } else {
    parts = words(args);
  }
  const nonFlags = parts.filter((p) => !p.startsWith('--'));
  return nonFlags.slice(0, -1);
}

/** Instructions before the first FROM (global ARGs) form a prelude stage with no image. */
function splitStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  const prelude: Stage = { from: { keyword: 'FROM', args: '', line: 1 }, image: '', instructions: [] };
  for (const ins of instructions) {
    if (stages.length === 0 && ins.keyword !== 'FROM') {
      prelude.instructions.push(ins);
      continue;
    }
    if (ins.keyword === 'FROM') {
      const w = words(ins.args).filter((x) => !x.startsWith('--'));
      const asIndex = w.findIndex((x) => x.toUpperCase() === 'AS');
      const alias = asIndex >= 0 ? w[asIndex + 1] : undefined;
      stages.push({ from: ins, image: w[0] ?? '', ...(alias ? { alias } : {}), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return prelude.instructions.length > 0 ? [prelude, ...stages] : stages;
}

/** `name[:tag][@digest]` → tag and digest, with registry ports (`host:5000/x`) handled. */
function imageParts(image: string): { tag?: string; digest?: string } {
  const [ref, digest] = image.split('@', 2) as [string, string | undefined];
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const tag = colon >= 0 ? ref.slice(colon + 1) : undefined;
  return { ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

const SECRET_FILE = [
  /^\.env(\..*)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)$/i,
  /^\.(npmrc|pypirc|netrc|git-credentials|htpasswd)$/i,
  /^credentials(\..*)?$/i,
  /^\.(aws|ssh|gnupg|docker)$/i,
];

function looksLikeSecretFile(source: string): boolean {
  const cleaned = source.replace(/\/+$/, '');
  const segments = cleaned.split('/');
  return segments.some((segment) => SECRET_FILE.some((re) => re.test(segment)));
}

/** ENV `K=V K2=V2` or legacy `ENV K V`. */
function envPairs(args: string): [string, string][] {
  if (/^[^\s=]+\s+[^=]*$/.test(args) && !args.includes('=')) {
    const [key = '', ...rest] = words(args);
    return [[key, rest.join(' ')]];
  }
  const pairs: [string, string][] = [];
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (let m = re.exec(args); m; m = re.exec(args)) {
    pairs.push([m[1] ?? '', (m[2] ?? '').replace(/^["']|["']$/g, '')]);
  }
  return pairs;
}

const FULL_IMAGES = new Set(['debian', 'ubuntu', 'centos', 'fedora', 'rockylinux', 'almalinux', 'amazonlinux', 'oraclelinux', 'node', 'python', 'ruby', 'golang', 'openjdk', 'eclipse-temurin', 'php', 'perl', 'rust', 'buildpack-deps']);
const MINIMAL_HINT = /slim|alpine|distroless|chiseled|minimal|micro|scratch|wolfi/i;

/** Whether an official full-distribution or language image is used as is. Unknown images get the benefit of the doubt. */
function notMinimal(image: string): boolean {
  if (MINIMAL_HINT.test(image)) return false;
  const ref = image.split('@')[0] ?? image;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const path = colon >= 0 ? ref.slice(0, colon) : ref;
  const segments = path.split('/');
  const name = segments.at(-1) ?? '';
  const official = segments.length === 1 || (segments.length === 2 && segments[0] === 'library') || path.startsWith('docker.io/');
  return official && FULL_IMAGES.has(name.toLowerCase());
}

const PIPE_TO_SHELL = /\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(\S*\/)?(sh|bash|zsh|dash|ash|python3?|node|perl)\b/;

function cacheProblems(command: string): string[] {
  if (/--mount=type=cache/.test(command)) return [];
  const problems: string[] = [];
  if (/\bapt(-get)?\s+(-\S+\s+)*install\b/.test(command) && !/rm\s+-r?f?r?\s+\/var\/lib\/apt\/lists/.test(command)) {
    problems.push('apt-get install without `rm -rf /var/lib/apt/lists/*`');
  }
  if (/\bapk\s+(-\S+\s+)*add\b/.test(command) && !/--no-cache\b/.test(command)) problems.push('apk add without --no-cache');
  if (/\bpip3?\s+install\b/.test(command) && !/--no-cache-dir\b/.test(command)) problems.push('pip install without --no-cache-dir');
  if (/\b(yum|dnf|microdnf)\s+(-\S+\s+)*install\b/.test(command) && !/\b(yum|dnf|microdnf)\s+clean\s+all\b/.test(command)) {
    problems.push('yum/dnf install without `clean all`');
  }
  return problems;
}

export interface DockerfileContext {
  /** Whether a .dockerignore sits next to the Dockerfile; undefined when unknown (not read from disk). */
  readonly hasDockerignore?: boolean;
}

function copiesWholeContext(ins: Instruction): boolean {
  if (/--from=/.test(ins.args)) return false;
  return copySources(ins.args).some((s) => s === '.' || s === './' || s === '*');
}

export function scanDockerfile(file: SourceFile, context: DockerfileContext = {}): PostureFinding[] {
  const findings: PostureFinding[] = [];
  const instructions = parseDockerfile(file.text);
  const stages = splitStages(instructions);
  const stageNames = new Set<string>();
  const at = (ins: Instruction) => ({ line: ins.line });

  for (const stage of stages) {
    const image = stage.image;
    const lower = image.toLowerCase();
    if (image !== '' && lower !== 'scratch' && !stageNames.has(lower) && !image.includes('$')) {
      const { tag, digest } = imageParts(image);
      if (tag === 'latest' || (!tag && !digest)) {
        findings.push(report('CG-DKR-003', file.path, `FROM ${image} uses ${tag ? 'the latest tag' : 'no tag (latest)'}`, at(stage.from)));
      }
      if (!digest) findings.push(report('CG-DKR-002', file.path, `FROM ${image} is not pinned by digest`, at(stage.from)));
    }
    if (stage.alias) stageNames.add(stage.alias.toLowerCase());

    for (const ins of stage.instructions) {
      if (ins.keyword === 'ENV') {
        for (const [key, value] of envPairs(ins.args)) {
          if (isCredentialName(key) && !isIndirectValue(value)) {
            findings.push(report('CG-DKR-004', file.path, `ENV ${key} holds a literal credential`, at(ins)));
          }
        }
      } else if (ins.keyword === 'ARG') {
        const [decl = ''] = words(ins.args);
        const eq = decl.indexOf('=');
        const key = eq >= 0 ? decl.slice(0, eq) : decl;
        const value = eq >= 0 ? decl.slice(eq + 1).replace(/^["']|["']$/g, '') : undefined;
        if (!isCredentialName(key)) continue;
        if (value !== undefined && !isIndirectValue(value)) {
          findings.push(report('CG-DKR-004', file.path, `ARG ${key} has a literal credential default`, at(ins)));
        } else if (value === undefined || value === '') {
          findings.push(report('CG-DKR-005', file.path, `ARG ${key} carries a credential through the build history`, at(ins)));
        }
      } else if (ins.keyword === 'COPY' || ins.keyword === 'ADD') {
        const sources = copySources(ins.args);
        for (const source of sources) {
          if (looksLikeSecretFile(source)) {
            findings.push(report('CG-DKR-006', file.path, `${ins.keyword} copies ${source}, which usually holds credentials`, at(ins)));
          }
        }
        if (context.hasDockerignore === false && copiesWholeContext(ins)) {
          findings.push(report('CG-DKR-012', file.path, `${ins.keyword} copies the whole build context and there is no .dockerignore`, at(ins)));
        }
        if (ins.keyword === 'ADD' && !/--checksum=/.test(ins.args) && sources.some((s) => /^https?:\/\//i.test(s))) {
          findings.push(report('CG-DKR-008', file.path, 'ADD downloads a URL without --checksum', at(ins)));
        }
      } else if (ins.keyword === 'RUN') {
        if (PIPE_TO_SHELL.test(ins.args)) {
          findings.push(report('CG-DKR-007', file.path, 'RUN pipes a downloaded script into an interpreter', at(ins)));
        }
        for (const problem of cacheProblems(ins.args)) {
          findings.push(report('CG-DKR-010', file.path, `RUN: ${problem}`, at(ins)));
        }
      }
    }
  }

  const final = stages.filter((st) => st.image !== '').at(-1);
  if (final && !stageNames.has(final.image.toLowerCase()) && !final.image.includes('$') && notMinimal(final.image)) {
    findings.push(report('CG-DKR-011', file.path, `the runtime stage starts from ${final.image}, a full image`, at(final.from)));
  }
  if (final) {
    const users = final.instructions.filter((i) => i.keyword === 'USER');
    const lastUser = users.at(-1);
    if (!lastUser) {
      findings.push(report('CG-DKR-001', file.path, 'the final stage sets no USER, so it runs as root', at(final.from)));
    } else {
      const name = (words(lastUser.args)[0] ?? '').split(':')[0] ?? '';
      if (name === 'root' || name === '0') findings.push(report('CG-DKR-001', file.path, `USER ${name} runs the container as root`, at(lastUser)));
    }
    const health = final.instructions.filter((i) => i.keyword === 'HEALTHCHECK').at(-1);
    if (!health || /^NONE\b/i.test(health.args)) {
      findings.push(report('CG-DKR-009', file.path, 'the final stage has no HEALTHCHECK', health ? at(health) : at(final.from)));
    }
  }
  return findings;
}
