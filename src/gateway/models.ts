import type { ApiKind } from '../providers/adapter.js';
import type { Router } from './router.js';

/**
 * The models a caller may use: what each upstream lists, kept only where the routes would send
 * that model to that same upstream. An upstream that cannot be listed is skipped (and reported).
 */
export async function listAllowedModels(router: Router, api: ApiKind, timeoutMs = 5000): Promise<{ ids: string[]; unreachable: string[] }> {
  const ids = new Set<string>();
  const unreachable: string[] = [];
  await Promise.all(
    router.upstreamsFor(api).map(async (upstream) => {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (upstream.credential) {
        if (api === 'openai-chat') headers.authorization = `Bearer ${upstream.credential}`;
        else {
          headers['x-api-key'] = upstream.credential;
          headers['anthropic-version'] = '2023-06-01';
        }
      }
      try {
        const response = await upstream.send('GET', api === 'openai-chat' ? '/models' : '/v1/models', headers, undefined, AbortSignal.timeout(timeoutMs));
        const text = await response.body.text();
        if (response.status !== 200) throw new Error(`status ${response.status}`);
        const data = JSON.parse(text)?.data;
        if (!Array.isArray(data)) throw new Error('no data array');
        for (const m of data) {
          if (typeof m?.id !== 'string') continue;
          const route = router.resolve(m.id, api);
          if (route.ok && route.upstream === upstream) ids.add(m.id);
        }
      } catch {
        unreachable.push(upstream.name);
      }
    }),
  );
  return { ids: [...ids].sort(), unreachable };
}
