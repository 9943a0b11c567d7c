/**
 * The tools a wrapper call runs by name: OpenClaw's `tool_call {id: "exec", args: {…}}`, nested up to
 * a few levels. Role tool lists and tool lockdowns apply to each of them as to the wrapper, or allowing
 * `tool_call` would allow every tool.
 */
export function wrappedTools(tool: string, params: unknown): string[] {
  const out: string[] = [];
  let name = tool;
  let args = params;
  for (let depth = 0; name === 'tool_call' && depth < 8; depth++) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) break;
    const id = (args as Record<string, unknown>).id;
    if (typeof id !== 'string') break;
    out.push(id);
    name = id;
    args = (args as Record<string, unknown>).args;
  }
  return out;
}

/** `wrappedTools` for arguments as JSON text; none when the text is not JSON. */
export function wrappedToolsOfJson(tool: string, argumentsJson: string): string[] {
  if (tool !== 'tool_call') return [];
  try {
    return wrappedTools(tool, JSON.parse(argumentsJson));
  } catch {
    return [];
  }
}
