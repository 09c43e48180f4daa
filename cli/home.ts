import { join, resolve } from 'node:path'

/** Embedded state lives under INFERA_HOME (default `.infera/`), so platforms can run side by side. */
export const inferaHome = () => resolve(process.env.INFERA_HOME ?? '.infera')
export const defaultModelsDir = () => join(inferaHome(), 'models')
export const defaultCaptureDir = () => join(inferaHome(), 'capture')
/** The registry's PGlite database (`db/`) and artifacts (`artifacts/`). */
export const defaultRegistryDir = () => join(inferaHome(), 'registry')
