/**
 * The report as a reader sees it: rendered by Debian's Chromium, headless, from a file, with a
 * full-page screenshot checked for content and the two series colours.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type BrowserContext, chromium } from 'playwright-core'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { describeWith, installed } from '../../../../testing/tools/index.ts'
import { SERIES_COLOURS } from './chart.ts'
import { penguinsEvaluation, penguinsHistory } from './fixture.ts'
import { renderDriftReport } from './index.ts'
import { PAGE_BACKGROUND } from './style.ts'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const WIDTH = 1280

describeWith(installed('chromium'), 'drift report in headless Chromium', (tools) => {
  let dir = ''
  let context: BrowserContext | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'drift-report-'))
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: tools.chromium,
      args: ARGS,
      viewport: { width: WIDTH, height: 900 },
    })
  })

  afterAll(async () => {
    await context?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('draws the whole report, charts in both series colours, without touching the network', async () => {
    if (!context) throw new Error('no browser')
    const evaluation = await penguinsEvaluation()
    const file = join(dir, 'report.html')
    writeFileSync(file, renderDriftReport(evaluation))
    const url = pathToFileURL(file).href

    const requests: string[] = []
    const errors: string[] = []
    context.on('request', (request) => {
      if (request.url() !== url) requests.push(request.url())
    })
    const page = await context.newPage()
    // A CSP violation, for one, is reported only on the console.
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text())
    })
    page.on('pageerror', (error) => errors.push(error.message))
    await page.goto(url, { waitUntil: 'load' })

    // Every chart drawn nearly full width, and nothing wider than the window.
    const charts = await page.locator('svg.chart').all()
    expect(charts).toHaveLength(Object.keys(evaluation.drift.features).length)
    for (const chart of charts) expect((await chart.boundingBox())?.width).toBeGreaterThan(1000)
    // A string, evaluated in the page: the project's TypeScript has no DOM types.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(WIDTH)

    const png = PNG.sync.read(await page.screenshot({ fullPage: true }))
    expect(png.width).toBe(WIDTH)
    expect(png.height).toBeGreaterThan(2000)
    const pixels = tally(png)
    // Measured: a quarter of the page is content, ~200k pixels per series, ~12k of dark ink.
    expect(pixels.content / pixels.total).toBeGreaterThan(0.15)
    expect(pixels.dark).toBeGreaterThan(5_000)
    expect(pixels.reference).toBeGreaterThan(100_000)
    expect(pixels.current).toBeGreaterThan(100_000)

    expect(requests).toEqual([])
    expect(errors).toEqual([])
  })

  it('shows a reader the rule, round axis labels past the reference, statistics and drift over time', async () => {
    if (!context) throw new Error('no browser')
    const history = await penguinsHistory(6)
    const latest = history.at(-1) as (typeof history)[number]
    const file = join(dir, 'service-report.html')
    writeFileSync(file, renderDriftReport(latest, { history }))
    const page = await context.newPage()
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })

    const rule = page.getByText(
      /Dataset drift is detected when the share of drifted features is at least 50%/,
    )
    expect(await rule.isVisible()).toBe(true)

    const card = page.locator('article.feature', {
      has: page.locator('h3', { hasText: /^body_mass_g$/ }),
    })
    // The axis reaches the heaviest current penguin, in round labels, each drawn on screen.
    const labels = card.locator('g.x-labels text')
    const values = (await labels.allTextContents()).map(Number)
    expect(values.every(Number.isInteger)).toBe(true)
    const step = (values[1] as number) - (values[0] as number)
    expect(values.every((v) => v % step === 0)).toBe(true)
    const summary = latest.summaries?.body_mass_g
    if (summary?.type !== 'numerical') throw new Error('body_mass_g is numerical')
    const heaviest = summary.current.max as number
    expect(heaviest).toBeGreaterThan(summary.reference.max as number)
    const edges = latest.distributions.body_mass_g
    if (edges?.type !== 'numerical') throw new Error('body_mass_g is numerical')
    expect(edges.edges.at(-1)).toBeGreaterThanOrEqual(heaviest)
    for (const label of await labels.all())
      expect((await label.boundingBox())?.width).toBeGreaterThan(0)

    const stats = card.locator('table.stats')
    expect(await stats.isVisible()).toBe(true)
    const max = await stats.locator('tr', { hasText: /^Max/ }).locator('td').allTextContents()
    expect(max).toEqual([String(summary.reference.max), String(summary.current.max)])

    const overTime = page.locator('section[aria-labelledby="over-time"]')
    const lineCharts = overTime.locator('svg.line-chart')
    expect(await lineCharts.count()).toBe(1 + Object.keys(latest.drift.features).length)
    expect(await lineCharts.first().locator('circle').count()).toBe(history.length)
    const line = await lineCharts.first().locator('path').boundingBox()
    expect(line?.width).toBeGreaterThan(200)
    expect(line?.height).toBeGreaterThan(10)
    const png = PNG.sync.read(await overTime.screenshot())
    const pixels = tally(png)
    expect(pixels.content / pixels.total).toBeGreaterThan(0.05)
    expect(pixels.reference).toBeGreaterThan(500)
    await page.close()
  })
})

/**
 * Pixel counts: content is anything but white and the page background; dark is text-dark ink;
 * reference and current are the series colours, give or take rounding.
 */
function tally(png: PNG) {
  const target = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16))
  const near = (r: number, g: number, b: number, [tr, tg, tb]: number[]) =>
    Math.abs(r - (tr as number)) <= 3 &&
    Math.abs(g - (tg as number)) <= 3 &&
    Math.abs(b - (tb as number)) <= 3
  const [white, page, reference, current] = [
    '#ffffff',
    PAGE_BACKGROUND,
    SERIES_COLOURS.reference,
    SERIES_COLOURS.current,
  ].map(target) as number[][]
  const counts = { total: 0, content: 0, dark: 0, reference: 0, current: 0 }
  const { data } = png
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b] = [data[i] as number, data[i + 1] as number, data[i + 2] as number]
    counts.total++
    if (!near(r, g, b, white as number[]) && !near(r, g, b, page as number[])) counts.content++
    if (r < 80 && g < 80 && b < 80) counts.dark++
    if (near(r, g, b, reference as number[])) counts.reference++
    if (near(r, g, b, current as number[])) counts.current++
  }
  return counts
}
