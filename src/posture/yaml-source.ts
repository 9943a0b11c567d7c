import { isMap, isNode, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from 'yaml';

export type YamlPath = readonly (string | number)[];

/** One YAML document as plain data, plus a way back to source lines for findings. */
export interface YamlDoc {
  readonly value: unknown;
  /** 1-based line of the deepest node on `path` that exists (the key line for map entries). */
  lineOf(path: YamlPath): number | undefined;
}

export interface ParsedYaml {
  readonly docs: YamlDoc[];
  readonly errors: string[];
}

/** Parses multi-document YAML tolerantly: unknown fields are kept, never rejected. */
export function parseYaml(text: string): ParsedYaml {
  const counter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: counter, uniqueKeys: false });
  const list = Array.isArray(documents) ? documents : [documents];
  const errors: string[] = [];
  const docs: YamlDoc[] = [];
  for (const doc of list) {
    for (const error of doc.errors) {
      const pos = error.linePos?.[0];
      errors.push(`${pos ? `line ${pos.line}: ` : ''}${error.message.split('\n')[0] ?? ''}`);
    }
    if (doc.errors.length > 0) continue;
    const root = doc.contents;
    const lineAt = (offset: number | undefined): number | undefined =>
      offset === undefined ? undefined : counter.linePos(offset).line;
    docs.push({
      value: doc.toJS({ maxAliasCount: 100 }) as unknown,
      lineOf(path: YamlPath): number | undefined {
        let node: unknown = root;
        let best = lineAt(isNode(root) ? root.range?.[0] : undefined);
        for (const key of path) {
          if (isMap(node)) {
            const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
            if (!pair) break;
            const keyNode = pair.key as Node;
            best = lineAt(keyNode.range?.[0]) ?? best;
            node = pair.value;
          } else if (isSeq(node) && typeof key === 'number') {
            const item = node.items[key];
            if (!isNode(item)) break;
            best = lineAt(item.range?.[0]) ?? best;
            node = item;
          } else {
            break;
          }
        }
        return best;
      },
    });
  }
  return { docs, errors };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function get(value: unknown, path: YamlPath): unknown {
  let node: unknown = value;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isRecord(node)) node = node[String(key)];
    else return undefined;
  }
  return node;
}
