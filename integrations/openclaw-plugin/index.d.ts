/** Types of the ClawGuard OpenClaw plugin (index.js is plain JavaScript; OpenClaw loads it as it is). */
export declare const PLUGIN_ID: 'clawguard';
export declare const DEFAULT_TIMEOUT_MS: number;
export declare const DEFAULT_APPROVAL_TIMEOUT_MS: number;

export interface GateConfig {
  /** ClawGuard's admin listener, without a trailing slash. */
  readonly url: string;
  /** A ClawGuard client key (never logged). */
  readonly apiKey: string;
  readonly timeoutMs: number;
  readonly approvalTimeoutMs: number;
  readonly tools?: string[];
}

/** OpenClaw's `before_tool_call` event and context (the fields this plugin reads). */
export interface ToolCallEvent {
  readonly toolName: string;
  readonly params?: Record<string, unknown>;
  readonly toolCallId?: string;
  readonly runId?: string;
}
export interface ToolCallContext {
  readonly agentId?: string;
  readonly sessionKey?: string;
  readonly sessionId?: string;
  readonly runId?: string;
  readonly abortSignal?: AbortSignal;
}
/** OpenClaw's `before_tool_call` result: `undefined` lets the call run unchanged. */
export type ToolCallResult = { block?: boolean; blockReason?: string; params?: Record<string, unknown> } | undefined;

export interface Logger {
  debug?(message: string): void;
  info?(message: string): void;
  warn?(message: string): void;
  error?(message: string): void;
}

export declare function resolveConfig(raw: unknown, env?: Record<string, string | undefined>): { ok: true; config: GateConfig } | { ok: false; error: string };
export declare function createToolGate(config: GateConfig, deps?: { fetch?: typeof fetch; logger?: Logger }): (event: ToolCallEvent, ctx?: ToolCallContext) => Promise<ToolCallResult>;
export declare function hookTimeoutMs(config: GateConfig): number;

export interface PluginApi {
  readonly pluginConfig?: unknown;
  readonly logger?: Logger;
  on(hook: string, handler: (event: any, ctx: any) => unknown, options?: Record<string, unknown>): void;
}
declare const plugin: { readonly id: 'clawguard'; readonly name: string; readonly description: string; register(api: PluginApi): void };
export default plugin;
