import * as aws from '@pulumi/aws'
import * as pulumi from '@pulumi/pulumi'

/** What a Kubernetes service account needs to assume an IAM role (IRSA). */
export interface OidcProvider {
  arn: pulumi.Input<string>
  /** The issuer without `https://`, as the trust policy's condition keys spell it. */
  issuer: pulumi.Input<string>
}

/** One IAM policy statement. */
export interface Statement {
  Effect: 'Allow' | 'Deny'
  Action: string | string[]
  Resource: pulumi.Input<string> | pulumi.Input<string>[]
  Condition?: Record<string, Record<string, pulumi.Input<string> | pulumi.Input<string>[]>>
}

export interface ServiceAccountRoleArgs {
  oidc: OidcProvider
  namespace: string
  serviceAccount: string
  /** The role's inline policy. */
  statements?: Statement[]
  /** AWS managed policies to attach instead of (or besides) the inline policy. */
  managedPolicyArns?: string[]
}

/**
 * An IAM role that only the given service account can assume, through the cluster's OIDC
 * provider: the trust policy pins the audience and the exact `system:serviceaccount:<ns>:<name>`.
 */
export function serviceAccountRole(
  name: string,
  args: ServiceAccountRoleArgs,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
  const subject = `system:serviceaccount:${args.namespace}:${args.serviceAccount}`
  const role = new aws.iam.Role(
    name,
    {
      assumeRolePolicy: pulumi.all([args.oidc.arn, args.oidc.issuer]).apply(([arn, issuer]) =>
        JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: arn },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`${issuer}:sub`]: subject,
                  [`${issuer}:aud`]: 'sts.amazonaws.com',
                },
              },
            },
          ],
        }),
      ),
    },
    opts,
  )
  const child = { ...opts, parent: role }
  if (args.statements?.length) rolePolicy(`${name}-policy`, role, args.statements, child)
  attachManagedPolicies(name, role, args.managedPolicyArns ?? [], child)
  return role
}

/** A role an AWS service assumes, such as `ec2.amazonaws.com` for nodes. */
export function awsServiceRole(
  name: string,
  service: string,
  opts: pulumi.CustomResourceOptions,
): aws.iam.Role {
  return new aws.iam.Role(
    name,
    {
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
      }),
    },
    opts,
  )
}

/** Attaches AWS managed policies to a role, each as its own attachment. */
export function attachManagedPolicies(
  name: string,
  role: aws.iam.Role,
  policyArns: string[],
  opts: pulumi.CustomResourceOptions,
) {
  for (const arn of policyArns) {
    const policy = arn.split('/').at(-1)
    new aws.iam.RolePolicyAttachment(`${name}-${policy}`, { role: role.name, policyArn: arn }, opts)
  }
}

/** An inline policy on a role. */
export function rolePolicy(
  name: string,
  role: aws.iam.Role,
  statements: Statement[],
  opts: pulumi.CustomResourceOptions,
): aws.iam.RolePolicy {
  return new aws.iam.RolePolicy(
    name,
    {
      role: role.id,
      policy: pulumi.jsonStringify({ Version: '2012-10-17', Statement: statements }),
    },
    opts,
  )
}
