/** PostgreSQL and MySQL instances, and Aurora clusters: where the data is. */
export const RDS_INSTANCE = 'aws:rds/instance:Instance'
export const RDS_CLUSTER = 'aws:rds/cluster:Cluster'
export const RDS_CLUSTER_INSTANCE = 'aws:rds/clusterInstance:ClusterInstance'
