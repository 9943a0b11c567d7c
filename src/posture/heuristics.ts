/** Small judgements several scanners share. */

const CREDENTIAL_NAME = /(pass(word|wd|phrase)?|secret|token|api[_-]?key|apikey|private[_-]?key|access[_-]?key|credential|auth[_-]?key|signing[_-]?key|client[_-]?secret)/i;
/** Names that contain a credential word but hold no secret. */
const CREDENTIAL_NAME_EXEMPT = /(_file|_path|_url|_uri|_dir|_ref|_name|_id|_header|_ttl|_length|_type|_mode|_algorithm|^no_|_env)$/i;

/** Whether an environment-variable-like name suggests a credential (`DB_PASSWORD`, `apiKey`). */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name) && !CREDENTIAL_NAME_EXEMPT.test(name);
}

/** Hosts that only the local machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  return /^127(\.\d{1,3}){3}$/.test(h);
}

/** Extracts the host of a URL, or undefined when it does not parse. */
export function urlHost(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/** Whether a string is a placeholder/substitution rather than a literal value. */
export function isIndirectValue(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (/^\$\{[^}]+\}$/.test(v) || /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return true;
  if (/^\{\{.*\}\}$/.test(v)) return true;
  return false;
}

/** ClawGuard secret references: `env:NAME`, `file:/path`, `vault:…`. */
export function isSecretRef(value: string): boolean {
  return /^(env|file|vault|aws-sm|gcp-sm|azure-kv):\S+$/.test(value.trim());
}

/** 1-based line number of a UTF-16 offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
