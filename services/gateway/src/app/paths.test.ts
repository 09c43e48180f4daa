import { describe, expect, it } from 'vitest'
import { modelFromPath } from './paths.ts'

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
