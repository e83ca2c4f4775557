// Turns zod's issues into warden's: one issue per unknown key, with a hint, pointing at the key.
import type * as z from 'zod';
import { knownKeysAt } from './schema.js';
import { didYouMean } from './suggest.js';
import type { PositionTarget } from './yaml-position.js';

/** An issue before it is placed in the file: the key path, what to point at, and the message. */
export interface PathIssue {
  path: readonly PropertyKey[];
  target: PositionTarget;
  message: string;
}

/** The message for a key the map at `parentPath` does not allow. */
function unknownKeyMessage(parentPath: readonly PropertyKey[], key: string): string {
  const known = knownKeysAt(parentPath);
  const hint = didYouMean(key, known);
  if (hint !== '' || known.length === 0) return `"${key}" is not a known key${hint}`;
  return `"${key}" is not a known key; known keys: ${known.join(', ')}`;
}

/**
 * Converts one zod issue. An `unrecognized_keys` issue becomes one issue per key, at the key;
 * an invalid record key (a bad service name) points at the key; all others at the value.
 */
export function fromZodIssue(issue: z.core.$ZodIssue): PathIssue[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: [...path, key],
      target: 'key',
      message: unknownKeyMessage(path, key),
    }));
  }
  const target = issue.code === 'invalid_key' ? 'key' : 'value';
  return [{ path, target, message: issue.message }];
}
