/**
 * External moderation services, fail-closed: a service that errors, times out or answers in an
 * unexpected shape makes the check throw, which the pipeline records as a guard failure (blocking
 * unless the operator set failOpen). It never turns into a pass.
 */

export interface ExternalVerdict {
  readonly flagged: boolean;
  /** Category → score 0..1 (1 when the service gives no scores). */
  readonly categories: Readonly<Record<string, number>>;
}

export interface ExternalCheckOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly model?: string;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

async function postJson(url: string, body: unknown, options: ExternalCheckOptions): Promise<unknown> {
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])];
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
    body: JSON.stringify(body),
    signal: AbortSignal.any(signals),
  });
  if (!response.ok) throw new Error(`moderation service answered HTTP ${response.status}`);
  return response.json();
}

/** OpenAI `/v1/moderations` and compatible services. `url` is the full endpoint URL. */
export async function openAiModeration(text: string, options: ExternalCheckOptions): Promise<ExternalVerdict> {
  const body = (await postJson(options.url, { input: text, ...(options.model ? { model: options.model } : {}) }, options)) as {
    results?: { flagged?: unknown; categories?: Record<string, unknown>; category_scores?: Record<string, unknown> }[];
  };
  const result = body?.results?.[0];
  if (!result || typeof result.flagged !== 'boolean' || typeof result.categories !== 'object' || result.categories === null) {
    throw new Error('moderation service answered in an unexpected shape');
  }
  const categories: Record<string, number> = {};
  for (const [name, on] of Object.entries(result.categories)) {
    if (on === true) {
      const score = result.category_scores?.[name];
      categories[name] = typeof score === 'number' ? score : 1;
    }
  }
  return { flagged: result.flagged, categories };
}

/** Llama Guard 3 hazard categories, by code. */
export const LLAMA_GUARD_CATEGORIES: Readonly<Record<string, string>> = {
  S1: 'violent_crimes',
  S2: 'non_violent_crimes',
  S3: 'sex_related_crimes',
  S4: 'child_sexual_exploitation',
  S5: 'defamation',
  S6: 'specialized_advice',
  S7: 'privacy',
  S8: 'intellectual_property',
  S9: 'indiscriminate_weapons',
  S10: 'hate',
  S11: 'suicide_self_harm',
  S12: 'sexual_content',
  S13: 'elections',
  S14: 'code_interpreter_abuse',
};

/**
 * Parses Llama Guard's answer: first line `safe` or `unsafe`, then (when unsafe) a comma-separated
 * list of category codes. Anything else is an error, not a pass.
 */
export function parseLlamaGuard(answer: string): ExternalVerdict {
  const lines = answer.trim().split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const first = lines[0]?.toLowerCase();
  if (first === 'safe') return { flagged: false, categories: {} };
  if (first !== 'unsafe') throw new Error('Llama Guard answered neither "safe" nor "unsafe"');
  const categories: Record<string, number> = {};
  for (const code of (lines[1] ?? '').split(',').map((c) => c.trim().toUpperCase()).filter(Boolean)) {
    categories[LLAMA_GUARD_CATEGORIES[code] ?? code.toLowerCase()] = 1;
  }
  if (Object.keys(categories).length === 0) categories['unsafe'] = 1;
  return { flagged: true, categories };
}

const CATEGORY_TITLES: Readonly<Record<string, string>> = {
  S1: 'Violent Crimes.',
  S2: 'Non-Violent Crimes.',
  S3: 'Sex Crimes.',
  S4: 'Child Exploitation.',
  S5: 'Defamation.',
  S6: 'Specialized Advice.',
  S7: 'Privacy.',
  S8: 'Intellectual Property.',
  S9: 'Indiscriminate Weapons.',
  S10: 'Hate.',
  S11: 'Self-Harm.',
  S12: 'Sexual Content.',
  S13: 'Elections.',
  S14: 'Code Interpreter Abuse.',
};

/**
 * Llama Guard's task prompt, for endpoints that do not apply the model's own chat template (a plain
 * text-generation server, or a chat server configured with another template): the categories, the
 * conversation, and the instruction to answer `safe` or `unsafe` plus the violated categories.
 */
export function llamaGuardPrompt(role: 'user' | 'assistant', turns: readonly { role: 'user' | 'assistant'; content: string }[]): string {
  const who = role === 'user' ? 'User' : 'Agent';
  const categories = Object.entries(CATEGORY_TITLES)
    .map(([code, title]) => `${code}: ${title}`)
    .join('\n');
  const conversation = turns.map((t) => `${t.role === 'user' ? 'User' : 'Agent'}: ${t.content}`).join('\n\n');
  return [
    `Task: Check if there is unsafe content in '${who}' messages in conversations according our safety policy with the below categories.`,
    '',
    '<BEGIN UNSAFE CONTENT CATEGORIES>',
    categories,
    '<END UNSAFE CONTENT CATEGORIES>',
    '',
    '<BEGIN CONVERSATION>',
    '',
    conversation,
    '',
    '<END CONVERSATION>',
    '',
    `Provide your safety assessment for ONLY THE LAST ${who} message in the above conversation:`,
    " - First line must read 'safe' or 'unsafe'.",
    ' - If unsafe, a second line must include a comma-separated list of violated categories.',
  ].join('\n');
}

/**
 * Llama Guard behind an OpenAI-compatible chat-completions endpoint (vLLM, Ollama, TGI…). With
 * `prompt: 'server'` (default) the conversation is sent as chat turns and the server's chat template
 * (Llama Guard's own) wraps it in the task prompt; with `prompt: 'inline'` we send the task prompt
 * ourselves as one user message. Input is judged as the user's turn; output as the agent's turn
 * after `context`.
 */
export async function llamaGuardModeration(
  text: string,
  role: 'user' | 'assistant',
  options: ExternalCheckOptions & { readonly context?: string; readonly prompt?: 'server' | 'inline' },
): Promise<ExternalVerdict> {
  const turns: { role: 'user' | 'assistant'; content: string }[] =
    role === 'user'
      ? [{ role: 'user', content: text }]
      : [
          { role: 'user', content: options.context ?? '' },
          { role: 'assistant', content: text },
        ];
  const messages = options.prompt === 'inline' ? [{ role: 'user', content: llamaGuardPrompt(role, turns) }] : turns;
  const body = (await postJson(options.url, { model: options.model ?? 'llama-guard', messages, temperature: 0, max_tokens: 20 }, options)) as {
    choices?: { message?: { content?: unknown } }[];
  };
  const content = body?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new Error('Llama Guard endpoint answered in an unexpected shape');
  return parseLlamaGuard(content);
}
