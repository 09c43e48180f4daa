import { describe, expect, it } from 'vitest'
import { loadCars, loadPenguins, loadSeattleWeather, parseCsv, toCsv } from './index.ts'

describe('datasets', () => {
  it('loads the complete penguin rows with snake_case fields', async () => {
    const penguins = await loadPenguins()
    expect(penguins).toHaveLength(333)
    expect(penguins[0]).toEqual({
      species: 'Adelie',
      island: 'Torgersen',
      bill_length_mm: 39.1,
      bill_depth_mm: 18.7,
      flipper_length_mm: 181,
      body_mass_g: 3750,
      sex: 'MALE',
    })
    expect(new Set(penguins.map((p) => p.sex))).toEqual(new Set(['MALE', 'FEMALE']))
    expect(new Set(penguins.map((p) => p.species))).toEqual(
      new Set(['Adelie', 'Chinstrap', 'Gentoo']),
    )
  })

  it('loads the complete cars with numeric years', async () => {
    const cars = await loadCars()
    expect(cars).toHaveLength(392)
    expect(cars[0]).toEqual({
      mpg: 18,
      cylinders: 8,
      displacement: 307,
      horsepower: 130,
      weight_lbs: 3504,
      acceleration: 12,
      year: 1970,
      origin: 'USA',
    })
    expect(Math.max(...cars.map((c) => c.year))).toBe(1982)
  })

  it('loads every day of Seattle weather, 2012–2015', async () => {
    const days = await loadSeattleWeather()
    expect(days).toHaveLength(1461)
    expect(days[1]).toEqual({
      date: '2012-01-02',
      precipitation: 10.9,
      temp_max: 10.6,
      temp_min: 2.8,
      wind: 4.5,
      weather: 'rain',
    })
    expect(days.at(-1)?.date).toBe('2015-12-31')
    expect(new Set(days.map((d) => d.weather))).toEqual(
      new Set(['drizzle', 'fog', 'rain', 'snow', 'sun']),
    )
  })
})

describe('csv', () => {
  it('round-trips fields with commas, quotes and newlines', () => {
    const rows = [
      { name: 'a, "b"', value: 1.5 },
      { name: 'two\nlines', value: -2 },
      { name: '', value: 0 },
    ]
    const text = toCsv(['name', 'value'], rows)
    expect(text.split('\n')[0]).toBe('name,value')
    expect(parseCsv(text)).toEqual(rows.map((r) => ({ name: r.name, value: String(r.value) })))
    expect(parseCsv('a,b\r\n1,2\r\n')).toEqual([{ a: '1', b: '2' }])
    expect(() => parseCsv('a,b\n1\n')).toThrow(/1 fields, the header 2/)
  })
})
