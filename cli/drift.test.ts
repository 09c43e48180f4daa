import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../services/inference/src/testing/index.ts'

const root = fileURLToPath(new URL('../', import.meta.url))
const dir = tempDir('infera-drift-cli-')

// Real data: Seattle's weather of 2012–2015, split by year, season and alternate days.
const [header, ...days] = readFileSync(
  join(root, 'node_modules/vega-datasets/data/seattle-weather.csv'),
  'utf8',
)
  .trim()
  .split('\n')
const write = (name: string, keep: (date: string, index: number) => boolean) => {
  const rows = days
    .filter((line, index) => keep(line.slice(0, 10), index))
    .map((line) => line.split(',').slice(1).join(','))
  writeFileSync(join(dir, name), `${header?.split(',').slice(1).join(',')}\n${rows.join('\n')}\n`)
  return join(dir, name)
}
const y2012 = write('2012.csv', (d) => d.startsWith('2012'))
const y2013 = write('2013.csv', (d) => d.startsWith('2013'))
const evenDays = write('even.csv', (_, i) => i % 2 === 0)
const oddDays = write('odd.csv', (_, i) => i % 2 === 1)
const summers = write('summers.csv', (d) => ['06', '07', '08'].includes(d.slice(5, 7)))

function infera(...args: string[]) {
  const run = spawnSync(process.execPath, ['bin/infera.js', 'drift', 'compare', ...args], {
    cwd: root,
    encoding: 'utf8',
  })
  return { code: run.status, stdout: run.stdout, stderr: run.stderr }
}

describe('infera drift compare', () => {
  it('reports drift per feature in the documented JSON shape', () => {
    const { code, stdout } = infera('--reference', y2012, '--current', summers)
    expect(code).toBe(0)
    const report = JSON.parse(stdout)
    expect(report.dataset_drift).toBe(true)
    expect(report.features.temp_max).toMatchObject({
      type: 'numerical',
      method: 'ks',
      threshold: 0.05,
      drifted: true,
    })
    expect(report.features.temp_max.p_value).toBeLessThan(1e-10)
    expect(report.features.weather).toMatchObject({
      type: 'categorical',
      method: 'chisquare',
      drifted: true,
    })
    expect(Object.keys(report.features)).toEqual([
      'precipitation',
      'temp_max',
      'temp_min',
      'wind',
      'weather',
    ])
  })

  it('finds alternate days alike, and applies --method and --threshold where they fit', () => {
    const same = JSON.parse(infera('--reference', evenDays, '--current', oddDays).stdout)
    expect(same.drifted_columns).toBe(0)
    expect(same.dataset_drift).toBe(false)
    const out = join(dir, 'report.json')
    const { code } = infera(
      '--reference',
      y2012,
      '--current',
      summers,
      '--method',
      'wasserstein',
      '--threshold',
      '0.5',
      '--out',
      out,
    )
    expect(code).toBe(0)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.features.temp_max).toMatchObject({ method: 'wasserstein', threshold: 0.5 })
    expect(report.features.temp_max.p_value).toBeNull()
    // Wasserstein needs numbers: the categorical column keeps its automatic test and threshold.
    expect(report.features.weather).toMatchObject({ method: 'chisquare', threshold: 0.05 })
  })

  it('ends with a clear message and a non-zero exit on bad input', () => {
    const bad = (name: string, text: string) => {
      writeFileSync(join(dir, name), text)
      return join(dir, name)
    }
    const cases: Array<[string[], number, RegExp]> = [
      [['--reference', join(dir, 'nope.csv'), '--current', y2013], 1, /nope\.csv not found/],
      [['--reference', bad('empty.csv', ''), '--current', y2013], 1, /empty\.csv is empty/],
      [
        ['--reference', y2012, '--current', bad('cols.csv', 'precipitation,wind\n1,2\n')],
        1,
        /columns differ: cols\.csv lacks 'temp_max', 'temp_min', 'weather'/,
      ],
      [
        ['--reference', y2012, '--current', y2013, '--numerical', 'weather'],
        1,
        /column 'weather' is numerical but line 2 has 'drizzle'/,
      ],
      [
        ['--reference', y2012, '--current', y2013, '--method', 'magic'],
        2,
        /--method must be auto or one of/,
      ],
      [['--reference', y2012], 2, /--current FILE are required/],
    ]
    for (const [args, code, message] of cases) {
      const run = infera(...args)
      expect(run.code, run.stderr).toBe(code)
      expect(run.stderr).toMatch(message)
      expect(run.stdout).toBe('')
    }
  })
})

describe('infera drift compare --format html', () => {
  it('writes a self-contained report with a chart per feature', () => {
    const out = join(dir, 'report.html')
    const { code } = infera(
      '--reference',
      y2012,
      '--current',
      summers,
      '--format',
      'html',
      '--out',
      out,
    )
    expect(code).toBe(0)
    const html = readFileSync(out, 'utf8')
    expect(html).toMatch(/^<!doctype html>/i)
    expect(html).toContain('summers.csv')
    expect(html.match(/<svg/g)).toHaveLength(5)
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
  })
})
