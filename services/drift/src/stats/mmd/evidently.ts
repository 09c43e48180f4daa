/**
 * Evidently's mmd_stattest in numpy (numpy 2 spells its percentile option `method`), for the tests
 * and the bench to run beside empiricalMmd. It defines `evidently_mmd(ref, cur, cap)`: numpy's
 * global generator seeded with 0 (Evidently leaves it unseeded), each sample above `cap` values
 * cut by np.random.choice as empiricalMmd cuts it, then Evidently's code unchanged.
 */
export const EVIDENTLY_MMD_PY = `
def _squared_paired_dist(x, y):
    return (y**2).T - 2 * np.dot(x, y.T) + x**2
def _sigma_median(dist):
    sigma = (0.5 * np.percentile(a=dist.flatten(), q=50, method="nearest")) ** 0.5
    return (0.5 * 1) ** 0.5 if sigma == 0 else sigma
def _rbf(x, y, pass_sigma):
    dist = _squared_paired_dist(x, y)
    sigma = _sigma_median(dist)
    if pass_sigma:
        sigma = pass_sigma
    return np.exp(-(1.0 / (2.0 * sigma**2)) * dist), sigma
def _kernel_matrix(x, y):
    kxx, s = _rbf(x, x, None)
    kxy, _ = _rbf(x, y, s)
    kyy, _ = _rbf(y, y, s)
    return np.concatenate((np.concatenate((kxx, kxy), axis=1), np.concatenate((kxy.T, kyy), axis=1)), axis=0)
def _mmd_2samp(k, m, permute=False):
    n = k.shape[0] - m
    if permute:
        index = np.random.permutation(k.shape[0])
        k = k[index][:, index]
    kxx, kyy, kxy = k[:-m, :-m], k[-m:, -m:], k[-m:, :-m]
    return 1 / (n * (n - 1)) * kxx.sum() + 1 / (m * (m - 1)) * kyy.sum() - 2.0 * kxy.mean()
def evidently_mmd(ref, cur, cap):
    np.random.seed(0)
    ref, cur = np.asarray(ref, dtype=np.float64), np.asarray(cur, dtype=np.float64)
    if len(ref) > cap: ref = np.random.choice(ref, cap, replace=False)
    if len(cur) > cap: cur = np.random.choice(cur, cap, replace=False)
    x, y = ref.reshape(-1, 1), cur.reshape(-1, 1)
    k = _kernel_matrix(x, y)
    k = k - np.diag(np.diagonal(k))
    mmd = _mmd_2samp(k, y.shape[0])
    permuted = np.array([_mmd_2samp(k, y.shape[0], permute=True) for _ in range(100)])
    return [mmd, (mmd <= permuted).mean()]
`
