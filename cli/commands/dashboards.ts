import { writeDashboards } from '../../dashboards/build.ts'
import { defineCommand, defineGroup } from '../args.ts'

export const command = defineGroup('Grafana dashboards generated from the metrics and SLOs.', {
  build: defineCommand({
    summary:
      "Writes the Grafana dashboards (inference, drift, gateway, SLOs, GPU and cluster) as DIR/<name>.json, classic dashboard JSON for Grafana's file provisioning or its dashboard sidecar.",
    options: {
      out: { type: 'string', value: 'DIR', required: true, description: 'where to write them' },
    },
    run: async ({ values }) => {
      for (const file of writeDashboards(values.out)) console.log(file)
    },
  }),
})
