import { describe, expect, it } from 'vitest'
import { modelFromPath, pinVersion } from './paths.ts'

describe('modelFromPath', () => {
  it.each([
    ['/v2/models/iris', 'iris'],
    ['/v2/models/iris/ready', 'iris'],
    ['/v2/models/iris/versions/3/infer', 'iris'],
    ['/v2/models/my%20model/infer', 'my model'],
    ['/v1/models/iris', 'iris'],
    ['/v1/models/iris:predict', 'iris'],
    ['/v1/models/iris:explain', 'iris'],
  ])('reads the model of %s', (path, model) => {
    expect(modelFromPath(path)).toBe(model)
  })

  it.each([
    '/v2',
    '/v2/models',
    '/v2/models/',
    '/v2/health/ready',
    '/v1/models/a/b',
    '/v2/models/%E0%A4',
  ])('finds no model in %s', (path) => {
    expect(modelFromPath(path)).toBeUndefined()
  })
})

describe('pinVersion', () => {
  it.each([
    ['/v2/models/m/infer', '/v2/models/m/versions/3/infer'],
    ['/v2/models/m', '/v2/models/m/versions/3'],
    ['/v2/models/m/ready', '/v2/models/m/versions/3/ready'],
    ['/v2/models/m/versions/1/infer', '/v2/models/m/versions/1/infer'],
    ['/v1/models/m:predict', '/v1/models/m/versions/3:predict'],
    ['/v1/models/m', '/v1/models/m/versions/3'],
    ['/v2/health/ready', '/v2/health/ready'],
  ])('%s → %s', (path, pinned) => {
    expect(pinVersion(path, '3')).toBe(pinned)
  })
})
