import { type Document, isMap, isScalar, isSeq, type YAMLMap, type YAMLSeq } from 'yaml';

export interface UpstreamEdit {
  readonly name: string;
  readonly provider: 'openai' | 'anthropic';
  readonly url: string;
  /** A secret reference (`file:/abs/path` or `env:NAME`), never a key. */
  readonly apiKey: string;
}

export interface RouteEdit {
  readonly model: string;
  readonly upstream: string;
}

export interface ClawGuardEdits {
  readonly upstreams: readonly UpstreamEdit[];
  readonly routes: readonly RouteEdit[];
  readonly enableEgress: boolean;
}

/**
 * Edits ClawGuard's YAML in place through the Document API, so the operator's comments, ordering and
 * formatting survive. Upstreams are matched by name and routes by model glob: a match is updated
 * (other fields, such as timeouts, are kept), anything new is added. New routes go before the
 * existing ones (routes are first-match), except catch-alls (`*`), which go last.
 */
export function applyClawGuardEdits(doc: Document, edits: ClawGuardEdits): void {
  if (edits.upstreams.length > 0) {
    const upstreams = blockSeq(doc, 'upstreams');
    for (const edit of edits.upstreams) {
      const existing = upstreams.items.find((item): item is YAMLMap => isMap(item) && scalarValue(item.get('name', true)) === edit.name);
      if (existing) {
        existing.set('provider', edit.provider);
        existing.set('url', edit.url);
        existing.set('apiKey', edit.apiKey);
      } else {
        upstreams.add(doc.createNode({ name: edit.name, provider: edit.provider, url: edit.url, apiKey: edit.apiKey }));
      }
    }
  }
  if (edits.routes.length > 0) {
    const routes = blockSeq(doc, 'routes');
    const front: unknown[] = [];
    for (const edit of edits.routes) {
      const existing = routes.items.find((item): item is YAMLMap => isMap(item) && scalarValue(item.get('model', true)) === edit.model);
      if (existing) existing.set('upstream', edit.upstream);
      else if (edit.model === '*') routes.add(doc.createNode({ model: edit.model, upstream: edit.upstream }));
      else front.push(doc.createNode({ model: edit.model, upstream: edit.upstream }));
    }
    routes.items.splice(0, 0, ...front);
  }
  if (edits.enableEgress) doc.setIn(['egress', 'enabled'], true);
}

function blockSeq(doc: Document, key: string): YAMLSeq {
  let node = doc.get(key, true);
  if (!isSeq(node)) {
    doc.set(key, doc.createNode([]));
    node = doc.get(key, true);
  }
  const seq = node as YAMLSeq;
  seq.flow = false;
  return seq;
}

function scalarValue(node: unknown): unknown {
  return isScalar(node) ? node.value : node;
}
