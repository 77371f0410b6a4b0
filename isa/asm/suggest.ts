/**
 * "did you mean …?": the nearest candidate by edit distance (insertions,
 * deletions, substitutions and swaps of neighbours), when it is near enough to
 * be a likely typo rather than a different word.
 */

function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate, or undefined when none is close. Ties go to the earlier candidate. */
export function nearest(word: string, candidates: Iterable<string>, caseInsensitive = false): string | undefined {
  const norm = (s: string): string => (caseInsensitive ? s.toLowerCase() : s);
  const w = norm(word);
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    const n = norm(c);
    if (Math.abs(n.length - w.length) > limit) continue;
    const dist = distance(w, n);
    if (dist <= limit && dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return best;
}

/** `; did you mean 'add'?` or nothing. */
export function didYouMean(word: string, candidates: Iterable<string>, caseInsensitive = false): string {
  const n = nearest(word, candidates, caseInsensitive);
  return n === undefined ? '' : `; did you mean '${n}'?`;
}
