import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { parseCsv } from './csv.ts'

export { parseCsv, toCsv } from './csv.ts'

const text = z.string().min(1)

const penguinSchema = z.strictObject({
  species: text,
  island: text,
  bill_length_mm: z.number(),
  bill_depth_mm: z.number(),
  flipper_length_mm: z.number(),
  body_mass_g: z.number(),
  sex: text,
})
export type Penguin = z.infer<typeof penguinSchema>

const carSchema = z.strictObject({
  mpg: z.number(),
  cylinders: z.number(),
  displacement: z.number(),
  horsepower: z.number(),
  weight_lbs: z.number(),
  acceleration: z.number(),
  year: z.number().int(),
  origin: text,
})
export type Car = z.infer<typeof carSchema>

const weatherSchema = z.strictObject({
  date: z.iso.date(),
  precipitation: z.number(),
  temp_max: z.number(),
  temp_min: z.number(),
  wind: z.number(),
  weather: text,
})
export type WeatherDay = z.infer<typeof weatherSchema>

// The package's exports hide package.json; its entry point is build/index.js, beside data/.
const dataDir = join(dirname(createRequire(import.meta.url).resolve('vega-datasets')), '..', 'data')

const readData = (file: string) => readFile(join(dataDir, file), 'utf8')

async function readJson(file: string): Promise<Record<string, unknown>[]> {
  return JSON.parse(await readData(file))
}

/** Drops the rows with a missing (null or empty) field, then checks the rest against the schema. */
function completeRows<T>(schema: z.ZodType<T>, rows: readonly Record<string, unknown>[]): T[] {
  return rows
    .filter((row) => Object.values(row).every((v) => v !== null && v !== undefined && v !== ''))
    .map((row) => schema.parse(row))
}

/** Palmer penguins, 333 complete rows. */
export async function loadPenguins(): Promise<Penguin[]> {
  const rows = (await readJson('penguins.json')).map((r) => ({
    species: r.Species,
    island: r.Island,
    bill_length_mm: r['Beak Length (mm)'],
    bill_depth_mm: r['Beak Depth (mm)'],
    flipper_length_mm: r['Flipper Length (mm)'],
    body_mass_g: r['Body Mass (g)'],
    // One row records its sex as '.': as unknown as a missing value.
    sex: r.Sex === '.' ? null : r.Sex,
  }))
  return completeRows(penguinSchema, rows)
}

/** The classic Auto MPG data, 392 complete rows. */
export async function loadCars(): Promise<Car[]> {
  const rows = (await readJson('cars.json')).map((r) => ({
    mpg: r.Miles_per_Gallon,
    cylinders: r.Cylinders,
    displacement: r.Displacement,
    horsepower: r.Horsepower,
    weight_lbs: r.Weight_in_lbs,
    acceleration: r.Acceleration,
    year: typeof r.Year === 'string' ? new Date(r.Year).getUTCFullYear() : null,
    origin: r.Origin,
  }))
  return completeRows(carSchema, rows)
}

// Number('') is 0: an empty field must stay missing.
const csvNumber = (field: string | undefined) => (field ? Number(field) : null)

/** Daily Seattle weather, 2012–2015 (1461 days). */
export async function loadSeattleWeather(): Promise<WeatherDay[]> {
  const rows = parseCsv(await readData('seattle-weather.csv')).map((r) => ({
    date: r.date,
    precipitation: csvNumber(r.precipitation),
    temp_max: csvNumber(r.temp_max),
    temp_min: csvNumber(r.temp_min),
    wind: csvNumber(r.wind),
    weather: r.weather,
  }))
  return completeRows(weatherSchema, rows)
}
