export { type ReportOptions, renderDriftReport } from './render.ts'
export { MAX_TIMELINE_WINDOWS } from './timeline.ts'
