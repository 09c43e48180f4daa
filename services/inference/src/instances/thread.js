// A worker thread's entry. Node 20's workers do not inherit the module hooks tsx registered in the
// main thread, so this plain-JavaScript file registers them before loading the TypeScript worker.
import { register } from 'tsx/esm/api'

register()
await import('./worker.ts')
