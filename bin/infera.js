#!/usr/bin/env node
// The published bin runs the TypeScript sources through tsx, so a checkout and an install behave the same.
import { register } from 'tsx/esm/api'

register()
await import('../cli/index.ts')
