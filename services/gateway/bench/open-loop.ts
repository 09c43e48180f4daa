// A fixed-rate (open-loop) load in a process of its own: requests leave on schedule whether or not
// earlier ones have answered, and each latency counts from when its request was due, so a stall
// shows in the percentiles instead of slowing the load (no coordinated omission). Timed with
// performance.now(): microseconds, where autocannon rounds to whole milliseconds. The targets take
// turns a second at a time, so a machine whose load drifts weighs on each alike, and only one is
// loaded at any moment.
//
//   tsx open-loop.ts RATE SECONDS BODY TARGETS_JSON   (TARGETS_JSON: [{ "url", "headers" }])
//   → one JSON line: per target { sent, failed, p50, p99, tail } (SECONDS each; tail: seconds from
//     its last request due to its last answer, well over a second when the rate was too high)
// Each target first gets a second of the same rate that is not recorded: the connections a rate
// needs (the client's to the target, a proxy's to its upstream) are opened then, as in a steady
// deployment, not counted as the first measured requests' latency.
import http from 'node:http'
import { isStaleSocket } from '../src/adapter/node/send.ts'

interface Target {
  url: string
  headers: Record<string, string>
}

const [rateText = '', secondsText = '', body = '', targetsJson = '[]'] = process.argv.slice(2)
const rate = Number(rateText)
const seconds = Number(secondsText)
const targets = JSON.parse(targetsJson) as Target[]
if (!(rate > 0) || !(seconds > 0) || targets.length === 0) {
  throw new Error('usage: open-loop.ts RATE SECONDS BODY TARGETS_JSON')
}

const MAX_RESENDS = 3

function runner({ url, headers }: Target) {
  // Enough connections that a request never waits for a free one at the rates measured here.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 })
  const allHeaders = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  }
  const latencies: number[] = []
  let failed = 0
  let lastAnswer = 0
  let lastDue = 0
  let sent = 0
  let recording = true
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      lastDue = due
      sent++
      attempt(due, resolve, 0)
    })
  const attempt = (due: number, resolve: () => void, resends: number) => {
    const request = http.request(
      url,
      { method: 'POST', headers: allHeaders, agent },
      (response) => {
        response.resume()
        response.on('end', () => {
          lastAnswer = performance.now()
          if (recording) {
            if (response.statusCode === 200) latencies.push(lastAnswer - due)
            else failed++
          }
          resolve()
        })
      },
    )
    request.on('error', (error: NodeJS.ErrnoException) => {
      // Sent again, as HTTP clients do, its latency still counted from when it was due. Any
      // other error is a failure.
      if (isStaleSocket(request, error) && resends < MAX_RESENDS) {
        attempt(due, resolve, resends + 1)
        return
      }
      if (recording) failed++
      resolve()
    })
    request.end(body)
  }
  const summary = () => {
    agent.destroy()
    latencies.sort((a, b) => a - b)
    const quantile = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
    return {
      sent,
      failed,
      p50: quantile(0.5),
      p99: quantile(0.99),
      tail: (lastAnswer - lastDue) / 1000,
    }
  }
  /** One unrecorded second at `rate`, answered in full before the measured load starts. */
  const warm = async () => {
    recording = false
    const requests: Promise<void>[] = []
    for (let i = 0; i < rate; i++) {
      requests.push(send(performance.now()))
      if (i % Math.max(1, Math.round(rate / 1000)) === 0) await new Promise((r) => setTimeout(r, 1))
    }
    await Promise.all(requests)
    recording = true
    sent = 0
  }
  return { send, summary, warm }
}

const runners = targets.map(runner)
for (const r of runners) await r.warm()
const interval = 1000 / rate
const total = Math.round(rate * seconds) * runners.length
const started = performance.now()
const pending: Promise<void>[] = []
await new Promise<void>((done) => {
  // Every millisecond (as often as timers go), send whatever has fallen due since, each request
  // to the target whose second it is.
  const tick = () => {
    const now = performance.now()
    while (pending.length < total && started + pending.length * interval <= now) {
      const offset = pending.length * interval
      const turn = Math.floor(offset / 1000) % runners.length
      pending.push((runners[turn] as ReturnType<typeof runner>).send(started + offset))
    }
    if (pending.length < total) setTimeout(tick, 1)
    else done()
  }
  tick()
})
await Promise.all(pending)
console.log(JSON.stringify(runners.map((r) => r.summary())))
