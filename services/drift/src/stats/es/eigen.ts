// Jacobi sweeps until the off-diagonal part is below rounding of the diagonal.
const MAX_SWEEPS = 100

/**
 * Eigenvalues and eigenvectors (columns of the row-major `vectors`) of a small symmetric matrix,
 * by cyclic Jacobi rotations: accurate to rounding relative to the largest eigenvalue, which is
 * all a pseudo-inverse of a covariance needs.
 */
export function symmetricEigen(matrix: Float64Array, size: number) {
  const a = Float64Array.from(matrix)
  const vectors = new Float64Array(size * size)
  for (let i = 0; i < size; i++) vectors[i * size + i] = 1
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0
    for (let p = 0; p < size; p++)
      for (let q = p + 1; q < size; q++) off += (a[p * size + q] as number) ** 2
    if (off === 0) break
    for (let p = 0; p < size; p++) {
      for (let q = p + 1; q < size; q++) {
        const apq = a[p * size + q] as number
        if (apq === 0) continue
        const app = a[p * size + p] as number
        const aqq = a[q * size + q] as number
        // The rotation angle that zeroes a[p][q] (Rutishauser's stable form).
        const theta = (aqq - app) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < size; k++) {
          const akp = a[k * size + p] as number
          const akq = a[k * size + q] as number
          a[k * size + p] = c * akp - s * akq
          a[k * size + q] = s * akp + c * akq
        }
        for (let k = 0; k < size; k++) {
          const apk = a[p * size + k] as number
          const aqk = a[q * size + k] as number
          a[p * size + k] = c * apk - s * aqk
          a[q * size + k] = s * apk + c * aqk
        }
        for (let k = 0; k < size; k++) {
          const vkp = vectors[k * size + p] as number
          const vkq = vectors[k * size + q] as number
          vectors[k * size + p] = c * vkp - s * vkq
          vectors[k * size + q] = s * vkp + c * vkq
        }
      }
    }
  }
  const values = Array.from({ length: size }, (_, i) => a[i * size + i] as number)
  return { values, vectors }
}
