import * as k8s from '@pulumi/kubernetes'
import type * as pulumi from '@pulumi/pulumi'

type Container = k8s.types.input.core.v1.Container
type Volume = k8s.types.input.core.v1.Volume

/** The `node` user of the service images (node:22-slim), which every container runs as. */
export const RUN_AS = 1000

/** Pinned, as every image here: the capture upload sidecar. */
export const AWS_CLI_IMAGE = 'public.ecr.aws/aws-cli/aws-cli:2.36.32'

/** The pod-level security context: never root, the runtime's default seccomp profile. */
export const POD_SECURITY: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: RUN_AS,
  runAsGroup: RUN_AS,
  fsGroup: RUN_AS,
  seccompProfile: { type: 'RuntimeDefault' },
}

/** A namespace whose pods Pod Security admission holds to the `restricted` standard. */
export const restrictedNamespace = (
  resourceName: string,
  name: string,
  opts: pulumi.CustomResourceOptions,
) =>
  new k8s.core.v1.Namespace(
    resourceName,
    {
      metadata: {
        name,
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    },
    opts,
  )

type Metadata = k8s.types.input.meta.v1.ObjectMeta
type Peer = k8s.types.input.networking.v1.NetworkPolicyPeer

/** Ingress to the pods `selector` picks only from `from`, and only on the named `port`. */
export const ingressOnlyFrom = (
  resourceName: string,
  args: { metadata: Metadata; selector: Record<string, string>; from: Peer[]; port: string },
  opts: pulumi.CustomResourceOptions,
) =>
  new k8s.networking.v1.NetworkPolicy(
    resourceName,
    {
      metadata: args.metadata,
      spec: {
        podSelector: { matchLabels: args.selector },
        policyTypes: ['Ingress'],
        ingress: [{ from: args.from, ports: [{ port: args.port }] }],
      },
    },
    opts,
  )

/**
 * One pod of `selector` evicted at a time: maxUnavailable, not minAvailable, so a one-replica
 * workload never blocks node drains.
 */
export const disruptionBudget = (
  resourceName: string,
  args: { metadata: Metadata; selector: Record<string, string> },
  opts: pulumi.CustomResourceOptions,
) =>
  new k8s.policy.v1.PodDisruptionBudget(
    resourceName,
    {
      metadata: args.metadata,
      spec: { maxUnavailable: 1, selector: { matchLabels: args.selector } },
    },
    opts,
  )

/** Every container's: no escalation, no capabilities, a read-only root filesystem. */
export const CONTAINER_SECURITY: k8s.types.input.core.v1.SecurityContext = {
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
}

/**
 * The pod annotation that lets the cluster autoscaler evict a pod with local storage (emptyDir),
 * which by default keeps its node from being removed.
 */
export const SAFE_TO_EVICT = 'cluster-autoscaler.kubernetes.io/safe-to-evict'

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

export interface CaptureUploadArgs {
  /**
   * The capture directory (`<model>/<version>/<YYYY-MM-DD>.jsonl`, UTC days), copied up to the
   * bucket as `<model>/<version>/<pod>/<day>.jsonl`, so replicas never overwrite each other's files;
   * once uploaded, days before yesterday are removed from the pod.
   */
  dir: string
  /** The volume holding `dir`, shared with the model server that writes it. */
  volume: string
  bucket: pulumi.Input<string>
  intervalSeconds: number
}

// One pass of the upload. The loop survives a failed pass (the next one retries); SIGTERM, which
// arrives after the main container has exited and flushed its captures, gets one last upload.
// Only POSIX sh and coreutils: the AWS CLI image has no findutils since it moved to AL2023.
const UPLOAD_SCRIPT = `set -u
upload() {
  ok=0
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
  return $ok
}
trap 'upload; exit 0' TERM
while true; do
  sleep "$INTERVAL" & wait $!
  upload || echo 'upload failed; retrying next pass' >&2
done`

/** The sidecar's own scratch volume. */
export const CAPTURE_UPLOAD_VOLUME = scratch('upload-tmp', '64Mi')

/**
 * A native sidecar (an init container that keeps running) copying a model server's captures to
 * S3, where retraining reads them. It holds nothing back: the server starts beside it, and stops
 * before it, so that its last captures are uploaded too.
 */
export function captureUploadSidecar(args: CaptureUploadArgs): Container {
  return {
    name: 'capture-upload',
    image: AWS_CLI_IMAGE,
    restartPolicy: 'Always',
    command: ['/bin/sh', '-c', UPLOAD_SCRIPT],
    env: [
      { name: 'CAPTURE_DIR', value: args.dir },
      { name: 'CAPTURE_BUCKET', value: args.bucket },
      { name: 'INTERVAL', value: String(args.intervalSeconds) },
      // The CLI writes its cache under HOME; the root filesystem is read-only.
      { name: 'HOME', value: '/tmp' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    resources: resources('100m', '256Mi'),
    securityContext: CONTAINER_SECURITY,
    volumeMounts: [
      { name: args.volume, mountPath: args.dir },
      { name: CAPTURE_UPLOAD_VOLUME.name, mountPath: '/tmp' },
    ],
  }
}
