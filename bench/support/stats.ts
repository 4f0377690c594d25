// Every statistic the benchmarks report, in one place. Infinity stands for "never happened before the
// timeout": it sorts last, so a median stays finite while fewer than half the runs timed out.

/** Median, min and max of one figure over several runs. */
export interface Summary {
  median: number
  min: number
  max: number
  count: number
}

export function summarize(values: ReadonlyArray<number | undefined>): Summary | null {
  const sorted = values.filter((value): value is number => typeof value == "number" && !Number.isNaN(value)).sort((a, b) => a - b)
  if (sorted.length == 0) return null
  return { median: quantile(sorted, 0.5), min: sorted[0], max: sorted[sorted.length - 1], count: sorted.length }
}

/** The q-quantile (0..1) of ascending values, interpolated between neighbours (the median of [1, 2] is 1.5). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length == 0) return NaN
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.ceil(position)
  const low = sorted[below]
  const high = sorted[above]
  if (below == above || low == high) return low
  if (!Number.isFinite(high)) return position - below < 0.5 ? low : high
  return low + (high - low) * (position - below)
}

/** Ascending copy, for quantiles. */
export function sortedCopy(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b)
}

/**
 * Ratio of `value` to `anchor` per run (same index = measured in the same run), summarized.
 * Runs where either side is missing, zero or a timeout are left out.
 */
export function ratioSummary(values: ReadonlyArray<number | undefined>, anchors: ReadonlyArray<number | undefined>): Summary | null {
  const ratios: number[] = []
  for (let run = 0; run < Math.max(values.length, anchors.length); run++) {
    const value = values[run]
    const anchor = anchors[run]
    if (value === undefined || anchor === undefined) continue
    if (!Number.isFinite(value) || !Number.isFinite(anchor) || anchor == 0) continue
    ratios.push(value / anchor)
  }
  return summarize(ratios)
}
