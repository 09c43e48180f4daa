// What Pulumi runs for the pack. Its policy-pack runner loads the pack with require() and no Node
// options of ours, and this repository is TypeScript as ES modules with `.ts` imports: tsx's
// require hook compiles them.
require('tsx/cjs/api').register()
require('./index.ts')
