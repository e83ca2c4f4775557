// Maps a key path (from a zod issue) back to the YAML node it names, for line and column.
import { isMap, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';

/** A 1-based place in the file. */
export interface Position {
  line: number;
  column: number;
}

/** What of the last path segment to point at: the key itself, or its value. */
export type PositionTarget = 'key' | 'value';

function positionOf(node: Node | null | undefined, lines: LineCounter): Position | undefined {
  const offset = node?.range?.[0];
  if (offset === undefined) return undefined;
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

function isEmptyNode(node: Node): boolean {
  return node.range !== undefined && node.range !== null && node.range[0] === node.range[1];
}

/**
 * Finds where `path` is in `doc`. For `target: 'key'` the position of the last key; for
 * `'value'` that of its value, or of the key when the value is empty (`cwd:` with nothing).
 * When the path leaves the document (a missing key), the position of the deepest map or list
 * that exists, so a missing key points at its parent map.
 * @returns the position, or undefined when the document has no content at all.
 */
export function locate(
  doc: Document,
  lines: LineCounter,
  path: readonly PropertyKey[],
  target: PositionTarget,
): Position | undefined {
  let node: Node | null = doc.contents;
  let key: Node | null = null;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isScalar(p.key) && String(p.key.value) === String(segment),
      );
      if (pair === undefined) return positionOf(node, lines);
      key = isScalar(pair.key) ? pair.key : null;
      node = (pair.value as Node | null) ?? null;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (item === undefined) return positionOf(node, lines);
      key = null;
      node = item;
    } else {
      return positionOf(node, lines) ?? positionOf(key, lines);
    }
  }
  if (target === 'key' && key !== null) return positionOf(key, lines);
  if (node === null || isEmptyNode(node)) return positionOf(key, lines) ?? positionOf(node, lines);
  return positionOf(node, lines);
}
