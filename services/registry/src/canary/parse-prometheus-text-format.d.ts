// parse-prometheus-text-format ships no types; this is the part used here (prom2json's shape).
declare module 'parse-prometheus-text-format' {
  /** One series of a counter, gauge or untyped family; the number as the text wrote it. */
  export interface Sample {
    labels?: Record<string, string>
    value?: string
  }
  export interface MetricFamily {
    name: string
    help: string
    type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
    metrics: Sample[]
  }
  export default function parsePrometheusTextFormat(text: string): MetricFamily[]
}
