/**
 * Audit events: everything that happens in the gateway, as typed metadata.
 *
 * Metadata never contains prompt or response text; text goes in `payload`, which the audit log stores
 * according to its payload mode (`none`, `redacted`, `encrypted`). Reasons and error messages must be
 * the gateway's own words (guard reasons never quote the offending text), never secret values.
 */

export type Direction = 'input' | 'output';
export type DecisionAction = 'allow' | 'neutralize' | 'redact' | 'pseudonymize' | 'review' | 'block';

/** What every event may carry. `principal` is the key/user the gateway authenticated. */
export interface AuditEventBase {
  /** Milliseconds since the epoch; the log fills it in when absent. */
  readonly time?: number;
  readonly requestId?: string;
  /** Key id or user id that made the request (the authenticated principal). */
  readonly principal?: string;
  readonly tenant?: string;
  /**
   * Whose data the payload is (an end-user id, else the principal). Payloads are encrypted under a
   * data key per subject, so `clawguard audit erase --subject` can crypto-shred them.
   */
  readonly subject?: string;
  /** Prompt, response or tool text, stored per the payload mode; never put it in metadata. */
  readonly payload?: string;
}

export interface SegmentMeta {
  readonly id: string;
  readonly direction: Direction;
  readonly role: string;
  readonly kind: string;
  readonly tool?: string;
  readonly trusted?: boolean;
  /** Length of the segment's text in UTF-16 units. */
  readonly chars: number;
}

export interface RequestReceivedEvent extends AuditEventBase {
  readonly type: 'request.received';
  readonly route: string;
  readonly api?: string;
  readonly model?: string;
  readonly stream?: boolean;
  readonly segments?: readonly SegmentMeta[];
  readonly bytes?: number;
  readonly clientIp?: string;
}

export interface FindingEvent extends AuditEventBase {
  readonly type: 'finding';
  readonly direction: Direction;
  readonly guard: string;
  readonly findingType: string;
  readonly score: number;
  readonly segmentId: string;
  readonly span?: { readonly start: number; readonly end: number };
  readonly action: DecisionAction;
  /** Index of the policy rule that chose the action, -1 for the default. */
  readonly rule?: number;
  readonly reason?: string;
}

export interface DecisionEvent extends AuditEventBase {
  readonly type: 'decision';
  readonly direction: Direction;
  readonly action: DecisionAction;
  readonly findings: number;
  readonly failures: number;
  readonly guards?: readonly string[];
  readonly findingTypes?: readonly string[];
  /** Set when the decision was taken on a stream (a chunk window or a completed tool call). */
  readonly stream?: boolean;
}

export interface PayloadTransformedEvent extends AuditEventBase {
  readonly type: 'payload.transformed';
  readonly direction: Direction;
  /** `redact`, `pseudonymize`, `restore`, `tool_call_refused`, `stream_blocked`, … */
  readonly transform: string;
  readonly spans: number;
  /** The payload after the transform (stored per the payload mode). */
  readonly payload?: string;
}

export interface UpstreamResponseEvent extends AuditEventBase {
  readonly type: 'upstream.response';
  readonly upstream: string;
  readonly model?: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly stream?: boolean;
  readonly timeToFirstTokenMs?: number;
  readonly tokensIn?: number;
  readonly tokensOut?: number;
  /** The model id the provider answered with (its `model` field), which may differ from the requested alias. */
  readonly modelAnswered?: string;
  /** `sha256:<hex>` of the self-hosted model's artifact, from the signed integrity manifest (`lineage.artifacts`). */
  readonly artifactDigest?: string;
  /** `timeout`, `refused`, `reset`, … when no answer came. */
  readonly error?: string;
}

export interface ToolCallEvent extends AuditEventBase {
  readonly type: 'tool.call';
  readonly tool: string;
  readonly callId?: string;
  readonly verdict: DecisionAction;
  /** The call's arguments, stored per the payload mode. */
  readonly payload?: string;
}

export interface ApprovalEvent extends AuditEventBase {
  readonly type: 'approval';
  readonly approvalId: string;
  readonly status: 'requested' | 'approved' | 'denied' | 'expired';
  /** The operator who approved or denied. */
  readonly actor?: string;
  readonly reason?: string;
}

export interface AuthEvent extends AuditEventBase {
  readonly type: 'auth';
  readonly outcome: 'success' | 'failure';
  readonly surface: 'proxy' | 'admin' | 'egress';
  /** `missing_credential`, `invalid_key`, `revoked`, `expired`, `forbidden`, … never the credential. */
  readonly reason?: string;
  /** Key id prefix or key id: never the key itself. */
  readonly keyId?: string;
  readonly clientIp?: string;
}

export interface AdminEvent extends AuditEventBase {
  readonly type: 'admin';
  /** `key.create`, `key.revoke`, `config.reload`, `lockdown.on`, `lockdown.off`, `audit.purge`, `audit.erase`, … */
  readonly action: string;
  readonly actor: string;
  readonly target?: string;
  readonly outcome?: 'success' | 'failure';
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export interface GuardFailureEvent extends AuditEventBase {
  readonly type: 'guard.failure';
  readonly guard: string;
  readonly segmentId?: string;
  readonly error: string;
  readonly timedOut: boolean;
  readonly failOpen: boolean;
}

export interface StreamInterventionEvent extends AuditEventBase {
  readonly type: 'stream.intervention';
  /** `redacted`, `blocked`, `tool_call_refused`. */
  readonly intervention: string;
  readonly channel?: string;
}

export interface ErrorEvent extends AuditEventBase {
  readonly type: 'error';
  /** Where it happened: `proxy`, `upstream`, `stream`, `admin`, `audit`, … */
  readonly where: string;
  readonly message: string;
  readonly status?: number;
}

export interface SystemEvent extends AuditEventBase {
  readonly type: 'system';
  /** `start`, `stop`, `audit.spooling`, `audit.replayed`, `audit.dropped`, … */
  readonly action: string;
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export type AuditEvent =
  | RequestReceivedEvent
  | FindingEvent
  | DecisionEvent
  | PayloadTransformedEvent
  | UpstreamResponseEvent
  | ToolCallEvent
  | ApprovalEvent
  | AuthEvent
  | AdminEvent
  | GuardFailureEvent
  | StreamInterventionEvent
  | ErrorEvent
  | SystemEvent;

export type AuditEventType = AuditEvent['type'];

export const AUDIT_EVENT_TYPES: readonly AuditEventType[] = [
  'request.received',
  'finding',
  'decision',
  'payload.transformed',
  'upstream.response',
  'tool.call',
  'approval',
  'auth',
  'admin',
  'guard.failure',
  'stream.intervention',
  'error',
  'system',
];

/** Where events go. `record` never blocks on I/O; `flush` resolves when everything recorded so far is stored. */
export interface AuditSink {
  record(event: AuditEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** A sink that drops everything: for audit disabled and for tests of other modules. */
export const NULL_AUDIT_SINK: AuditSink = {
  record() {},
  async flush() {},
  async close() {},
};

/** Thrown by `record` when the log cannot accept an event and is configured to fail closed. */
export class AuditUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditUnavailableError';
  }
}
