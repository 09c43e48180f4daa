import { optionsFor, predict } from './predict.ts'

export const options = optionsFor('smoke')
export default predict
