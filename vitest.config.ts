import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.infera/**'],
    // onnxruntime-node is a native addon: separate processes isolate it better than worker threads.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
