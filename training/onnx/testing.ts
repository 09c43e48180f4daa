import ort from 'onnxruntime-node'

/** Runs a serialized model once in onnxruntime, for tests. */
export async function runModel(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor> = {},
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(model)
  try {
    return await session.run(feeds)
  } finally {
    await session.release()
  }
}

export { ort }
