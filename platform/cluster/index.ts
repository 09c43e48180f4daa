import * as aws from '@pulumi/aws'
import * as eks from '@pulumi/eks'
import * as k8s from '@pulumi/kubernetes'
import * as pulumi from '@pulumi/pulumi'
import { CHARTS, helmRelease } from '../charts.ts'
import type { NodeGroupConfig, PlatformConfig } from '../config/index.ts'
import {
  attachManagedPolicies,
  awsServiceRole,
  type OidcProvider,
  serviceAccountRole,
} from '../iam.ts'

/** The taint every GPU node carries: only pods that tolerate it (and ask for GPUs) land there. */
export const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' } as const
/**
 * The label every GPU node carries. The device plugin chart's node affinity requires it when
 * node-feature-discovery isn't installed: without it the DaemonSet silently schedules nothing.
 */
export const GPU_NODE_LABEL = { 'nvidia.com/gpu.present': 'true' } as const
/** The label of the system node group, where everything that isn't GPU work runs. */
export const SYSTEM_NODE_LABEL = { 'infera.dev/pool': 'system' } as const
/** The label the cluster autoscaler reads a node's GPU from (it waits for GPUs on such nodes). */
export const ACCELERATOR_LABEL = 'k8s.amazonaws.com/accelerator'

const KUBE_SYSTEM = 'kube-system'
const AUTOSCALER_SERVICE_ACCOUNT = 'cluster-autoscaler'
const EBS_CSI_SERVICE_ACCOUNT = 'ebs-csi-controller-sa'

export interface ClusterArgs {
  config: PlatformConfig['cluster']
  /** The EKS cluster's physical name. */
  name: string
  region: string
  vpcId: pulumi.Input<string>
  publicSubnetIds: pulumi.Input<string[]>
  privateSubnetIds: pulumi.Input<string[]>
}

/**
 * EKS: the control plane (API access entries and 443 ingress for CI and operators, control-plane
 * logs with a retention, OIDC for IRSA), its add-ons (VPC CNI with network policies, kube-proxy,
 * CoreDNS), a system node group, one GPU node group per GPU type tainted for GPU pods only, the
 * NVIDIA device plugin, the cluster autoscaler (which brings GPU nodes up from zero and removes
 * idle ones), the EBS CSI driver with an encrypted gp3 default StorageClass, and metrics-server
 * for the HPAs.
 */
export class Cluster extends pulumi.ComponentResource {
  readonly clusterName: string
  /** Deploys onto this cluster. */
  readonly provider: k8s.Provider
  readonly kubeconfig: pulumi.Output<string>
  readonly oidc: OidcProvider
  /** The security group EKS puts on the control plane and every managed node. */
  readonly nodeSecurityGroupId: pulumi.Output<string>
  /** What GPU workloads need before they can be scheduled. */
  readonly gpuReady: pulumi.Resource[]
  /** The default StorageClass (encrypted gp3 through the EBS CSI driver) volumes are made with. */
  readonly storageClass: k8s.storage.v1.StorageClass

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('infera:platform:Cluster', name, {}, opts)
    const { config } = args
    const parent = { parent: this }
    this.clusterName = args.name

    const nodeRole = awsServiceRole(`${name}-nodes`, 'ec2.amazonaws.com', parent)
    attachManagedPolicies(
      `${name}-nodes`,
      nodeRole,
      [
        aws.iam.ManagedPolicy.AmazonEKSWorkerNodePolicy,
        aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy,
        aws.iam.ManagedPolicy.AmazonEC2ContainerRegistryReadOnly,
        // Session Manager instead of SSH: no key pairs, no open port 22.
        aws.iam.ManagedPolicy.AmazonSSMManagedInstanceCore,
      ],
      { parent: nodeRole },
    )

    // EKS creates this group on first use, with no retention; made first, it keeps the retention.
    const controlPlaneLogs = new aws.cloudwatch.LogGroup(
      `${name}-control-plane`,
      { name: `/aws/eks/${args.name}/cluster`, retentionInDays: config.logRetentionDays },
      parent,
    )

    const cluster = new eks.Cluster(
      name,
      {
        // Through the log group's output: the cluster (a remote component, whose children
        // dependsOn wouldn't reach) is created only once its log group exists.
        name: controlPlaneLogs.name.apply(() => args.name),
        version: config.version,
        vpcId: args.vpcId,
        publicSubnetIds: args.publicSubnetIds,
        privateSubnetIds: args.privateSubnetIds,
        nodeAssociatePublicIpAddress: false,
        // Access entries only: no aws-auth ConfigMap to drift out of sync.
        authenticationMode: eks.AuthenticationMode.Api,
        accessEntries: Object.fromEntries(
          config.admins.map((principalArn, i) => [
            `admin-${i}`,
            {
              principalArn,
              accessPolicies: {
                admin: {
                  policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy',
                  accessScope: { type: 'cluster' },
                },
              },
            },
          ]),
        ),
        endpointPrivateAccess: true,
        endpointPublicAccess: config.endpointPublicAccess,
        ...(config.endpointPublicAccess ? { publicAccessCidrs: config.publicAccessCidrs } : {}),
        enabledClusterLogTypes: config.logTypes,
        // EXTENDED support (the default) costs six times as much per hour once a version ages.
        upgradePolicy: { supportType: 'STANDARD' },
        // The add-ons below are declared explicitly, as aws.eks.Addon resources.
        useDefaultVpcCni: true,
        corednsAddonOptions: { enabled: false },
        kubeProxyAddonOptions: { enabled: false },
        createOidcProvider: true,
        // Managed node groups only: they carry EKS's cluster security group, which is then the
        // one group the database lets in.
        skipDefaultNodeGroup: true,
        skipDefaultSecurityGroups: true,
        tags: { Name: args.name },
      },
      parent,
    )
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson)
    this.oidc = { arn: cluster.oidcProviderArn, issuer: cluster.oidcIssuer }
    this.nodeSecurityGroupId = cluster.clusterSecurityGroupId

    // The private endpoint answers only what the cluster security group lets in.
    const apiIngress = (
      suffix: string,
      source: { cidrIpv4: string } | { referencedSecurityGroupId: string },
    ) =>
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-api-${suffix}`,
        {
          securityGroupId: this.nodeSecurityGroupId,
          description: 'Kubernetes API from CI and operators',
          ipProtocol: 'tcp',
          fromPort: 443,
          toPort: 443,
          ...source,
        },
        parent,
      )
    for (const cidr of config.privateAccessCidrs)
      apiIngress(cidr.replace(/[./]/g, '-'), { cidrIpv4: cidr })
    for (const group of config.privateAccessSecurityGroups)
      apiIngress(group, { referencedSecurityGroupId: group })

    const addon = (
      addonName: string,
      extra: Partial<aws.eks.AddonArgs>,
      dependsOn: pulumi.Resource[] = [cluster],
    ) =>
      new aws.eks.Addon(
        `${name}-${addonName}`,
        {
          clusterName: args.name,
          addonName,
          // EKS installs these unmanaged at creation; the add-on takes them over.
          resolveConflictsOnCreate: 'OVERWRITE',
          resolveConflictsOnUpdate: 'OVERWRITE',
          ...extra,
        },
        { parent: this, dependsOn },
      )
    const vpcCni = addon('vpc-cni', {
      // The network policy agent: without it NetworkPolicies are accepted and never enforced.
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
    })
    const kubeProxy = addon('kube-proxy', {})

    const nodeGroup = (
      suffix: string,
      group: NodeGroupConfig,
      labels: Record<string, string>,
      gpu: boolean,
    ) =>
      new eks.ManagedNodeGroup(
        `${name}-${suffix}`,
        {
          cluster,
          nodeGroupNamePrefix: `${args.name}-${suffix}-`,
          nodeRoleArn: nodeRole.arn,
          subnetIds: args.privateSubnetIds,
          amiType: gpu ? 'AL2023_x86_64_NVIDIA' : 'AL2023_x86_64_STANDARD',
          instanceTypes: group.instanceTypes,
          capacityType: group.capacityType,
          diskSize: group.diskSize,
          scalingConfig: {
            minSize: group.minSize,
            desiredSize: group.desiredSize,
            maxSize: group.maxSize,
          },
          // The cluster autoscaler owns the desired size once the group exists.
          ignoreScalingChanges: true,
          labels,
          taints: gpu
            ? [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: 'NO_SCHEDULE' }]
            : [],
        },
        { parent: this, dependsOn: [vpcCni, kubeProxy] },
      )
    const systemNodes = nodeGroup('system', config.systemNodes, { ...SYSTEM_NODE_LABEL }, false)
    const gpuNodes = config.gpuNodes.map((group) =>
      nodeGroup(
        `gpu-${group.instanceType.replace('.', '-')}`,
        { ...group, instanceTypes: [group.instanceType] },
        { ...GPU_NODE_LABEL, 'infera.dev/pool': 'gpu', [ACCELERATOR_LABEL]: group.accelerator },
        true,
      ),
    )
    // CoreDNS needs nodes to run on: before them the add-on stays DEGRADED and its create times out.
    const coreDns = addon('coredns', {}, [systemNodes])

    this.provider = new k8s.Provider(
      name,
      { kubeconfig: this.kubeconfig, enableServerSideApply: true },
      { parent: this, dependsOn: [systemNodes, coreDns] },
    )
    const onCluster = { parent: this, provider: this.provider }

    const ebsRole = serviceAccountRole(
      `${name}-ebs-csi`,
      {
        oidc: this.oidc,
        namespace: KUBE_SYSTEM,
        serviceAccount: EBS_CSI_SERVICE_ACCOUNT,
        managedPolicyArns: [aws.iam.ManagedPolicy.AmazonEBSCSIDriverPolicy],
      },
      parent,
    )
    const ebsCsi = addon('aws-ebs-csi-driver', { serviceAccountRoleArn: ebsRole.arn }, [
      systemNodes,
    ])
    this.storageClass = new k8s.storage.v1.StorageClass(
      `${name}-gp3`,
      {
        metadata: {
          name: 'gp3',
          annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
        },
        provisioner: 'ebs.csi.aws.com',
        parameters: { type: 'gp3', encrypted: 'true', 'csi.storage.k8s.io/fstype': 'ext4' },
        volumeBindingMode: 'WaitForFirstConsumer',
        allowVolumeExpansion: true,
        reclaimPolicy: 'Delete',
      },
      { ...onCluster, dependsOn: [ebsCsi] },
    )

    helmRelease(
      `${name}-metrics-server`,
      CHARTS.metricsServer,
      {
        name: 'metrics-server',
        namespace: KUBE_SYSTEM,
        values: { nodeSelector: SYSTEM_NODE_LABEL },
      },
      onCluster,
    )

    const devicePlugin = helmRelease(
      `${name}-nvidia-device-plugin`,
      CHARTS.nvidiaDevicePlugin,
      {
        name: 'nvidia-device-plugin',
        namespace: KUBE_SYSTEM,
        // The chart's defaults tolerate the GPU taint and select nodes by GPU_NODE_LABEL.
        values: { gfd: { enabled: false }, nfd: { enabled: false } },
      },
      onCluster,
    )

    const autoscalerRole = serviceAccountRole(
      `${name}-cluster-autoscaler`,
      {
        oidc: this.oidc,
        namespace: KUBE_SYSTEM,
        serviceAccount: AUTOSCALER_SERVICE_ACCOUNT,
        statements: [
          {
            Effect: 'Allow',
            Action: [
              'autoscaling:DescribeAutoScalingGroups',
              'autoscaling:DescribeAutoScalingInstances',
              'autoscaling:DescribeLaunchConfigurations',
              'autoscaling:DescribeScalingActivities',
              'autoscaling:DescribeTags',
              'ec2:DescribeImages',
              'ec2:DescribeInstanceTypes',
              'ec2:DescribeLaunchTemplateVersions',
              'ec2:GetInstanceTypesFromInstanceRequirements',
              // Scaling a managed group up from zero: its labels and taints come from EKS.
              'eks:DescribeNodegroup',
            ],
            Resource: '*',
          },
          {
            Effect: 'Allow',
            Action: [
              'autoscaling:SetDesiredCapacity',
              'autoscaling:TerminateInstanceInAutoScalingGroup',
            ],
            Resource: '*',
            // Only this cluster's groups, which EKS tags as owned by it.
            Condition: {
              StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${args.name}`]: 'owned' },
            },
          },
        ],
      },
      parent,
    )
    const autoscaler = helmRelease(
      `${name}-cluster-autoscaler`,
      CHARTS.clusterAutoscaler,
      {
        name: 'cluster-autoscaler',
        namespace: KUBE_SYSTEM,
        values: {
          cloudProvider: 'aws',
          awsRegion: args.region,
          autoDiscovery: { clusterName: args.name },
          // The autoscaler's minor version must match the cluster's.
          image: { tag: `v${config.version}.0` },
          rbac: {
            serviceAccount: {
              name: AUTOSCALER_SERVICE_ACCOUNT,
              annotations: { 'eks.amazonaws.com/role-arn': autoscalerRole.arn },
            },
          },
          extraArgs: {
            'balance-similar-node-groups': true,
            // Pack pending pods onto the fewest (GPU) nodes.
            expander: 'least-waste',
            'skip-nodes-with-system-pods': false,
            // Every Infera pod has an emptyDir (scratch, captures): by default that pins its node.
            'skip-nodes-with-local-storage': false,
            'scale-down-unneeded-time': '10m',
          },
          nodeSelector: SYSTEM_NODE_LABEL,
          resources: {
            requests: { cpu: '100m', memory: '300Mi' },
            limits: { cpu: '500m', memory: '600Mi' },
          },
        },
      },
      onCluster,
    )
    this.gpuReady = [...gpuNodes, devicePlugin, autoscaler]

    this.registerOutputs({ clusterName: this.clusterName, kubeconfig: this.kubeconfig })
  }
}
