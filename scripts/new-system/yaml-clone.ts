/**
 * Adds a new system to a deployment file (docker-compose.yml, deploy/, monitoring/) by copying the
 * model system's entries: the file is parsed to find them, and each copy is inserted as text after
 * the existing systems' entries, so every other line, comment and anchor stays as it was written.
 */
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';

/** How a system is spelt in a deployment file. */
export interface SystemTokens {
  id: string;
  prefix: string;
  subgraphPort: number;
  backendPort: number;
}

interface Insertion {
  at: number;
  text: string;
  order: number;
}

/** Whether a key, name or value is the system's own: `land`, `mock-land`, `LAND_…`, or an address on one of its ports. */
function belongsTo(text: string, system: SystemTokens): boolean {
  return (
    text === system.id ||
    text === `mock-${system.id}` ||
    text.startsWith(`${system.prefix}_`) ||
    text.endsWith(`:${system.subgraphPort}`) ||
    text.endsWith(`:${system.backendPort}`)
  );
}

function renamed(text: string, from: SystemTokens, to: SystemTokens): string {
  return text
    .replaceAll(from.id, to.id)
    .replaceAll(from.prefix, to.prefix)
    .replaceAll(String(from.subgraphPort), String(to.subgraphPort))
    .replaceAll(String(from.backendPort), String(to.backendPort));
}

const lineStart = (source: string, at: number) => source.lastIndexOf('\n', at - 1) + 1;
function lineEnd(source: string, at: number): number {
  const end = source.indexOf('\n', at);
  return end === -1 ? source.length : end + 1;
}

/** A collection item's identifying text: a pair's key, a scalar's value, or the `name` of a map (a container's env entry). */
function identity(item: unknown): string | undefined {
  if (isPair(item)) return isScalar(item.key) ? String(item.key.value) : undefined;
  if (isScalar(item)) return String(item.value);
  if (isMap(item)) {
    const name = item.get('name', true);
    return isScalar(name) ? String(name.value) : undefined;
  }
  return undefined;
}

/** Where an item's text starts and ends in the source (`[start, end)`). */
function span(item: unknown): [number, number] | undefined {
  if (isPair(item)) {
    const key = item.key as Node | null;
    const value = item.value as Node | null;
    const start = key?.range?.[0];
    const end = value?.range?.[1] ?? key?.range?.[1];
    return start === undefined || end === undefined ? undefined : [start, end];
  }
  const node = item as Node;
  return node.range ? [node.range[0], node.range[1]] : undefined;
}

/**
 * `source` with a copy of each of the model system's entries, renamed for the new system, after the
 * last consecutive entry of the existing systems among its siblings: whole documents (a Kubernetes
 * object named after the system), map entries (a Compose service, a variable) and list items (an
 * env entry, a scrape target).
 */
export function cloneSystemEntries(source: string, systems: { model: SystemTokens; existing: readonly SystemTokens[]; fresh: SystemTokens }): string {
  const { model, existing, fresh } = systems;
  const ofExisting = (text: string | undefined) => text !== undefined && existing.some((s) => belongsTo(text, s));
  const insertions: Insertion[] = [];
  let order = 0;

  const documents: Document[] = [...parseAllDocuments(source)];
  const documentName = (doc: Document) => {
    const name = doc.getIn(['metadata', 'name']);
    return typeof name === 'string' ? name : undefined;
  };
  for (const doc of documents) {
    if (doc.errors.length > 0) throw new Error(`YAML error: ${doc.errors[0]?.message}`);
    const name = documentName(doc);
    const contents = doc.contents as Node | null;
    if (name !== undefined && belongsTo(name, model) && contents?.range) {
      // After the last object of its kind of the existing systems, and that system's objects that follow it (its Service after its Deployment).
      const kind = doc.get('kind');
      let last = documents.findLastIndex((other) => other.get('kind') === kind && ofExisting(documentName(other)));
      const lastSystem = existing.find((s) => belongsTo(documentName(documents[last]!) ?? '', s));
      while (last + 1 < documents.length && lastSystem && belongsTo(documentName(documents[last + 1]!) ?? '', lastSystem)) last++;
      const anchor = (documents[last]!.contents as Node).range!;
      const text = source.slice(lineStart(source, contents.range[0]), lineEnd(source, contents.range[1] - 1));
      insertions.push({ at: lineEnd(source, anchor[1] - 1), text: `---\n${renamed(text, model, fresh)}`, order: order++ });
      continue;
    }
    collect(contents);
  }

  function collect(node: unknown): void {
    if (!isMap(node) && !isSeq(node)) {
      if (isPair(node)) collect(node.value);
      return;
    }
    const items = node.items as unknown[];
    for (const [index, item] of items.entries()) {
      const id = identity(item);
      const itemSpan = span(item);
      if (id === undefined || !belongsTo(id, model) || !itemSpan) {
        collect(isPair(item) ? (item as Pair).value : item);
        continue;
      }
      let last = index;
      while (last + 1 < items.length && ofExisting(identity(items[last + 1]))) last++;
      const anchor = span(items[last])!;
      if (node.flow) {
        insertions.push({ at: anchor[1], text: `, ${renamed(source.slice(itemSpan[0], itemSpan[1]), model, fresh)}`, order: order++ });
      } else {
        const text = source.slice(lineStart(source, itemSpan[0]), lineEnd(source, itemSpan[1] - 1));
        const at = lineEnd(source, anchor[1] - 1);
        // Entries set apart by a blank line (Compose services) keep one before the copy too.
        insertions.push({ at, text: `${source[at] === '\n' ? '\n' : ''}${renamed(text, model, fresh)}`, order: order++ });
      }
    }
  }

  let result = source;
  // From the end, so earlier offsets stay true; copies at one place keep the model's order.
  for (const { at, text } of insertions.sort((a, b) => b.at - a.at || b.order - a.order)) result = result.slice(0, at) + text + result.slice(at);
  return result;
}
