import { writeFile } from 'node:fs/promises'
import { compareFiles } from '../../services/drift/src/compare/index.ts'
import { DriftInputError, METHODS, type Method } from '../../services/drift/src/detect/index.ts'
import { TableError } from '../../services/drift/src/table/index.ts'
import { InputError, list, parseCommandArgs, toNumber, UsageError } from '../args.ts'

export async function run(argv: string[]) {
  const [action, ...rest] = argv
  if (action === 'compare') return compare(rest)
  throw new UsageError(`unknown drift action '${action ?? ''}'; try 'infera drift compare --help'`)
}

async function compare(argv: string[]) {
  const { values } = parseCommandArgs(argv, {
    reference: { type: 'string' },
    current: { type: 'string' },
    format: { type: 'string', default: 'json' },
    out: { type: 'string' },
    method: { type: 'string', default: 'auto' },
    threshold: { type: 'string' },
    numerical: { type: 'string' },
    categorical: { type: 'string' },
  })
  if (!values.reference || !values.current) {
    throw new UsageError('--reference FILE and --current FILE are required')
  }
  if (values.format !== 'json' && values.format !== 'html') {
    throw new UsageError(`--format must be json or html, not '${values.format}'`)
  }
  const method = values.method as string
  if (method !== 'auto' && !(METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`--method must be auto or one of ${METHODS.join(', ')}, not '${method}'`)
  }
  const threshold = toNumber(values.threshold, '--threshold')
  let output: string
  try {
    const { report } = await compareFiles({
      reference: values.reference,
      current: values.current,
      method: method as Method | 'auto',
      ...(threshold === undefined ? {} : { threshold }),
      numerical: list(values.numerical) ?? [],
      categorical: list(values.categorical) ?? [],
    })
    output = `${JSON.stringify(report, null, 2)}\n`
  } catch (error) {
    if (error instanceof TableError || error instanceof DriftInputError)
      throw new InputError(error.message)
    throw error
  }
  if (values.out) await writeFile(values.out, output)
  else process.stdout.write(output)
}
