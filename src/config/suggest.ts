// "Did you mean ...?" for misspelt keys and values: the closest candidate by edit distance.

/** Levenshtein distance between two strings (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Lower case without `_` and `-`, so `stopSignal`, `stop-signal` and `stop_signal` compare equal. */
function normalize(word: string): string {
  return word.toLowerCase().replace(/[-_]/g, '');
}

/**
 * The candidate closest to `word`, when one is close enough to be a likely typo: the same word
 * up to case, `_` and `-`, or within 1 edit for words of up to 4 characters, 2 up to 8, else 3.
 * @returns the candidate, or undefined when none is close.
 */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  const exact = candidates.find((c) => normalize(c) === normalize(word));
  if (exact !== undefined) return exact;
  const limit = word.length <= 4 ? 1 : word.length <= 8 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean "X"?` when a close candidate exists, else the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? '' : `; did you mean "${match}"?`;
}
