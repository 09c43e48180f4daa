/**
 * Round numbers for axes and bins: steps of 1, 2 or 5 times a power of ten, so that a reader sees
 * 3000, 4000, 5000 rather than 2713.4.
 */

const MULTIPLIERS = [1, 2, 5, 10] as const
// Edges are multiples of the step; rounding to this many digits drops float noise (0.30000000000000004).
const DIGITS = 12

/** The smallest 1-2-5 step at least `rough` (1 for a rough step that is not positive and finite). */
export function niceStep(rough: number): number {
  if (!(rough > 0) || !Number.isFinite(rough)) return 1
  const power = 10 ** Math.floor(Math.log10(rough))
  const multiplier = MULTIPLIERS.find((m) => m * power >= rough * (1 - 1e-12)) ?? 10
  return clean(multiplier * power)
}

/**
 * Equal-width bins with round edges covering [min, max], about `bins` of them (never more than
 * bins + 2): a value on the last edge belongs to the last bin. A single value gets one bin of
 * width 1 around it, as numpy's histogram gives.
 */
export function niceEdges(min: number, max: number, bins: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new RangeError(`niceEdges: [${min}, ${max}] is not a finite range`)
  }
  if (min === max) return [min - 0.5, max + 0.5]
  const wanted = Math.max(1, Math.floor(bins))
  const step = niceStep((max - min) / wanted)
  const first = Math.floor(min / step)
  // A maximum on a round edge ends the last bin (closed on the right) instead of opening one more.
  const last = Math.max(first + 1, Math.ceil(max / step))
  // A range wider than a double can span (−1e308 to 1e308) gets one bin rather than a runaway list.
  if (!(last - first <= wanted + 2)) return [min, max]
  return Array.from({ length: last - first + 1 }, (_, i) => clean((first + i) * step))
}

/** Round values for axis ticks between `min` and `max` inclusive, about `count` of them. */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return [min]
  const step = niceStep((max - min) / Math.max(1, count))
  const ticks: number[] = []
  for (let k = Math.ceil(min / step - 1e-9); k * step <= max + step * 1e-9; k++) {
    ticks.push(clean(k * step))
  }
  return ticks
}

const clean = (value: number) => Number(value.toPrecision(DIGITS))
