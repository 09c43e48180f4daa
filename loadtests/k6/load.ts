import { optionsFor, predict } from './predict.ts'

export const options = optionsFor('load')
export default predict
