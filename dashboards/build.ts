// Writes the generated files: what `infera alerts build` and `infera dashboards build` run.
// Node-only, unlike the builders in index.ts.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import {
  type AlertReceivers,
  buildAlertmanagerConfig,
  buildDashboards,
  buildPrometheusRule,
  ruleFiles,
} from './index.ts'

/** YAML as Prometheus and Kubernetes read it: no anchors, long expressions kept on one line. */
export const toYaml = (value: unknown) =>
  stringify(value, { aliasDuplicateObjects: false, lineWidth: 0 })

function write(path: string, text: string) {
  writeFileSync(path, text.endsWith('\n') ? text : `${text}\n`)
  return path
}

export interface AlertsBuildOptions {
  outDir: string
  receivers: AlertReceivers
  /** Where the PrometheusRule goes. */
  namespace: string
}

/** `rules/*.yaml`, `prometheusrule.yaml` and `alertmanager.yaml`; returns the paths written. */
export function writeAlerts({ outDir, receivers, namespace }: AlertsBuildOptions): string[] {
  mkdirSync(join(outDir, 'rules'), { recursive: true })
  const rules = Object.entries(ruleFiles()).map(([name, file]) =>
    write(join(outDir, 'rules', `${name}.yaml`), toYaml(file)),
  )
  const manifest = buildPrometheusRule({ name: 'infera', namespace })
  return [
    ...rules,
    write(join(outDir, 'prometheusrule.yaml'), toYaml(manifest)),
    write(join(outDir, 'alertmanager.yaml'), toYaml(buildAlertmanagerConfig(receivers))),
  ]
}

/** One `<name>.json` per dashboard; returns the paths written. */
export function writeDashboards(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true })
  return Object.entries(buildDashboards()).map(([name, dashboard]) =>
    write(join(outDir, `${name}.json`), JSON.stringify(dashboard, null, 2)),
  )
}
