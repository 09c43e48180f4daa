import type * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'

type Container = k8s.types.input.core.v1.Container
type Volume = k8s.types.input.core.v1.Volume

/** The `node` user of the service images (node:22-slim), which every container runs as. */
export const RUN_AS = 1000

/** What the sync sidecar touches once the first download is complete. */
const READY_FILE = '/tmp/synced'

/** Pinned, as every image here: the S3 sync sidecar. */
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.27.49'

/** The pod-level security context: never root, the runtime's default seccomp profile. */
export const POD_SECURITY: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  fsGroup: RUN_AS,
  seccompProfile: { type: 'RuntimeDefault' },
}

/** Every container's: no escalation, no capabilities, a read-only root filesystem. */
export const CONTAINER_SECURITY: k8s.types.input.core.v1.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
}

/** Requests equal to limits: the scheduler's promise is what the pod gets (Guaranteed QoS). */
export const resources = (cpu: string, memory: string) => ({
  requests: { cpu, memory },
  limits: { cpu, memory },
})

/** A writable scratch directory, since root filesystems are read-only. */
export const scratch = (name: string, sizeLimit: string): Volume => ({
  name,
  emptyDir: { sizeLimit },
})

export interface S3SyncArgs {
  /** Prefixes copied down, `s3://bucket/prefix/` to a local directory, mirrored (`--delete`). */
  downloads: { from: pulumi.Input<string>; to: string }[]
  /**
   * A capture directory (`<model>/<version>/<YYYY-MM-DD>.jsonl`, UTC days) copied up to this
   * bucket as `<model>/<version>/<pod>/<day>.jsonl`, so replicas never overwrite each other's
   * files; once uploaded, days before yesterday are removed from the pod.
   */
  uploadCaptures?: { from: string; bucket: pulumi.Input<string> }
  intervalSeconds: number
  volumeMounts: k8s.types.input.core.v1.VolumeMount[]
}

// One pass of the sync. The loop survives a failed pass (the next one retries); SIGTERM, which
// arrives after the main container has exited and flushed its captures, gets one last upload.
// Only POSIX sh and coreutils: the AWS CLI image has no findutils since it moved to AL2023.
const SYNC_SCRIPT = `set -u
sync_once() {
  ok=0
  for pair in $DOWNLOADS; do
    aws s3 sync --only-show-errors --delete "\${pair%%=*}" "\${pair#*=}" || ok=1
  done
  if [ -n "\${CAPTURE_BUCKET:-}" ]; then
    today=$(date -u +%F)
    yesterday=$(date -u -d yesterday +%F)
    for dir in "$CAPTURE_DIR"/*/*/; do
      [ -d "$dir" ] || continue
      rel=\${dir#"$CAPTURE_DIR"/}
      if aws s3 sync --only-show-errors "$dir" "s3://$CAPTURE_BUCKET/$rel$POD_NAME/"; then
        for file in "$dir"*.jsonl; do
          case "\${file##*/}" in "$today.jsonl" | "$yesterday.jsonl") ;; *) rm -f "$file" ;; esac
        done
      else
        ok=1
      fi
    done
  fi
  return $ok
}
trap 'sync_once; exit 0' TERM
until sync_once; do sleep 5; done
touch "$READY_FILE"
while true; do
  sleep "$INTERVAL" & wait $!
  sync_once || echo 'sync failed; retrying next pass' >&2
done`

/**
 * A native sidecar (an init container that keeps running) mirroring S3 prefixes into the pod and
 * captures out of it. Its startup probe holds the main container back until the first download
 * is complete, so a model server starts with its models in place.
 */
export function s3SyncSidecar(args: S3SyncArgs): Container {
  const downloads = pulumi
    .all(args.downloads.map((d) => pulumi.interpolate`${d.from}=${d.to}`))
    .apply((pairs) => pairs.join(' '))
  return {
    name: 's3-sync',
    image: AWS_CLI_IMAGE,
    restartPolicy: 'Always',
    command: ['/bin/sh', '-c', SYNC_SCRIPT],
    env: [
      { name: 'DOWNLOADS', value: downloads },
      { name: 'INTERVAL', value: String(args.intervalSeconds) },
      { name: 'READY_FILE', value: READY_FILE },
      // The CLI writes its cache under HOME; the root filesystem is read-only.
      { name: 'HOME', value: '/tmp' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      ...(args.uploadCaptures
        ? [
            { name: 'CAPTURE_DIR', value: args.uploadCaptures.from },
            { name: 'CAPTURE_BUCKET', value: args.uploadCaptures.bucket },
          ]
        : []),
    ],
    startupProbe: {
      exec: { command: ['cat', READY_FILE] },
      periodSeconds: 5,
      // Up to ten minutes for the first download: GPU models run to gigabytes.
      failureThreshold: 120,
    },
    resources: resources('100m', '256Mi'),
    securityContext: CONTAINER_SECURITY,
    volumeMounts: [...args.volumeMounts, { name: 'sync-tmp', mountPath: '/tmp' }],
  }
}

/** The sidecar's own scratch volume. */
export const S3_SYNC_VOLUME = scratch('sync-tmp', '64Mi')
