import type { Finding, GuardContext, Segment } from '../core/index.js';
import type { CleanRelease, StreamedToolCall, StreamInspector, TextRelease, ToolCallVerdict } from '../providers/adapter.js';
import { applySpanRewrites, type SpanRewrite } from '../transform/spans.js';
import type { StreamRestorer, PseudonymMap } from '../transform/vault.js';
import { type GuardEngine, toolRefusal } from './guard-engine.js';
import type { ApprovalService } from './approvals/approval-service.js';
import { ownValuesInToolCalls, restoreJsonText } from './pseudonyms.js';

/**
 * Sliding-window scanning of one streamed text channel. Only the last `holdback` characters (what
 * could still complete a finding) are held back; everything before is judged and released.
 * `context` keeps the tail of released text so a finding that straddles a release point is seen.
 */
class ChannelScanner {
  private held = '';
  private context = '';
  private total = 0;
  private whole: string[] = [];

  constructor(
    private readonly engine: GuardEngine,
    private readonly ctx: GuardContext,
    private readonly channel: string,
  ) {}

  async push(delta: string, final: boolean): Promise<TextRelease> {
    return (await this.scan(delta, final, false))!;
  }

  /**
   * Several deltas judged as one (the text deltas of one upstream read): what may be released (see
   * StreamInspector.cleanText) when the guards find nothing to change. When something would be
   * redacted or blocked, or a guard failed closed, nothing is consumed and the answer is `undefined`:
   * the caller then goes delta by delta, so an intervention looks exactly as it did without batching.
   */
  async pushClean(deltas: readonly string[]): Promise<CleanRelease | undefined> {
    const held = this.held;
    const context = this.context;
    const total = this.total;
    const whole = this.whole.length;
    const release = await this.scan(deltas.length === 1 ? deltas[0]! : deltas.join(''), false, true);
    if (release && !release.blocked) return { text: release.text, carried: held.length };
    this.held = held;
    this.context = context;
    this.total = total;
    this.whole.length = whole;
    return undefined;
  }

  /** With `clean`, any intervention answers `undefined` (the caller rolls back). */
  private async scan(delta: string, final: boolean, clean: boolean): Promise<TextRelease | undefined> {
    this.total += delta.length;
    this.held += delta;
    if (this.engine.wholeTextGuards.length > 0) this.whole.push(delta);
    const text = this.context + this.held;
    const base = this.context.length;
    const segment: Segment = { id: this.channel, path: [], direction: 'output', role: 'assistant', kind: 'message', trusted: false, text };
    const inspection = await this.engine.inspectStreamed(segment, base, this.ctx, this.total);
    let release = final ? text.length : Math.max(base, text.length - this.engine.pendingSuffix(text));
    const spans: SpanRewrite[] = [];
    for (const failure of inspection.decision.failures) {
      if (!failure.failOpen) return clean ? undefined : { blocked: true, reason: `guard ${failure.guard} failed` };
    }
    if (!final) {
      // A rewrite that reaches into the held-back text may still grow or change (a URL whose "http"
      // went out as a plain word reads as `https://cr`, a private host, until its name is complete):
      // hold it back from its start and judge it once it is complete. Blocks act at once, as before.
      // Until no finding straddles the new line: holding one back can make an earlier one straddle.
      for (let moved = true; moved; ) {
        moved = false;
        for (const v of inspection.decision.verdicts) {
          const span = v.finding.span;
          if ((v.action === 'redact' || v.action === 'pseudonymize') && span && span.end > release && span.start < release && release > base) {
            release = Math.max(base, span.start);
            moved = true;
          }
        }
      }
    }
    for (const v of inspection.decision.verdicts) {
      const span = v.finding.span;
      if (span && span.end <= base) continue; // wholly inside text released earlier
      if (span && !final && span.start >= release) continue; // may still grow: judged on a later delta
      if (span && !final && span.end > release && (v.action === 'redact' || v.action === 'pseudonymize')) continue; // held back above
      if (v.action === 'block' || v.action === 'review') return clean ? undefined : { blocked: true, reason: v.finding.type };
      if (v.action === 'redact' || v.action === 'pseudonymize') {
        if (clean) return undefined;
        const start = Math.max(base, span?.start ?? base);
        const end = span?.end ?? text.length;
        spans.push({ start: start - base, end: end - base, replacement: v.replacement ?? `[REDACTED:${v.finding.type}]` });
        release = Math.max(release, end);
      }
    }
    const out = text.slice(base, release);
    const keep = this.engine.streamHoldback;
    this.context = keep === 0 ? '' : text.slice(Math.max(0, release - keep), release);
    this.held = text.slice(release);
    if (final && this.engine.wholeTextGuards.length > 0) {
      const full: Segment = { ...segment, text: this.whole.join('') };
      const wholeInspection = await this.engine.inspect([full], this.ctx, 1, { useCache: false, guards: this.engine.wholeTextGuards, totalChars: this.total });
      if (wholeInspection.decision.action === 'block' || wholeInspection.decision.action === 'review') {
        return { blocked: true, reason: wholeInspection.decision.verdicts[0]?.finding.type ?? 'guard failure' };
      }
    }
    return { blocked: false, text: spans.length === 0 ? out : applySpanRewrites(out, spans) };
  }
}

/** The gateway's side of a stream: text channels scanned incrementally, tool calls judged whole. */
export class GatewayStreamInspector implements StreamInspector {
  private readonly channels = new Map<string, ChannelScanner>();
  /** Set when something in the stream was changed, refused or blocked. */
  outcome: 'allow' | 'redact' | 'block' = 'allow';
  readonly outputFindings: string[] = [];

  /** Characters released to the client, for token accounting when the upstream reports no usage. */
  releasedChars = 0;

  private readonly restorers = new Map<string, StreamRestorer>();

  constructor(
    private readonly engine: GuardEngine,
    private readonly ctx: GuardContext,
    private readonly toolAllowed?: (name: string) => boolean,
    /** The conversation's pseudonyms: placeholders in the answer are restored before the client sees them. */
    private readonly pseudonyms?: PseudonymMap,
    /** Asked when a tool call needs review; without it, review fails closed (refusal). */
    private readonly approvals?: ApprovalService,
    /** The call's abort signal, or what makes it: asked for only when a tool call waits for a human. */
    private readonly signal?: AbortSignal | (() => AbortSignal),
    /** Findings the conversation's history adds to a new tool call (the flow rule). */
    private readonly flow?: (toolCalls: readonly Segment[]) => Finding[],
  ) {}

  /** Set while a tool call waits for a human, so the relay can keep the connection alive. */
  awaitingApproval = false;
  /** Called when a tool call starts waiting for a human (the relay then starts its heartbeat). */
  onAwaitingApproval: (() => void) | undefined;
  /** Every complete tool call the stream carried and what became of it (for the audit trail). */
  readonly toolCalls: { tool: string; callId: string; verdict: 'allow' | 'block'; arguments: string }[] = [];

  private restore(channel: string, release: TextRelease, final: boolean): TextRelease {
    if (release.blocked || !this.pseudonyms || this.pseudonyms.size === 0) return release;
    let restorer = this.restorers.get(channel);
    if (!restorer) this.restorers.set(channel, (restorer = this.pseudonyms.streamRestorer()));
    const text = restorer.push(release.text) + (final ? restorer.end() : '');
    return { blocked: false, text };
  }

  private scanner(channel: string): ChannelScanner {
    let scanner = this.channels.get(channel);
    if (!scanner) this.channels.set(channel, (scanner = new ChannelScanner(this.engine, this.ctx, channel)));
    return scanner;
  }

  private note(release: TextRelease): TextRelease {
    if (release.blocked) {
      this.outcome = 'block';
      this.outputFindings.push(release.reason);
    } else {
      this.releasedChars += release.text.length;
    }
    return release;
  }

  async text(channel: string, delta: string): Promise<TextRelease> {
    return this.restore(channel, this.note(await this.scanner(channel).push(delta, false)), false);
  }

  /**
   * The text deltas of one upstream read, judged together: one scan instead of one per delta. The
   * released text (see StreamInspector.cleanText) when nothing in them is changed or blocked;
   * `undefined`, with nothing consumed, otherwise (and always with pseudonyms to restore): the caller
   * then hands the deltas to `text` one by one.
   */
  async cleanText(channel: string, deltas: readonly string[]): Promise<CleanRelease | undefined> {
    if (this.pseudonyms && this.pseudonyms.size > 0) return undefined;
    const release = await this.scanner(channel).pushClean(deltas);
    if (release) this.releasedChars += release.text.length;
    return release;
  }

  async endText(channel: string): Promise<TextRelease> {
    return this.restore(channel, this.note(await this.scanner(channel).push('', true)), true);
  }

  async toolCall(call: StreamedToolCall): Promise<ToolCallVerdict> {
    // Judged on the arguments the agent will run: placeholders restored first (see withRestoredToolArguments).
    const restored = this.pseudonyms && this.pseudonyms.size > 0 ? { ...call, arguments: restoreJsonText(this.pseudonyms, call.arguments) } : call;
    // The flow findings read the call as the model wrote it, placeholders in (as the JSON path does).
    const flow = this.flow && restored !== call ? (segments: readonly Segment[]) => this.flow!(segments.map((s) => ({ ...s, text: call.arguments }))) : this.flow;
    const judgement = await this.engine.judgeToolCall(restored, this.ctx, this.toolAllowed, flow, ownValuesInToolCalls(this.pseudonyms));
    let refusal: string | undefined = judgement.action === 'refuse' ? toolRefusal(judgement) : undefined;
    if (judgement.action === 'review') {
      if (!this.approvals) refusal = toolRefusal({ toolName: judgement.toolName, reasons: [...judgement.reasons, 'review required, no approver configured'] });
      else {
        this.awaitingApproval = true;
        this.onAwaitingApproval?.();
        try {
          const held = await this.approvals.hold(
            { principal: this.ctx.principal?.id ?? 'unknown', requestId: this.ctx.requestId, toolName: call.name, arguments: this.pseudonyms ? this.pseudonyms.conceal(judgement.arguments) : judgement.arguments, reasons: judgement.reasons },
            typeof this.signal === 'function' ? this.signal() : this.signal,
          );
          if (held.outcome !== 'approved') refusal = toolRefusal({ toolName: judgement.toolName, reasons: [...judgement.reasons, `review ${held.outcome}`] });
        } finally {
          this.awaitingApproval = false;
        }
      }
    }
    this.toolCalls.push({ tool: call.name, callId: call.id, verdict: refusal ? 'block' : 'allow', arguments: call.arguments });
    if (refusal) {
      this.outcome = 'block';
      return { action: 'refuse', message: refusal };
    }
    this.releasedChars += judgement.arguments.length;
    return { action: 'allow', arguments: this.pseudonyms ? restoreJsonText(this.pseudonyms, judgement.arguments) : judgement.arguments };
  }
}
