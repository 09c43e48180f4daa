// Before a binary-body case is timed: the server must really decode the binary tensor extension,
// or the case would time fast 400s (autocannon counts them as errors, but only after the run).
import { inferBinaryBody, inferBody } from '../../shared/bench/index.ts'

const post = (url: string, body: string | Buffer, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', body, headers })

/**
 * Checks that `url` answers the binary form of the single-row request for an input of `n` values
 * with a 200, an output of shape [1, `width`] sent as bytes and the values the JSON form gets, and
 * a body whose binary data is 4 bytes short of its header's binary_data_size with a 400.
 */
export async function checkBinary(url: string, n: number, width: number) {
  const { body, headers } = inferBinaryBody(n)
  const binary = await post(url, body, headers)
  const bytes = Buffer.from(await binary.arrayBuffer())
  if (binary.status !== 200) {
    throw new Error(`binary request: ${binary.status} ${bytes.toString('utf8')}`)
  }
  const headerLength = Number(binary.headers.get('inference-header-content-length'))
  const header = JSON.parse(bytes.subarray(0, headerLength).toString('utf8'))
  const [output] = header.outputs
  const shape = JSON.stringify(output.shape)
  if (shape !== JSON.stringify([1, width]) || output.parameters?.binary_data_size !== width * 4) {
    throw new Error(`binary request: unexpected output ${JSON.stringify(output)}`)
  }
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + headerLength))
  const json = await post(url, inferBody(n), { 'content-type': 'application/json' })
  const answer = (await json.json()) as { outputs: [{ data: number[] }] }
  const expected = answer.outputs[0].data
  const worst = Math.max(...expected.map((v, i) => Math.abs(v - (values[i] as number))))
  if (values.length !== width || !(worst < 1e-6)) {
    throw new Error(`binary answer ${[...values]} differs from the JSON one ${expected}`)
  }
  const short = await post(url, body.subarray(0, body.length - 4), headers)
  const why = await short.text()
  if (short.status !== 400) throw new Error(`short binary body: ${short.status} ${why}`)
  return why
}
