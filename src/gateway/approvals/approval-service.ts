import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { AuditSink } from '../../audit/events.js';
import type { Approval, ApprovalStore } from './approval-store.js';

export interface ApprovalOptions {
  /** How long a held call waits for a human; then it is denied. */
  readonly timeoutMs: number;
  /** How often a waiter re-reads the store (decisions made on another replica). */
  readonly pollMs: number;
  /** Announced here (JSON POST) when an approval is requested. */
  readonly webhookUrl?: string | undefined;
  /** Put the tool-call arguments into the webhook message (they may hold sensitive data). */
  readonly webhookIncludesArguments: boolean;
  readonly log: Logger;
  /** Told of every request for approval and every expiry (the audit trail). */
  readonly onEvent?: (event: { approvalId: string; status: 'requested' | 'expired'; requestId: string; principal: string; reason?: string }) => void;
}

/** The options of the `approvals:` config section, every request and expiry audited. */
export function approvalOptionsFrom(
  config: { readonly timeoutSeconds: number; readonly pollMs: number; readonly webhookUrl?: string | undefined; readonly webhookIncludesArguments: boolean },
  log: Logger,
  audit: AuditSink,
): ApprovalOptions {
  return {
    timeoutMs: config.timeoutSeconds * 1000,
    pollMs: config.pollMs,
    webhookUrl: config.webhookUrl,
    webhookIncludesArguments: config.webhookIncludesArguments,
    log,
    onEvent: (e) => audit.record({ type: 'approval', requestId: e.requestId, principal: e.principal, approvalId: e.approvalId, status: e.status, ...(e.reason ? { reason: e.reason } : {}) }),
  };
}

export interface HoldRequest {
  readonly principal: string;
  readonly requestId: string;
  readonly toolName?: string;
  readonly arguments?: string;
  readonly reasons: readonly string[];
}

export type HoldOutcome = 'approved' | 'denied' | 'expired';

/**
 * Human approval for what the policy marks `review`: the call is held, recorded as pending, announced,
 * and released only when an operator approves it — on this replica or any other sharing the store.
 * Silence is a denial: at the timeout the approval expires.
 */
export class ApprovalService {
  private readonly wake = new EventEmitter();

  constructor(
    readonly store: ApprovalStore,
    private readonly options: ApprovalOptions,
  ) {
    this.wake.setMaxListeners(0);
  }

  async hold(request: HoldRequest, signal?: AbortSignal): Promise<{ outcome: HoldOutcome; approval: Approval }> {
    const now = Date.now();
    const id = randomUUID();
    await this.store.insert({
      id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.options.timeoutMs).toISOString(),
      principal: request.principal,
      requestId: request.requestId,
      toolName: request.toolName ?? null,
      arguments: request.arguments ?? null,
      reasons: [...request.reasons],
    });
    this.options.log.info({ approvalId: id, tool: request.toolName, reasons: request.reasons, requestId: request.requestId }, 'approval requested');
    this.options.onEvent?.({ approvalId: id, status: 'requested', requestId: request.requestId, principal: request.principal, reason: request.reasons.join(', ') });
    this.announce(id, request, now);
    const deadline = now + this.options.timeoutMs;
    for (;;) {
      const current = await this.store.get(id);
      if (current && current.status !== 'pending') return { outcome: current.status === 'approved' ? 'approved' : current.status === 'denied' ? 'denied' : 'expired', approval: current };
      if (Date.now() >= deadline || signal?.aborted) {
        const note = signal?.aborted ? 'the client went away' : 'no decision in time';
        if (await this.store.decide(id, 'expired', 'clawguard', note)) {
          this.options.onEvent?.({ approvalId: id, status: 'expired', requestId: request.requestId, principal: request.principal, reason: note });
        }
        const final = (await this.store.get(id))!;
        // A decision may have landed between the read and the expiry: honour it.
        return { outcome: final.status === 'approved' ? 'approved' : final.status === 'denied' ? 'denied' : 'expired', approval: final };
      }
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.wake.off(id, done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(this.options.pollMs, Math.max(1, deadline - Date.now())));
        this.wake.once(id, done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  /**
   * Approve or deny; false when the approval is unknown, already decided, or past its time: silence
   * was a denial, so a late approval (its waiter's replica died before expiring it, or the sweep has
   * not run yet) expires it instead of releasing the call.
   */
  async decide(id: string, approve: boolean, by: string, note?: string): Promise<boolean> {
    if (approve) {
      const current = await this.store.get(id);
      if (current && current.status === 'pending' && Date.parse(current.expiresAt) <= Date.now()) {
        if (await this.store.decide(id, 'expired', 'clawguard', 'no decision in time')) {
          this.options.onEvent?.({ approvalId: id, status: 'expired', requestId: current.requestId, principal: current.principal, reason: 'no decision in time' });
        }
        this.wake.emit(id);
        return false;
      }
    }
    const changed = await this.store.decide(id, approve ? 'approved' : 'denied', by, note);
    if (changed) {
      this.options.log.info({ approvalId: id, decision: approve ? 'approved' : 'denied', by }, 'approval decided');
      this.wake.emit(id);
    }
    return changed;
  }

  /** Expires pending approvals whose time is up (their waiter may have died with its process). */
  async sweep(): Promise<number> {
    return this.store.expirePending(new Date().toISOString());
  }

  private announce(id: string, request: HoldRequest, now: number): void {
    const url = this.options.webhookUrl;
    if (!url) return;
    const body = {
      type: 'clawguard.approval.requested',
      id,
      principal: request.principal,
      tool: request.toolName ?? null,
      reasons: request.reasons,
      expiresAt: new Date(now + this.options.timeoutMs).toISOString(),
      ...(this.options.webhookIncludesArguments && request.arguments ? { arguments: request.arguments.slice(0, 2000) } : {}),
      text: `ClawGuard: approval needed for ${request.toolName ? `tool call "${request.toolName}"` : 'a request'} (${request.reasons.join(', ')}). Approve: clawguard approvals approve ${id}`,
    };
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5000) })
      .then((res) => {
        if (!res.ok) this.options.log.warn({ approvalId: id, status: res.status }, 'approval webhook answered with an error');
      })
      .catch((error: unknown) => this.options.log.warn({ approvalId: id, error: error instanceof Error ? error.message : String(error) }, 'approval webhook failed'));
  }
}
