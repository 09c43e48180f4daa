import { optionsFor, predict } from './predict.ts'

export const options = optionsFor('soak')
export default predict
