// The request every load test sends: a KServe V1 prediction for the penguins demo model through
// the gateway. Plain data, so k6 scripts and the autocannon gate send the same bytes.

export const PREDICT = {
  method: 'POST',
  path: '/v1/models/penguins:predict',
  body: JSON.stringify({
    instances: [
      {
        bill_length_mm: 39.1,
        bill_depth_mm: 18.7,
        flipper_length_mm: 181,
        body_mass_g: 3750,
        island: 'Torgersen',
        sex: 'MALE',
      },
    ],
  }),
  headers: (apiKey: string): Record<string, string> => ({
    'content-type': 'application/json',
    'x-api-key': apiKey,
  }),
} as const
