// Summaries of repeated, interleaved measurements. Pure functions: the report and its tests use them.

/** The median of a non-empty list of numbers (the mean of the middle two for an even count). */
export function median(values) {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Median, min and max of a list; undefined when the list is empty. */
export function summarize(values) {
  if (values.length === 0) return undefined;
  return { median: median(values), min: Math.min(...values), max: Math.max(...values), n: values.length };
}

/**
 * The median of per-round ratios a[r] / b[r]: both were measured in the same round, one right after the
 * other, so drift of the machine between rounds cancels out. Rounds where either side is missing are
 * skipped; undefined when none is left.
 */
export function pairedRatio(a, b) {
  const ratios = [];
  for (let round = 0; round < Math.min(a.length, b.length); round += 1) {
    if (Number.isFinite(a[round]) && Number.isFinite(b[round]) && b[round] > 0) ratios.push(a[round] / b[round]);
  }
  return ratios.length === 0 ? undefined : median(ratios);
}

/**
 * Is time linear in N? The per-migration cost (time / N) at the largest N compared with that at the next
 * size. 1.0 is perfectly linear; a quadratic step shows as a factor near the ratio of the sizes.
 */
export function growthPerItem(points) {
  const sorted = [...points].filter((p) => Number.isFinite(p.ms)).sort((a, b) => a.n - b.n);
  if (sorted.length < 2) return undefined;
  const [prev, last] = sorted.slice(-2);
  return last.ms / last.n / (prev.ms / prev.n);
}

/**
 * The median of per-round differences a[r] − b[r] (the time one adds to the other, paired by round like
 * pairedRatio); undefined when no round has both.
 */
export function pairedDifference(a, b) {
  const diffs = [];
  for (let round = 0; round < Math.min(a.length, b.length); round += 1) {
    if (Number.isFinite(a[round]) && Number.isFinite(b[round])) diffs.push(a[round] - b[round]);
  }
  return diffs.length === 0 ? undefined : median(diffs);
}
