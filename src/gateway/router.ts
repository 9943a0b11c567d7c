import { globMatch } from '../core/index.js';
import type { ApiKind } from '../providers/adapter.js';
import type { Upstream } from './upstream.js';

export interface RouteRule {
  readonly model: string;
  readonly upstream: string;
}

/** Which upstreams speak which client API: a provider speaks its own, the demo speaks both. */
export type UpstreamSet = ReadonlyMap<string, ReadonlyMap<ApiKind, Upstream>>;

export type RouteResult = { readonly ok: true; readonly upstream: Upstream } | { readonly ok: false; readonly reason: string };

/** Model name → upstream, first matching route wins. */
export class Router {
  constructor(
    private readonly routes: readonly RouteRule[],
    private readonly upstreams: UpstreamSet,
  ) {}

  resolve(model: string, api: ApiKind): RouteResult {
    for (const route of this.routes) {
      if (!globMatch(route.model, model)) continue;
      const upstream = this.upstreams.get(route.upstream)?.get(api);
      if (upstream) return { ok: true, upstream };
    }
    return { ok: false, reason: `no route sends model "${model}" to an upstream that speaks this API` };
  }

  /** Upstreams that speak an API, for listing their models. */
  upstreamsFor(api: ApiKind): Upstream[] {
    const out: Upstream[] = [];
    for (const byApi of this.upstreams.values()) {
      const u = byApi.get(api);
      if (u) out.push(u);
    }
    return out;
  }

  async close(): Promise<void> {
    const all = new Set<Upstream>();
    for (const byApi of this.upstreams.values()) for (const u of byApi.values()) all.add(u);
    await Promise.all([...all].map((u) => u.close()));
  }
}
