import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import type { ColumnType, Table, Value } from '../detect/index.ts'

/** A CSV file that can't be read as a table; the message names the file and the problem. */
export class TableError extends Error {}

// pandas' default missing-value markers, so a CSV reads here as it reads in a notebook.
const MISSING = new Set([
  '',
  '#N/A',
  '#N/A N/A',
  '#NA',
  '-1.#IND',
  '-1.#QNAN',
  '-NaN',
  '-nan',
  '1.#IND',
  '1.#QNAN',
  '<NA>',
  'N/A',
  'NA',
  'NULL',
  'NaN',
  'None',
  'n/a',
  'nan',
  'null',
])
const INFINITIES: Record<string, number> = {
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
}

const toNumber = (text: string): number | undefined => {
  if (text in INFINITIES) return INFINITIES[text]
  const n = Number(text)
  return text.trim() !== '' && !Number.isNaN(n) ? n : undefined
}

/**
 * Parses CSV text with a header row into columns. A column whose present values all read as
 * numbers holds numbers; any other holds strings, unless `types` says otherwise: a column typed
 * numerical with a value that is not a number is an error naming the row.
 */
export function parseCsvTable(
  text: string,
  source: string,
  types: Record<string, ColumnType> = {},
): Table {
  let records: string[][]
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true })
  } catch (error) {
    throw new TableError(`${source}: not valid CSV: ${(error as Error).message}`)
  }
  const [header, ...rows] = records
  if (!header || header.length === 0) throw new TableError(`${source} is empty`)
  if (rows.length === 0) throw new TableError(`${source} has a header but no rows`)
  const seen = new Set<string>()
  for (const name of header) {
    if (name === '') throw new TableError(`${source}: the header has an empty column name`)
    if (seen.has(name))
      throw new TableError(`${source}: column '${name}' appears twice in the header`)
    seen.add(name)
  }
  for (const name of Object.keys(types)) {
    if (!seen.has(name)) throw new TableError(`${source} has no column '${name}'`)
  }
  const table: Record<string, Value[]> = {}
  header.forEach((name, c) => {
    const cells = rows.map((row) => row[c] as string)
    table[name] = typedColumn(cells, types[name], (r, cell) => {
      // +2: the header is line 1 and rows count from 0.
      throw new TableError(
        `${source}: column '${name}' is numerical but line ${r + 2} has '${cell}'`,
      )
    })
  })
  return table
}

function typedColumn(
  cells: string[],
  type: ColumnType | undefined,
  unparsable: (row: number, cell: string) => never,
): Value[] {
  const present = (cell: string) => !MISSING.has(cell)
  if (type === 'categorical') return cells.map((cell) => (present(cell) ? cell : null))
  const numbers = cells.map((cell) => (present(cell) ? toNumber(cell) : null))
  const text = numbers.indexOf(undefined)
  if (text === -1) return numbers as Value[]
  if (type === 'numerical') unparsable(text, cells[text] as string)
  return cells.map((cell) => (present(cell) ? cell : null))
}

export async function readCsvTable(
  path: string,
  types?: Record<string, ColumnType>,
): Promise<Table> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new TableError(
      code === 'ENOENT' ? `${path} not found` : `${path}: ${(error as Error).message}`,
    )
  }
  return parseCsvTable(text, path, types)
}

/** Checks that two tables have the same columns, naming the ones either lacks. */
export function assertSameColumns(reference: Table, current: Table, names: [string, string]) {
  const missing = Object.keys(reference).filter((c) => !(c in current))
  const extra = Object.keys(current).filter((c) => !(c in reference))
  if (missing.length === 0 && extra.length === 0) return
  const parts = [
    missing.length ? `${names[1]} lacks ${missing.map((c) => `'${c}'`).join(', ')}` : '',
    extra.length ? `${names[0]} lacks ${extra.map((c) => `'${c}'`).join(', ')}` : '',
  ]
  throw new TableError(`the files' columns differ: ${parts.filter(Boolean).join('; ')}`)
}
