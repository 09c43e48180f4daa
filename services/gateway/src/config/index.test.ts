import { describe, expect, it } from 'vitest'
import { parseGatewayConfig } from './index.ts'

const yaml = `
routes:
  - model: iris
    variants:
      - { name: stable, weight: 90, targets: [http://a:8080] }
      - { name: canary, weight: 10, targets: [http://b:8080, http://c:8080] }
    sticky: { header: x-user-id }
    shadow: { targets: [http://s:8080], sample: 0.1 }
  - model: '*'
    variants: [{ name: default, weight: 100, targets: [http://d:8080] }]
    timeout_ms: 500
    retries: 0
auth:
  api_keys: []
rate_limits:
  default: { rate: 10, burst: 20 }
`

describe('parseGatewayConfig', () => {
  it('reads YAML and applies defaults', () => {
    const config = parseGatewayConfig(yaml, 'gateway.yaml')
    expect(config.routes[0]).toMatchObject({ model: 'iris', timeout_ms: 10_000, retries: 1 })
    expect(config.routes[1]).toMatchObject({ model: '*', timeout_ms: 500, retries: 0 })
    expect(config.limits.max_body_bytes).toBe(32 * 1024 * 1024)
    expect(config.breaker).toEqual({ failures: 5, open_ms: 10_000 })
    expect(config.auth.open_paths).toEqual(['/v2/health/live', '/v2/health/ready'])
    expect(config.health_checks).toBeUndefined()
  })

  it('reads JSON', () => {
    const json = JSON.stringify({
      routes: [{ model: 'm', variants: [{ name: 'v', weight: 100, targets: ['http://a'] }] }],
      health_checks: {},
    })
    const config = parseGatewayConfig(json, 'gateway.json')
    expect(config.health_checks).toEqual({
      interval_ms: 5000,
      path: '/v2/health/ready',
      unhealthy_after: 3,
      healthy_after: 2,
      timeout_ms: 2000,
    })
  })

  it('names the file and the key path of each problem', () => {
    const bad = yaml.replace('weight: 10,', 'weight: 20,').replace('sample: 0.1', 'sample: 2')
    const error = () => parseGatewayConfig(bad, 'conf/gateway.yaml')
    expect(error).toThrow(/^conf\/gateway\.yaml is invalid: /)
    expect(error).toThrow(/routes\.0\.variants: weights sum to 110, not 100/)
    expect(error).toThrow(/routes\.0\.shadow\.sample: /)
  })

  it('refuses unknown keys, non-URL targets, duplicate routes and variants', () => {
    const routes = (extra: string) => `routes:
  - model: m
    variants:
      - { name: v, weight: 50, targets: [not-a-url] }
      - { name: v, weight: 50, targets: [http://a] }
  - model: m
    variants: [{ name: v, weight: 100, targets: [http://a] }]
${extra}`
    const error = () => parseGatewayConfig(routes('typo: 1'), 'g.yaml')
    expect(error).toThrow(/routes\.0\.variants\.0\.targets\.0: /)
    expect(error).toThrow(/routes\.0\.variants\.1\.name: duplicate variant v/)
    expect(error).toThrow(/routes\.1\.model: duplicate route m/)
    expect(error).toThrow(/\(root\): Unrecognized key: "typo"/)
  })

  it('reads a registry to follow, with defaults; routes are then optional', () => {
    const config = parseGatewayConfig(
      'registry: { url: http://registry:8083, targets: [http://inference:8082] }',
      'gateway.yaml',
    )
    expect(config.registry).toEqual({
      url: 'http://registry:8083',
      poll_seconds: 5,
      targets: ['http://inference:8082'],
      timeout_ms: 5000,
    })
    expect(config.routes).toEqual([])
  })

  it('names the registry keys at fault, and wants routes or a registry', () => {
    const error = () =>
      parseGatewayConfig(
        'registry: { url: registry, poll_seconds: 0, targets: [], typo: 1 }',
        'g.yaml',
      )
    expect(error).toThrow(/registry\.url: /)
    expect(error).toThrow(/registry\.poll_seconds: /)
    expect(error).toThrow(/registry\.targets: /)
    expect(error).toThrow(/registry: Unrecognized key: "typo"/)
    expect(() => parseGatewayConfig('auth: {}', 'g.yaml')).toThrow(
      /^g\.yaml is invalid: routes: a gateway needs at least one route, or a registry to follow$/,
    )
  })

  it('reads registry groups, each model in one; targets or groups are needed', () => {
    const config = parseGatewayConfig(
      `registry:
  url: http://registry:8083
  groups:
    - { models: [bert], targets: [http://inference-cpu:8082] }
    - { models: [resnet, yolo], targets: [http://inference-gpu:8082] }`,
      'gateway.yaml',
    )
    expect(config.registry?.groups).toEqual([
      { models: ['bert'], targets: ['http://inference-cpu:8082'] },
      { models: ['resnet', 'yolo'], targets: ['http://inference-gpu:8082'] },
    ])
    expect(config.registry?.targets).toBeUndefined()

    const error = (registry: string) => () =>
      parseGatewayConfig(`registry: { url: http://registry:8083, ${registry} }`, 'g.yaml')
    expect(error('poll_seconds: 5')).toThrow(
      /^g\.yaml is invalid: registry\.targets: the registry needs targets, groups or both/,
    )
    expect(
      error(`targets: [http://a], groups: [
        { models: [yolo, bert], targets: [http://b] },
        { models: [resnet, bert], targets: [http://c] }]`),
    ).toThrow(
      /^g\.yaml is invalid: registry\.groups\.1\.models\.1: bert is already in group 0: a model follows the registry in one group$/,
    )
    expect(error('groups: [{ models: [], targets: [http://b] }, { models: [x] }]')).toThrow(
      /registry\.groups\.0\.models: .*; registry\.groups\.1\.targets: /,
    )
    expect(error('groups: []')).toThrow(/registry\.groups: /)
  })

  it('names the file when the text does not parse', () => {
    expect(() => parseGatewayConfig('routes: [', 'broken.yaml')).toThrow(
      /^broken\.yaml is not valid JSON or YAML: /,
    )
  })
})
