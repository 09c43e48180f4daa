export { type ReportOptions, renderDriftReport } from './render.ts'
