/**
 * One step of an alignment of two row lists: a row kept (`same`: equal keys), a row replaced by one of the same
 * kind (`changed`), or a row only on one side.
 */
export type AlignStep =
  | { readonly kind: 'same' | 'changed'; readonly a: number; readonly b: number }
  | { readonly kind: 'removed'; readonly a: number }
  | { readonly kind: 'added'; readonly b: number };

/**
 * Above this many cells (two lists of 2,000 differing rows) the differing middle is not searched for common rows: it
 * is shown removed and added, which is still a correct, if longer, answer.
 */
const maxTableCells = 4_000_000;

/**
 * Aligns rows `a` (old) with rows `b` (new) as `diff` aligns lines: a longest common subsequence of `key` (a
 * layer's op and arguments) decides the rows kept; in each run of rows between two kept ones, rows of the same
 * `kind` (the op) are paired in order as `changed` (`conv 6 k5` became `conv 8 k5`), the rest are removed or added.
 */
export function alignRows<T>(a: readonly T[], b: readonly T[], key: (row: T) => string, kind: (row: T) => string): AlignStep[] {
  const steps: AlignStep[] = [];
  const keysA = a.map(key);
  const keysB = b.map(key);
  let gapA = 0;
  let gapB = 0;
  for (const [i, j] of commonSubsequence(keysA, keysB)) {
    pairGap(a, b, gapA, i, gapB, j, kind, steps);
    steps.push({ kind: 'same', a: i, b: j });
    gapA = i + 1;
    gapB = j + 1;
  }
  pairGap(a, b, gapA, a.length, gapB, b.length, kind, steps);
  return steps;
}

/** Pairs of indices of a longest common subsequence of `a` and `b`, in order. */
export function commonSubsequence(a: readonly string[], b: readonly string[]): [number, number][] {
  // The common prefix and suffix are kept as they are: the usual edit touches a few rows in the middle.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const pairs: [number, number][] = [];
  for (let i = 0; i < start; i++) pairs.push([i, i]);
  const n = endA - start;
  const m = endB - start;
  if (n > 0 && m > 0 && (n + 1) * (m + 1) <= maxTableCells) {
    // lengths[i][j]: the LCS length of a[start + i ..] and b[start + j ..].
    const width = m + 1;
    const lengths = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lengths[i * width + j] =
          a[start + i] === b[start + j]
            ? lengths[(i + 1) * width + j + 1]! + 1
            : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (a[start + i] === b[start + j]) {
        pairs.push([start + i, start + j]);
        i++;
        j++;
      } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) {
        i++;
      } else {
        j++;
      }
    }
  }
  for (let k = 0; k < a.length - endA; k++) pairs.push([endA + k, endB + k]);
  return pairs;
}

function pairGap<T>(
  a: readonly T[],
  b: readonly T[],
  fromA: number,
  toA: number,
  fromB: number,
  toB: number,
  kind: (row: T) => string,
  steps: AlignStep[],
): void {
  const kindsA = a.slice(fromA, toA).map(kind);
  const kindsB = b.slice(fromB, toB).map(kind);
  let i = 0;
  let j = 0;
  for (const [pi, pj] of commonSubsequence(kindsA, kindsB)) {
    for (; i < pi; i++) steps.push({ kind: 'removed', a: fromA + i });
    for (; j < pj; j++) steps.push({ kind: 'added', b: fromB + j });
    steps.push({ kind: 'changed', a: fromA + pi, b: fromB + pj });
    i = pi + 1;
    j = pj + 1;
  }
  for (; i < kindsA.length; i++) steps.push({ kind: 'removed', a: fromA + i });
  for (; j < kindsB.length; j++) steps.push({ kind: 'added', b: fromB + j });
}
