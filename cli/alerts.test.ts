import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { buildDashboards, buildRuleGroups, ruleFiles } from '../dashboards/index.ts'
import { tempDir } from '../services/inference/src/testing/index.ts'
import { describeWith, installed, run } from '../testing/tools/index.ts'

const root = fileURLToPath(new URL('../', import.meta.url))

function infera(...args: string[]) {
  return run(process.execPath, ['bin/infera.js', ...args], { cwd: root })
}

const receivers = join(tempDir('infera-receivers-'), 'receivers.yaml')
writeFileSync(
  receivers,
  `pagerduty: { routingKey: a-routing-key }
slack: { webhookUrl: 'https://hooks.slack.com/services/T0/B0/x', channel: '#infera-alerts' }
email: { to: oncall@example.com, from: alerts@example.com, smarthost: 'smtp.example.com:587' }
`,
)

describeWith(installed('promtool', 'amtool'), 'infera alerts build', (tools) => {
  it('writes rule files, a PrometheusRule and an Alertmanager config that the tools accept', async () => {
    const out = tempDir('infera-alerts-')
    const built = await infera('alerts', 'build', '--out', out, '--receivers', receivers)
    expect(built.status, built.output).toBe(0)
    const rules = readdirSync(join(out, 'rules')).sort()
    expect(rules).toEqual(['ml.yaml', 'platform.yaml', 'slo.yaml'])

    const check = await run(tools.promtool, [
      'check',
      'rules',
      ...rules.map((r) => join(out, 'rules', r)),
    ])
    expect(check.status, check.output).toBe(0)
    for (const [name, file] of Object.entries(ruleFiles())) {
      expect(parse(readFileSync(join(out, 'rules', `${name}.yaml`), 'utf8'))).toEqual(file)
    }

    const manifest = parse(readFileSync(join(out, 'prometheusrule.yaml'), 'utf8'))
    expect(manifest).toMatchObject({
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'infera', namespace: 'monitoring' },
      spec: buildRuleGroups(),
    })

    const config = join(out, 'alertmanager.yaml')
    const amtool = await run(tools.amtool, ['check-config', config])
    expect(amtool.status, amtool.output).toBe(0)
    expect(
      parse(readFileSync(config, 'utf8')).receivers.map((r: { name: string }) => r.name),
    ).toEqual(['blackhole', 'pagerduty', 'slack', 'email'])
  })
})

describe('infera alerts and dashboards', () => {
  it('names the key of a receivers file it cannot use', async () => {
    const bad = join(tempDir('infera-receivers-'), 'bad.json')
    writeFileSync(bad, JSON.stringify({ slack: { webhookUrl: 'not a url', channel: '#a' } }))
    const result = await infera('alerts', 'build', '--out', tempDir(), '--receivers', bad)
    expect(result.status).toBe(1)
    expect(result.output).toContain('slack.webhookUrl')
  })

  it('dashboards build writes one JSON file per dashboard', async () => {
    const out = tempDir('infera-dashboards-')
    const built = await infera('dashboards', 'build', '--out', out)
    expect(built.status, built.output).toBe(0)
    const dashboards = buildDashboards()
    expect(readdirSync(out).sort()).toEqual(
      Object.keys(dashboards)
        .map((n) => `${n}.json`)
        .sort(),
    )
    for (const [name, json] of Object.entries(dashboards)) {
      expect(JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8'))).toEqual(json)
    }
  })

  it('asks for --out', async () => {
    const result = await infera('dashboards', 'build')
    expect(result.status).toBe(2)
    expect(result.output).toContain('--out DIR is required')
  })
})
