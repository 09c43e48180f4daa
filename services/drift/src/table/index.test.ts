import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { assertSameColumns, parseCsvTable, readCsvTable, TableError } from './index.ts'

describe('parseCsvTable', () => {
  it('reads numbers as numbers, text as text and pandas missing markers as null', () => {
    const table = parseCsvTable('a,b,c\n1,x,NA\n2.5,"y, z",inf\n,NaN,-3\n', 'f.csv')
    expect(table).toEqual({
      a: [1, 2.5, null],
      b: ['x', 'y, z', null],
      c: [null, Number.POSITIVE_INFINITY, -3],
    })
  })

  it('keeps a column with any text as text, and obeys explicit types', () => {
    expect(parseCsvTable('code\n1\n2\nA3\n', 'f.csv').code).toEqual(['1', '2', 'A3'])
    expect(parseCsvTable('code\n1\n2\n', 'f.csv', { code: 'categorical' }).code).toEqual(['1', '2'])
  })

  it.each([
    ['', /f\.csv is empty/],
    ['a,b\n', /has a header but no rows/],
    ['a,a\n1,2\n', /column 'a' appears twice/],
    ['a,b\n1,2\n3\n', /not valid CSV: .*record length/i],
    ['a,b\n1,2\n"3,4\n', /not valid CSV/],
  ])('rejects %j clearly', (text, message) => {
    expect(() => parseCsvTable(text, 'f.csv')).toThrow(TableError)
    expect(() => parseCsvTable(text, 'f.csv')).toThrow(message)
  })

  it('names the line of a value that is not a number in a numerical column', () => {
    expect(() => parseCsvTable('x\n1\n2\nabc\n', 'f.csv', { x: 'numerical' })).toThrow(
      "f.csv: column 'x' is numerical but line 4 has 'abc'",
    )
    expect(() => parseCsvTable('x\n1\n', 'f.csv', { y: 'numerical' })).toThrow(
      "f.csv has no column 'y'",
    )
  })
})

describe('readCsvTable and assertSameColumns', () => {
  it('says which file is missing and which columns differ', async () => {
    await expect(readCsvTable('/nonexistent/ref.csv')).rejects.toThrow(
      '/nonexistent/ref.csv not found',
    )
    const dir = mkdtempSync(join(tmpdir(), 'table-'))
    writeFileSync(join(dir, 'a.csv'), 'x,y\n1,2\n')
    expect(await readCsvTable(join(dir, 'a.csv'))).toEqual({ x: [1], y: [2] })
    expect(() =>
      assertSameColumns({ x: [1], y: [2] }, { x: [1], z: [3] }, ['ref.csv', 'cur.csv']),
    ).toThrow("the files' columns differ: cur.csv lacks 'y'; ref.csv lacks 'z'")
  })
})
