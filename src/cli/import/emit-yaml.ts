// Writes an import's services as a commented warden.yaml.
import { Document, isMap, isScalar } from 'yaml';
import type { Imported, ImportNote } from './model.js';

/** One line for a note, as printed on stderr: `FILE:LINE: SERVICE: KEY: ACTION; WHY`. */
export function formatNote(note: ImportNote): string {
  const service = note.service === undefined ? '' : `${note.service}: `;
  return `${note.where}: ${service}${note.key}: ${note.action}; ${note.why}`;
}

// A comment block: each line prefixed by one space (yaml adds the `#`).
const block = (lines: readonly string[]): string => lines.map((l) => ` ${l}`).join('\n');

/**
 * The warden.yaml text of `imported`: a header saying where it came from, then the services,
 * each with the notes about it (and its comments) above it.
 */
export function emitYaml(imported: Imported): string {
  const services = Object.fromEntries(imported.services.map((s) => [s.name, s.fields]));
  const doc = new Document({ services });
  const topNotes = imported.notes.filter((n) => n.service === undefined);
  doc.commentBefore = block([
    `Imported from ${imported.from} by "warden import".`,
    'Each note says what had no exact equivalent in warden and what was done with it;',
    'the keys are described in docs/config/. Start it with: warden up',
    ...topNotes.map((n) => `note: ${n.key}: ${n.action}; ${n.why}`),
  ]);
  const map = doc.get('services', true);
  if (!isMap(map)) return doc.toString();
  for (const pair of map.items) {
    if (!isScalar(pair.key)) continue;
    const name = String(pair.key.value);
    const service = imported.services.find((s) => s.name === name);
    const notes = imported.notes.filter((n) => n.service === name);
    const lines = [
      ...(service?.comments ?? []),
      ...notes.map((n) => `note: ${n.key}: ${n.action}; ${n.why}`),
    ];
    if (lines.length > 0) pair.key.commentBefore = block(lines);
  }
  return doc.toString({ lineWidth: 0 });
}
