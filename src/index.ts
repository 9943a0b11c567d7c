/**
 * ClawGuard as a library: the same guards, policy and adapters in-process, no server.
 * `createGateway` assembles the full gateway from a loaded config.
 */
export * from './core/index.js';
export { builtinGuards } from './guards/index.js';
export { limitsGuardFactory } from './guards/limits/index.js';
export { patternsGuardFactory } from './guards/patterns/index.js';
export { invisibleTextGuardFactory } from './guards/invisible/index.js';
export type { ProviderAdapter, SegmentRewrite, ToolCallRefusal, StreamInspector, StreamRewriter } from './providers/adapter.js';
export { openAiChatAdapter } from './providers/openai-chat.js';
export { anthropicMessagesAdapter } from './providers/anthropic-messages.js';
export { SseParser, formatSse, type SseEvent } from './providers/sse.js';
export { applySpanRewrites, type SpanRewrite } from './transform/spans.js';
export { loadConfigFile, parseConfigText, ConfigError, type ConfigIssue, type LoadedConfig } from './config/load.js';
export { configSchema, type ClawGuardConfig } from './config/schema.js';
export { createGateway, type Gateway, type GatewayOptions } from './gateway/server.js';
export { GuardEngine, createGuards } from './gateway/guard-engine.js';
export { resolveSecret, SecretError } from './secrets/secret-ref.js';
