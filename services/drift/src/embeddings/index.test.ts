import { describe, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../testing/tools/index.ts'
import { DriftInputError } from '../detect/index.ts'
import { python, random, relativeError } from '../stats/testing/index.ts'
import { choice, RandomState, uniform } from './draws.ts'
import {
  DISTANCES,
  embeddingDrift,
  type Matrix,
  rocAuc,
  vectorDistance,
  vectorMatrix,
} from './index.ts'
import { heldOutSplit, randomClassifierAucs } from './model.ts'

/** `rows` gaussian vectors of `dim` components, each shifted by `shift`. */
function gaussians(seed: number, rows: number, dim: number, shift = 0): Matrix {
  return { rows, dim, data: random(seed).normals(rows * dim, shift) }
}
const toRows = (m: Matrix) =>
  Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.dim, (r + 1) * m.dim)))

const reference = gaussians(1, 300, 32)
const same = gaussians(2, 200, 32)
const shifted = gaussians(3, 200, 32, 0.3)

describe('embeddingDrift', () => {
  it('tells shifted gaussians from the same distribution with every method', () => {
    // Enough rows that each component's normed Wasserstein distance stays under 0.1 (ratio).
    const [base, alike, moved] = [
      gaussians(11, 1500, 32),
      gaussians(12, 1000, 32),
      gaussians(13, 1000, 32, 0.3),
    ]
    for (const method of ['model', 'ratio', 'mmd', 'distance'] as const) {
      // The distance between two samples' means grows with √dim: 0.2 is too low for 32
      // components, and the bootstrap quantile is the bound that scales.
      const options = { method, bootstrap: method === 'distance' || undefined }
      expect(embeddingDrift('e', base, alike, options).drifted, method).toBe(false)
      expect(embeddingDrift('e', base, moved, options).drifted, method).toBe(true)
    }
  })

  it("defaults to Evidently's model, bootstrapped below 1,000 reference rows", () => {
    const drift = embeddingDrift('e', reference, shifted)
    expect(drift).toMatchObject({
      type: 'embedding',
      method: 'model',
      dimension: 32,
      bootstrap: true,
    })
    // The best possible AUC here is Φ(0.3·√32 / √2) ≈ 0.885.
    expect(drift.statistic).toBeGreaterThan(0.8)
    const still = embeddingDrift('e', reference, same)
    expect(Math.abs(still.statistic - 0.5)).toBeLessThan(0.1)
    expect(embeddingDrift('e', reference, same, { bootstrap: false }).threshold).toBe(0.55)
  })

  it('is deterministic', () => {
    for (const method of ['model', 'mmd'] as const) {
      expect(embeddingDrift('e', reference, shifted, { method })).toEqual(
        embeddingDrift('e', reference, shifted, { method }),
      )
    }
  })

  it('names the column for vectors it cannot compare', () => {
    const narrow = gaussians(4, 10, 8)
    expect(() => embeddingDrift('emb', reference, narrow)).toThrow(
      "column 'emb': reference vectors have 32 values, current ones 8",
    )
    expect(() => embeddingDrift('emb', reference, gaussians(5, 1, 32))).toThrow(
      /at least 2 current/,
    )
    expect(() =>
      embeddingDrift('emb', reference, same, { method: 'ratio', componentMethod: 'chisquare' }),
    ).not.toThrow()
    expect(() =>
      embeddingDrift('emb', reference, same, { method: 'distance', distance: 'hamming' as never }),
    ).toThrow(DriftInputError)
  })
})

describe('vectorMatrix', () => {
  const source = { column: 'emb', sample: 'current' }
  it('reads arrays and JSON text, dropping missing cells', () => {
    const m = vectorMatrix(['[1, 2]', null, [3, 4], ' [5,6e-1]'], source)
    expect(m).toEqual({ rows: 3, dim: 2, data: Float64Array.from([1, 2, 3, 4, 5, 0.6]) })
  })

  it('names the column and row of a bad cell', () => {
    expect(() => vectorMatrix(['[1, 2]', '[1, 2, 3]'], source)).toThrow(
      "column 'emb', current row 2: 3 values where the column's vectors have 2",
    )
    expect(() => vectorMatrix(['[1, "a"]'], source)).toThrow(
      'current row 1: value 1 is "a", not a finite number',
    )
    expect(() => vectorMatrix(['[1, null]'], source)).toThrow('value 1 is null')
    expect(() => vectorMatrix(['[1, 2'], { ...source, where: (r) => `line ${r + 2}` })).toThrow(
      "column 'emb', current line 2: not a JSON array of numbers",
    )
    expect(() => vectorMatrix([`[${'0,'.repeat(4096)}0]`], source)).toThrow(
      '4097 values, over the limit of 4096',
    )
    expect(() => vectorMatrix([`[${' '.repeat(200_000)}]`], source)).toThrow('too long')
    expect(() => vectorMatrix([null], source)).toThrow(
      "column 'emb' has no vectors in the current data",
    )
  })
})

describe('rocAuc', () => {
  it('counts tied scores half', () => {
    expect(rocAuc([1, 0, 1, 0], [0.9, 0.1, 0.5, 0.5])).toBe(0.875)
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN()
  })
})

describeWith(installed('scipy'), 'embedding drift against numpy and scipy', () => {
  const expected = python<{
    numpy: { choice: number[]; rand: number[]; permutations: number[][] }
    distances: number[][]
    auc: number[]
    split: number[][]
    randomAucs: number[]
    evidently: Record<string, { statistic: number; threshold: number; drifted: boolean }>
    pValue: number
  }>(
    `
np.random.seed(7)
choice = np.random.choice(1000, 50).tolist()
rand = np.random.rand(5).tolist()
permutations = [np.random.RandomState(42).permutation(n).tolist() for n in (2, 7, 500)]
ref, cur, shifted = (np.array(m) for m in (data['reference'], data['same'], data['shifted']))
u, v = ref.mean(axis=0), shifted.mean(axis=0)
distances = [[getattr(spatial.distance, name)(a, b) for name in data['distances']]
             for a, b in ((u, v), (ref[0], cur[0]), (ref[1], -ref[1]))]

def trapezoid_auc(y, s):
    # The ROC curve's area, as sklearn draws it: thresholds at each distinct score.
    y, s = np.asarray(y), np.asarray(s)
    order = np.argsort(-s, kind='mergesort')
    y, s = y[order], s[order]
    last = np.r_[np.where(np.diff(s))[0], len(s) - 1]
    tps, fps = np.cumsum(y)[last], (1 + last) - np.cumsum(y)[last]
    tpr, fpr = np.r_[0, tps] / tps[-1], np.r_[0, fps] / fps[-1]
    return float(np.trapezoid(tpr, fpr))
auc = [trapezoid_auc(y, s) for y, s in data['auc']]

n = len(ref) + len(shifted)
perm = np.random.RandomState(42).permutation(n)
n_test = int(np.ceil(0.5 * n))
split = [perm[:n_test].tolist(), perm[n_test:].tolist()]
y_test = np.array([1 if i < len(ref) else 0 for i in perm[:n_test]])
def random_auc(i):
    np.random.seed(i)
    return trapezoid_auc(y_test, np.random.rand(len(y_test)))
randomAucs = [random_auc(i) for i in range(100)]

# Evidently's DistanceDriftMethod and MMDDriftMethod, pandas and sklearn written out in numpy.
def distance(r, c, dist, bootstrap):
    res = getattr(spatial.distance, dist)(r.mean(axis=0), c.mean(axis=0))
    if not bootstrap:
        return res, 0.2
    b_ref = int(r.shape[0] ** 2 / (r.shape[0] + c.shape[0]))
    b_cur = int(c.shape[0] * r.shape[0] / (r.shape[0] + c.shape[0]))
    out = []
    for i in range(100):
        np.random.seed(i)
        a = np.random.choice(r.shape[0], b_ref)
        b = np.random.choice(r.shape[0], b_cur)
        out.append(getattr(spatial.distance, dist)(r[a].mean(axis=0), r[b].mean(axis=0)))
    return res, np.percentile(out, 95)

def mmd2u(K, xi, yi):
    m, n = len(xi), len(yi)
    Kx, Ky, Kxy = K[np.ix_(xi, xi)], K[np.ix_(yi, yi)], K[np.ix_(xi, yi)]
    return (1.0 / (m * (m - 1.0)) * (Kx.sum() - Kx.diagonal().sum())
            + 1.0 / (n * (n - 1.0)) * (Ky.sum() - Ky.diagonal().sum())
            - 2.0 / (m * n) * Kxy.sum())

def mmd(x, y, bootstrap):
    m, n = len(x), len(y)
    sigma2 = np.median(spatial.distance.cdist(x, y)) ** 2
    xy = np.vstack([x, y])
    K = np.exp(-spatial.distance.cdist(xy, xy, 'sqeuclidean') / sigma2)
    stat = mmd2u(K, np.arange(m), np.arange(m, m + n))
    if not bootstrap:
        return stat, 0.015
    Kx = np.exp(-spatial.distance.cdist(x, x, 'sqeuclidean') / np.median(spatial.distance.cdist(x, x)) ** 2)
    xs, ys = max(int(m * m / (m + n)), 1), max(int(m * n / (m + n)), 1)
    out = []
    for i in range(100):
        np.random.seed(i)
        a, b = np.random.choice(m, xs), np.random.choice(m, ys)
        out.append(mmd2u(Kx, a, b))
    return stat, np.percentile(out, 5)

def ratio(r, c):
    drifted = sum(stats.wasserstein_distance(r[:, j], c[:, j]) / max(np.std(r[:, j]), 0.001) >= 0.1
                  for j in range(r.shape[1]))
    return drifted / r.shape[1], 0.2

evidently = {}
for name, cur_ in (('same', cur), ('shifted', shifted)):
    for dist in data['distances']:
        for b in (False, True):
            s, t = distance(ref, cur_, dist, b)
            evidently[f'distance {dist} {b} {name}'] = s, t
    for b in (False, True):
        s, t = mmd(ref, cur_, b)
        evidently[f'mmd {b} {name}'] = s, t
    evidently[f'ratio {name}'] = ratio(ref, cur_)
evidently = {k: {'statistic': float(s), 'threshold': float(t), 'drifted': bool(s > t)} for k, (s, t) in evidently.items()}

x, y = ref, shifted[:40] - 0.28
m = len(x)
sigma2 = np.median(spatial.distance.cdist(x, y)) ** 2
xy = np.vstack([x, y])
K = np.exp(-spatial.distance.cdist(xy, xy, 'sqeuclidean') / sigma2)
observed = mmd2u(K, np.arange(m), np.arange(m, len(xy)))
hits = 0
for i in range(100):
    p = np.random.RandomState(i).permutation(len(xy))
    hits += mmd2u(K, p[:m], p[m:]) >= observed
pValue = (hits + 1) / 101
result = dict(numpy=dict(choice=choice, rand=rand, permutations=permutations), distances=distances,
              auc=auc, split=split, randomAucs=randomAucs, evidently=evidently, pValue=pValue)
`,
    {
      reference: toRows(reference),
      same: toRows(same),
      shifted: toRows(shifted),
      distances: DISTANCES,
      auc: [
        [
          [1, 0, 1, 0, 1, 1, 0],
          [0.3, 0.3, 0.9, 0.1, 0.3, 0.5, 0.5],
        ],
        [
          Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 1 : 0)),
          Array.from(random(9).integers(300, 20)),
        ],
      ],
    },
  )

  it("draws numpy's legacy RandomState numbers", () => {
    const { numpy } = expected()
    const r = new RandomState(7)
    expect(Array.from(choice(r, 1000, 50))).toEqual(numpy.choice)
    expect(Array.from({ length: 5 }, () => uniform(r))).toEqual(numpy.rand)
    expect([2, 7, 500].map((n) => Array.from(new RandomState(42).permutation(n)))).toEqual(
      numpy.permutations,
    )
  })

  it('gives scipy.spatial.distance', () => {
    const pairs: Array<[Float64Array, Float64Array]> = [
      [mean(reference), mean(shifted)],
      [row(reference, 0), row(same, 0)],
      [row(reference, 1), row(reference, 1).map((v) => -v)],
    ]
    pairs.forEach(([u, v], p) => {
      DISTANCES.forEach((name, d) => {
        expect(
          relativeError(vectorDistance(name, u, v), expected().distances[p]?.[d] as number),
        ).toBeLessThan(1e-12)
      })
    })
  })

  it('gives the area under the ROC curve, ties included', () => {
    expect(rocAuc([1, 0, 1, 0, 1, 1, 0], [0.3, 0.3, 0.9, 0.1, 0.3, 0.5, 0.5])).toBeCloseTo(
      expected().auc[0] as number,
      14,
    )
    const labels = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? 1 : 0))
    expect(rocAuc(labels, random(9).integers(300, 20))).toBeCloseTo(expected().auc[1] as number, 14)
  })

  it("holds out train_test_split's rows and bootstraps Evidently's random classifiers", () => {
    const split = heldOutSplit(reference.rows + shifted.rows)
    expect([Array.from(split.test), Array.from(split.train)]).toEqual(expected().split)
    const labels = Array.from(split.test, (i) => (i < reference.rows ? 1 : 0))
    const aucs = randomClassifierAucs(labels)
    aucs.forEach((auc, i) => {
      expect(auc).toBeCloseTo(expected().randomAucs[i] as number, 13)
    })
  })

  it("gives Evidently's distance, mmd and ratio scores, quantiles and decisions", () => {
    const currents = { same, shifted }
    for (const [key, want] of Object.entries(expected().evidently)) {
      const [method, ...rest] = key.split(' ')
      const current = currents[rest.at(-1) as 'same' | 'shifted']
      const drift =
        method === 'distance'
          ? embeddingDrift('e', reference, current, {
              method,
              distance: rest[0] as (typeof DISTANCES)[number],
              bootstrap: rest[1] === 'True',
            })
          : embeddingDrift('e', reference, current, {
              method: method as 'mmd' | 'ratio',
              bootstrap: rest[0] === 'True',
            })
      expect(drift.drifted, key).toBe(want.drifted)
      expect(
        Math.abs(drift.statistic - Math.max(want.statistic, method === 'mmd' ? 0 : -Infinity)),
        key,
      ).toBeLessThan(1e-12 + 1e-10 * Math.abs(want.statistic))
      expect(Math.abs(drift.threshold - want.threshold), key).toBeLessThan(
        1e-12 + 1e-10 * Math.abs(want.threshold),
      )
    }
  })

  it("gives mmd's seeded permutation p-value", () => {
    const y = { rows: 40, dim: 32, data: shifted.data.subarray(0, 40 * 32).map((v) => v - 0.28) }
    const drift = embeddingDrift('e', reference, y, { method: 'mmd' })
    expect(drift.p_value).toBe(expected().pValue)
  })
})

const row = (m: Matrix, r: number) => m.data.slice(r * m.dim, (r + 1) * m.dim)
function mean(m: Matrix) {
  const out = new Float64Array(m.dim)
  for (let r = 0; r < m.rows; r++)
    for (let j = 0; j < m.dim; j++)
      out[j] = (out[j] as number) + (m.data[r * m.dim + j] as number) / m.rows
  return out
}
