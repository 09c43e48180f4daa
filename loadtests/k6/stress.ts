import { optionsFor, predict } from './predict.ts'

export const options = optionsFor('stress')
export default predict
