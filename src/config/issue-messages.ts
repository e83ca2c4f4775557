// Plain-words messages for zod's issues, passed to `safeParse` as its error map.
import type * as z from 'zod';

/** A value as messages show it: `a string ("x")`, `a number (5)`, `a list`, `an empty value`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`;
  if (typeof value === 'number' || typeof value === 'bigint') return `a number (${String(value)})`;
  if (typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'a map' : typeof value;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a map',
  record: 'a map',
  map: 'a map',
  array: 'a list',
};

/** Quotes strings as JSON and shows other values as they are. */
export function showValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** The message for a required key that is absent, named by the last segment of `path`. */
function missingKeyMessage(path: readonly PropertyKey[] | undefined): string {
  const key = path?.[path.length - 1];
  return key === undefined ? 'missing required key' : `missing required key "${String(key)}"`;
}

/**
 * zod error map for the whole document: the fallback for every issue whose schema has no
 * message of its own. Returns undefined to keep zod's message (custom issues carry their own).
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return missingKeyMessage(issue.path);
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'invalid_union':
      if (issue.input === undefined) return missingKeyMessage(issue.path);
      return `${describeValue(issue.input)} is not valid here`;
    case 'too_small':
      if (issue.origin === 'string' || issue.origin === 'array') return 'must not be empty';
      return `must be at least ${String(issue.minimum)}, got ${showValue(issue.input)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}, got ${showValue(issue.input)}`;
    case 'invalid_value':
      return `${showValue(issue.input)} is not one of ${issue.values.map(showValue).join(', ')}`;
    case 'invalid_key':
      return issue.issues[0]?.message;
    case 'invalid_format':
      return `${showValue(issue.input)} is not valid here`;
    case 'unrecognized_keys': // split per key, with hints, in zod-issues.ts
    case 'custom': // carry their own message
    case 'invalid_element':
    case 'not_multiple_of':
      return undefined;
  }
};
