import { type Onnx, onnx } from './proto.ts'
import {
  type Datatype,
  type Dim,
  encodeUtf8,
  type TensorInit,
  tensorProto,
  valueInfo,
} from './tensor.ts'

const A = onnx.AttributeProto.AttributeType

export type Attribute = Omit<Onnx.IAttributeProto, 'name'>

/** Typed node attributes: ONNX tells an int from a float by the attribute type, not the value. */
export const attr = {
  int: (i: number): Attribute => ({ type: A.INT, i }),
  float: (f: number): Attribute => ({ type: A.FLOAT, f }),
  string: (s: string): Attribute => ({ type: A.STRING, s: encodeUtf8(s) }),
  tensor: (t: TensorInit): Attribute => ({ type: A.TENSOR, t: tensorProto('', t) }),
  ints: (ints: readonly number[]): Attribute => ({ type: A.INTS, ints: [...ints] }),
  floats: (floats: ArrayLike<number>): Attribute => ({
    type: A.FLOATS,
    floats: Array.from(floats),
  }),
  strings: (strings: readonly string[]): Attribute => ({
    type: A.STRINGS,
    strings: strings.map(encodeUtf8),
  }),
}

export const ML_DOMAIN = 'ai.onnx.ml'

export const OPSET_IMPORTS: readonly Onnx.IOperatorSetIdProto[] = [
  { domain: '', version: 17 },
  { domain: ML_DOMAIN, version: 3 },
]

export interface NodeOptions {
  attributes?: Record<string, Attribute>
  domain?: string
  /** How many outputs the node has; they get fresh names. */
  outputs?: number
}

/**
 * Builds one ONNX graph. Value names are made unique on the way in, so helpers can pass names
 * around without coordinating; graph inputs and outputs keep exactly the names they are given.
 */
export class GraphBuilder {
  readonly #nodes: Onnx.INodeProto[] = []
  readonly #inputs: Onnx.IValueInfoProto[] = []
  readonly #outputs: Onnx.IValueInfoProto[] = []
  readonly #initializers: Onnx.ITensorProto[] = []
  readonly #names = new Set<string>()
  /** Value names that output() renamed, to their graph output names. */
  readonly #aliases = new Map<string, string>()

  constructor(readonly name: string) {}

  input(name: string, datatype: Datatype, shape: readonly Dim[]): string {
    this.#inputs.push(valueInfo(this.#claim(name), datatype, shape))
    return name
  }

  initializer(hint: string, tensor: TensorInit): string {
    const name = this.#fresh(hint)
    this.#initializers.push(tensorProto(name, tensor))
    return name
  }

  node(opType: string, inputs: readonly string[], options: NodeOptions = {}): string[] {
    const name = this.#fresh(opType)
    const outputs = Array.from({ length: options.outputs ?? 1 }, (_, i) =>
      this.#fresh(`${name}_out${i}`),
    )
    const attribute = Object.entries(options.attributes ?? {}).map(([key, value]) => ({
      ...value,
      name: key,
    }))
    this.#nodes.push({
      name,
      opType,
      domain: options.domain ?? '',
      input: inputs.map((v) => this.#resolve(v)),
      output: outputs,
      attribute,
    })
    return outputs
  }

  /** A node with one output, which is returned. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, Attribute>,
    domain?: string,
  ): string {
    return this.node(opType, inputs, {
      ...(attributes && { attributes }),
      ...(domain && { domain }),
    })[0] as string
  }

  /**
   * Declares `value`, a node's output, as the graph output `name`. The node's output is renamed
   * (rather than copied by an Identity), and the old name stays usable as an alias.
   */
  output(name: string, datatype: Datatype, shape: readonly Dim[], value: string) {
    const resolved = this.#resolve(value)
    if (!this.#nodes.some((node) => node.output?.includes(resolved))) {
      throw new Error(`graph output '${name}' must be a node's output; '${value}' is not`)
    }
    if (this.#outputs.some((output) => output.name === resolved)) {
      throw new Error(
        `graph output '${name}': '${value}' is already the graph output '${resolved}'`,
      )
    }
    if (resolved !== name) {
      this.#claim(name)
      this.#aliases.set(resolved, name)
      for (const node of this.#nodes) {
        node.input = node.input?.map((v) => (v === resolved ? name : v)) ?? null
        node.output = node.output?.map((v) => (v === resolved ? name : v)) ?? null
      }
    }
    this.#outputs.push(valueInfo(name, datatype, shape))
  }

  model(): Onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [...OPSET_IMPORTS],
      producerName: 'infera',
      graph: {
        name: this.name,
        node: this.#nodes,
        input: this.#inputs,
        output: this.#outputs,
        initializer: this.#initializers,
      },
    })
  }

  serialize(): Uint8Array {
    return onnx.ModelProto.encode(this.model()).finish()
  }

  #resolve(value: string): string {
    return this.#aliases.get(value) ?? value
  }

  #claim(name: string): string {
    if (this.#names.has(name))
      throw new Error(`graph '${this.name}' already has a value named '${name}'`)
    this.#names.add(name)
    return name
  }

  #fresh(hint: string): string {
    let name = hint
    for (let i = 1; this.#names.has(name); i++) name = `${hint}_${i}`
    return this.#claim(name)
  }
}
