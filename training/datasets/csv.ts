/** Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines) into records by header. */
export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch !== '"') field += ch
      else if (text[i + 1] === '"') field += text[++i]
      else quoted = false
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += ch
  }
  if (field !== '' || row.length > 0) rows.push([...row, field])
  const [header, ...records] = rows
  if (!header) return []
  return records.map((values) => {
    if (values.length !== header.length) {
      throw new Error(`CSV row has ${values.length} fields, the header ${header.length}`)
    }
    return Object.fromEntries(header.map((name, j) => [name, values[j] as string]))
  })
}

const quote = (value: string | number) => {
  const text = String(value)
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

/** CSV text with a header line of `columns`, one line per row. */
export function toCsv(
  columns: readonly string[],
  rows: readonly Readonly<Record<string, string | number>>[],
) {
  const lines = [columns, ...rows.map((row) => columns.map((c) => row[c] ?? ''))]
  return `${lines.map((line) => line.map(quote).join(',')).join('\n')}\n`
}
