import { genericProfile } from './generic.js';
import type { ToolPolicyProfile } from './types.js';

/**
 * Defaults for OpenClaw's tools that a security-minded operator would choose. Documented rule by
 * rule in docs/tool-policy.md; keep the two in step. Order matters: first match wins.
 */
export const openclawProfile: ToolPolicyProfile = {
  name: 'openclaw',
  description: "OpenClaw's tools: shell and files analyzed, writes kept in the workspace, system and outward-facing tools reviewed, unknown tools reviewed.",
  rules: [
    // 1. tool_call runs another tool by name: judge the inner call by these same rules.
    { tool: 'tool_call', action: 'allow', analyze: { unwrap: { tool: '$.id', args: '$.args' } } },
    // 2. exec on the host with elevation, or on another node: a human decides.
    { tool: 'exec', when: [{ path: '$.elevated', equals: true }], action: 'review', reason: 'exec with host elevation', analyze: { shell: ['$.command'], env: ['$.env'] } },
    { tool: 'exec', when: [{ path: '$.host', glob: 'node' }], action: 'review', reason: 'exec on a paired node', analyze: { shell: ['$.command'], env: ['$.env'] } },
    // 3. exec: every command judged by the shell analyzer; env overrides judged as assignments.
    { tool: 'exec', action: 'allow', analyze: { shell: ['$.command'], read: ['$.workdir'], env: ['$.env'] } },
    // 4. process: typing into a running exec session is shell input.
    { tool: 'process', when: [{ path: '$.action', regex: '^(?:write|paste|submit|send-keys)$' }], action: 'allow', analyze: { shell: ['$.data', '$.text', '$.literal'] } },
    { tool: 'process', action: 'allow' },
    // 5. File tools: reads anywhere except sensitive paths; writes only inside the workspace.
    { tool: ['read', 'ls', 'memory_get'], action: 'allow', analyze: { read: ['$.path'] } },
    { tool: ['write', 'edit'], action: 'allow', analyze: { write: ['$.path'] } },
    { tool: 'apply_patch', action: 'allow', analyze: { patch: ['$.input'] } },
    // 6. Web: fetch and browser URLs judged (SSRF, deny list, data in query strings); browser JS evaluation reviewed.
    { tool: 'web_fetch', action: 'allow', analyze: { url: ['$.url'] } },
    { tool: 'browser', when: [{ path: '$.action', regex: '^(?:evaluate|eval|js|script|importprofile|upload|download)$' }], action: 'review', reason: 'browser action that runs script or moves files', analyze: { url: ['$..url', '$..targetUrl'] } },
    { tool: 'browser', action: 'allow', analyze: { url: ['$..url', '$..targetUrl'] } },
    { tool: 'web_search', action: 'allow' },
    // 7. Messages to channels: broadcast reviewed; links and images in a message judged as URLs.
    { tool: 'message', when: [{ path: '$.action', glob: 'broadcast' }], action: 'review', reason: 'broadcast to every channel' },
    { tool: ['message', 'conversations_send', 'conversations_turn'], action: 'allow', analyze: { text: ['$.message', '$.text', '$.content', '$..text'] } },
    // 8. Scheduling (cron / automations / intent): creating or changing jobs is persistence: review.
    { tool: ['cron', 'automations'], when: [{ path: '$.action', regex: '^(?:status|list|get|runs|history)$' }], action: 'allow' },
    { tool: ['cron', 'automations', 'intent'], action: 'review', reason: 'creates or changes scheduled work' },
    // 9. Sessions: reading is fine; sending into another session or agent, or deleting, is reviewed.
    { tool: ['sessions_list', 'sessions_history', 'sessions_search', 'session_status', 'sessions_yield', 'sessions_spawn', 'agents_list', 'agents_wait', 'subagents'], action: 'allow' },
    { tool: ['sessions_send', 'sessions'], action: 'review', reason: 'acts on another session or changes session settings' },
    // 10. The agent's own system: gateway config, OpenClaw setup, plugins, skills, secrets: a human decides.
    { tool: 'gateway', when: [{ path: '$.action', regex: '^(?:config\\.get|config\\.schema|schema|get|status|read)$' }], action: 'allow' },
    { tool: ['gateway', 'openclaw', 'plugins', 'skill_workshop'], action: 'review', reason: "changes the agent's own configuration, plugins or skills" },
    { tool: 'secrets', when: [{ path: '$.action', regex: '^(?:list|request)$' }], action: 'allow' },
    { tool: 'secrets', action: 'review', reason: 'changes stored credentials' },
    // 11. Reaching other machines and devices: paired nodes, files on nodes, phones, terminals, portals: review.
    { tool: ['nodes', 'file_fetch', 'dir_fetch', 'dir_list', 'file_write', 'mobile_ui', 'terminal', 'portal', 'node_inference'], action: 'review', reason: 'acts on another device or exposes a service' },
    // 12. Read-only and presentation tools.
    { tool: ['tool_search', 'tool_describe', 'memory_search', 'get_goal', 'create_goal', 'update_goal', 'progress_card', 'dashboard', 'theme', 'tts', 'talk_voice', 'canvas', 'ask_user', 'github_identity_status', 'transcripts', 'conversations_list', 'image', 'pdf'], action: 'allow' },
  ],
  // 13. Anything else (new tools, MCP and plugin tools): a human decides.
  defaultAction: 'review',
  workspace: ['~/.openclaw/workspace', '~/.openclaw/workspace-*'],
  readOutside: 'allow',
  writeOutside: 'deny',
  protectedFiles: ['AGENTS.md', 'SOUL.md', 'IDENTITY.md', 'TOOLS.md', 'BOOTSTRAP.md', 'HEARTBEAT.md'],
  unknownDomain: 'allow',
  dataToUnknownDomain: 'review',
  privateNetwork: 'deny',
  trustedDomains: genericProfile.trustedDomains,
  highRisk: ['exec', 'process', 'write', 'edit', 'apply_patch', 'web_fetch', 'browser', 'message', 'conversations_send', 'conversations_turn', 'sessions_send', 'sessions_spawn', 'cron', 'automations', 'gateway', 'openclaw', 'plugins', 'nodes', 'file_write', 'terminal', 'portal', 'tool_call', 'secrets', 'skill_workshop'],
};
