import { InputError, UsageError } from './args.ts'

interface Command {
  usage: string
  /** Loaded on use, so an image that ships one service needs only that service's code. */
  load: () => Promise<{ run: (argv: string[]) => Promise<void> }>
}

const COMMANDS: Record<string, Command> = {
  start: {
    usage: `infera start [--host H]
  Runs the local platform with embedded defaults: the model registry (REGISTRY_PORT, 8083) with the
  demo models registered and promoted, inference following it (INFERENCE_PORT, 8082), the drift
  service retraining into it (DRIFT_PORT, 8081) and the gateway in front (PORT, 8080), with a
  canary controller; state under $INFERA_HOME (default .infera). Listens on 127.0.0.1 unless
  --host or HOST says otherwise (0.0.0.0: every interface). Registry writes and drift's ingest and
  labels need tokens, new on every start: the operator's and the labeller's are written to
  $INFERA_HOME/credentials.json (owner-only), where infera models and the drift demo find them.
  INFERA_CANARY_SECONDS sets how long a canary must stay within the SLO (default 300).`,
    load: () => import('./commands/start.ts'),
  },
  demo: {
    usage: `infera demo drift [--canary-seconds S] [--json]
                  [--gateway URL --drift URL --registry URL --api-key KEY
                   [--labels-token T] [--metrics-token T]]
  Sends weather traffic whose season shifts and shows drift detected, a retraining job, the new
  version gated and canaried, then promoted or rolled back. Without URLs it starts a platform of
  its own in a temporary INFERA_HOME; with them it drives a running one (npm start), posting labels
  with --labels-token, else INFERA_LABELS_TOKEN, else $INFERA_HOME/credentials.json's, and reading
  the gateway's /metrics with --metrics-token, else INFERA_GATEWAY_METRICS_TOKEN, else that file's.`,
    load: () => import('./commands/demo.ts'),
  },
  inference: {
    usage: `infera inference --models DIR --port N [--host H] [--poll-interval S]
                 [--capture-dir DIR] [--capture-url DRIFT_URL] [--capture-sample RATE]
                 [--capture-token-env VAR] [--max-body-bytes N]
                 [--model-control none|explicit] [--credentials FILE]
                 [--registry URL [--registry-models a,b] [--registry-sync-seconds N]
                                 [--registry-drain-seconds N]]
  Serves a Triton-style model repository over the Open Inference Protocol and KServe V1; with
  --registry, writes the registry's production and canary versions into --models and follows them
  (only those of the models --registry-models names, when given). Rows posted to --capture-url
  carry the bearer token in $INFERA_DRIFT_TOKEN (or the variable --capture-token-env names).
  Binds 127.0.0.1 unless --host or HOST says otherwise. The repository API's load and unload are
  refused (403) unless --model-control explicit, and then need a bearer token with scope
  inference:model-control from --credentials FILE (default: the file $INFERA_CREDENTIALS names).`,
    load: () => import('./commands/inference.ts'),
  },
  drift: {
    usage: `infera drift compare --reference A.csv --current B.csv [--format json|html] [--out FILE]
                     [--method auto|ks|chisquare|ztest|psi|wasserstein|jensenshannon]
                     [--threshold X] [--numerical a,b] [--categorical c,d]
  Compares two CSV files column by column (Evidently's tests and conventions) and reports drift.

infera drift serve --port N [--host H] [--credentials FILE] [--models DIR | --registry URL]
                   [--window-kind count|time] [--window-size N]
                   [--window-slide N] [--sample-size N] [--sketch-ks]
                   [--database-url URL | --data-dir DIR]
                   [--trainer none|local|sagemaker] [--retrain-after N] [--retrain-cooldown S] [--canary-weight P]
                   [--sagemaker-role-arn ARN --sagemaker-image URI --capture-s3-uri S3
                    --output-s3-uri S3 --region R] [--labelled-dir DIR]
  Runs the drift service: ingest, windows, evaluations, history, metrics, reports, retraining.`,
    load: () => import('./commands/drift.ts'),
  },
  gateway: {
    usage: `infera gateway --config FILE --port N [--host H] [--redis URL]
  Runs the edge gateway (auth, rate limits, canary and shadow routing) on Node; REDIS_URL or
  --redis shares rate limits between replicas. A "registry" key in the config makes it follow the
  model registry's production and canary versions.`,
    load: () => import('./commands/gateway.ts'),
  },
  models: {
    usage: `infera models build [--out DIR]
  Trains the demo models on real data (vega-datasets) and writes a model repository
  (default: $INFERA_HOME/models).

infera models register --name N --dir VERSION_DIR [--version V] [--stage candidate|staging]
                       [--data-location L] [--code-version C] [--training-job J]
infera models list | show NAME | diff NAME V1 V2
infera models promote NAME VERSION --to production|staging [--holdout CSV] [--margin X]
                      [--canary PERCENT] [--force --reason R]
infera models rollback NAME | archive NAME VERSION
infera models canary NAME VERSION --weight PERCENT | canary NAME --remove
infera models materialize [--out DIR]
infera models serve [--port N] [--host H] [--credentials FILE]
                    [--canary-gateway URL[,URL] | --canary-prometheus URL
                     [--canary-seconds N] [--canary-min-requests N]]
  The model registry: versions with their files, config, metrics and lineage; promotion to
  production through the evaluation gate, directly or as a weighted canary that the canary
  controller promotes or rolls back on the gateway's SLO metrics, read from each gateway replica
  (--canary-gateway) or from the Prometheus scraping them all (--canary-prometheus); rollback;
  an append-only audit trail. Changes take [--reason R], audited under INFERA_ACTOR or the OS user;
  --json prints the answer as JSON. State under $INFERA_HOME/registry, or DATABASE_URL,
  INFERA_ARTIFACTS_S3 (s3://bucket/prefix); INFERA_REGISTRY_URL uses a registry service instead,
  whose changes need INFERA_REGISTRY_TOKEN (scope registry:write; its credential is the actor).
  serve binds 127.0.0.1 (--host or HOST to open it) and takes writes only from the credentials
  in FILE (default $INFERA_CREDENTIALS).`,
    load: () => import('./commands/models.ts'),
  },
  alerts: {
    usage: `infera alerts build --out DIR [--receivers FILE] [--namespace NS]
  Writes the Prometheus rules generated from the SLOs (recording rules, burn-rate, ML and platform
  alerts) as DIR/rules/*.yaml and as a PrometheusRule (DIR/prometheusrule.yaml, namespace NS,
  default monitoring), and DIR/alertmanager.yaml routing to the receivers in FILE (JSON or YAML:
  pagerduty.routingKey, slack.webhookUrl and .channel, email.to, .from and .smarthost,
  heartbeat.webhookUrl).`,
    load: () => import('./commands/alerts.ts'),
  },
  dashboards: {
    usage: `infera dashboards build --out DIR
  Writes the Grafana dashboards (inference, drift, gateway, SLOs, GPU and cluster) as DIR/<name>.json,
  classic dashboard JSON for Grafana's file provisioning or its dashboard sidecar.`,
    load: () => import('./commands/dashboards.ts'),
  },
}

const help = `Usage: infera <command> [options]

Commands:
${Object.values(COMMANDS)
  .map((c) => c.usage.replace(/^/gm, '  '))
  .join('\n\n')}
`

async function main(argv: string[]) {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help)
    return
  }
  const command = COMMANDS[name]
  if (!command) throw new UsageError(`unknown command '${name}'\n\n${help}`)
  await (await command.load()).run(rest)
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof UsageError || error instanceof InputError) {
    console.error(`infera: ${error.message}`)
    process.exit(error instanceof UsageError ? 2 : 1)
  }
  console.error(error)
  process.exit(1)
})
