//! Built-in knowledge: which resource types hold data that a delete or replace destroys, and which
//! in-place updates stop or restart the thing being updated. Users extend both in `[review]`; the
//! lists here are the defaults a team gets without writing any configuration.

/// Resource types whose delete or replace loses data or identity that cannot be recreated from
/// code: databases and clusters, caches with persistence, queues and streams, buckets and storage
/// accounts, disks and volumes, file systems, key and secret stores, DNS zones. A trailing `*`
/// matches any suffix (a provider's family of file systems, say).
pub const STATEFUL_TYPES: &[&str] = &[
    // AWS: databases and warehouses
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_rds_global_cluster",
    "aws_docdb_cluster",
    "aws_docdb_elastic_cluster",
    "aws_neptune_cluster",
    "aws_dynamodb_table",
    "aws_dynamodb_global_table",
    "aws_redshift_cluster",
    "aws_redshiftserverless_namespace",
    "aws_timestreamwrite_database",
    "aws_timestreamwrite_table",
    "aws_keyspaces_keyspace",
    "aws_keyspaces_table",
    "aws_qldb_ledger",
    "aws_opensearch_domain",
    "aws_elasticsearch_domain",
    // AWS: caches with persistence
    "aws_elasticache_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_serverless_cache",
    "aws_memorydb_cluster",
    // AWS: queues and streams
    "aws_sqs_queue",
    "aws_kinesis_stream",
    "aws_msk_cluster",
    "aws_msk_serverless_cluster",
    "aws_mq_broker",
    // AWS: storage
    "aws_s3_bucket",
    "aws_s3_directory_bucket",
    "aws_glacier_vault",
    "aws_backup_vault",
    "aws_ebs_volume",
    "aws_efs_file_system",
    "aws_fsx_*",
    "aws_ecr_repository",
    // AWS: keys, secrets, identities, DNS
    "aws_kms_key",
    "aws_secretsmanager_secret",
    "aws_cognito_user_pool",
    "aws_route53_zone",
    // Google Cloud
    "google_sql_database_instance",
    "google_sql_database",
    "google_alloydb_cluster",
    "google_spanner_instance",
    "google_spanner_database",
    "google_bigtable_instance",
    "google_bigtable_table",
    "google_bigquery_dataset",
    "google_bigquery_table",
    "google_firestore_database",
    "google_redis_instance",
    "google_redis_cluster",
    "google_pubsub_topic",
    "google_pubsub_subscription",
    "google_storage_bucket",
    "google_compute_disk",
    "google_compute_region_disk",
    "google_filestore_instance",
    "google_kms_key_ring",
    "google_kms_crypto_key",
    "google_secret_manager_secret",
    "google_dns_managed_zone",
    "google_container_cluster",
    // Azure
    "azurerm_storage_account",
    "azurerm_storage_container",
    "azurerm_storage_share",
    "azurerm_storage_queue",
    "azurerm_storage_table",
    "azurerm_managed_disk",
    "azurerm_netapp_volume",
    "azurerm_mssql_server",
    "azurerm_mssql_database",
    "azurerm_mssql_managed_instance",
    "azurerm_sql_server",
    "azurerm_sql_database",
    "azurerm_postgresql_server",
    "azurerm_postgresql_database",
    "azurerm_postgresql_flexible_server",
    "azurerm_postgresql_flexible_server_database",
    "azurerm_mysql_server",
    "azurerm_mysql_database",
    "azurerm_mysql_flexible_server",
    "azurerm_mysql_flexible_database",
    "azurerm_mariadb_server",
    "azurerm_cosmosdb_account",
    "azurerm_cosmosdb_sql_database",
    "azurerm_cosmosdb_sql_container",
    "azurerm_cosmosdb_mongo_database",
    "azurerm_redis_cache",
    "azurerm_managed_redis",
    "azurerm_servicebus_namespace",
    "azurerm_servicebus_queue",
    "azurerm_servicebus_topic",
    "azurerm_eventhub_namespace",
    "azurerm_eventhub",
    "azurerm_key_vault",
    "azurerm_key_vault_key",
    "azurerm_key_vault_secret",
    "azurerm_dns_zone",
    "azurerm_private_dns_zone",
    "azurerm_kubernetes_cluster",
    "azurerm_data_lake_store",
    // Kubernetes
    "kubernetes_persistent_volume",
    "kubernetes_persistent_volume_v1",
    "kubernetes_persistent_volume_claim",
    "kubernetes_persistent_volume_claim_v1",
    "kubernetes_stateful_set",
    "kubernetes_stateful_set_v1",
    "kubernetes_namespace",
    "kubernetes_namespace_v1",
    "kubernetes_secret",
    "kubernetes_secret_v1",
    // Others
    "digitalocean_database_cluster",
    "digitalocean_volume",
    "digitalocean_spaces_bucket",
    "cloudflare_zone",
    "cloudflare_r2_bucket",
    "cloudflare_d1_database",
    "cloudflare_workers_kv_namespace",
    "mongodbatlas_cluster",
    "mongodbatlas_advanced_cluster",
    "mongodbatlas_serverless_instance",
    "heroku_addon",
    "snowflake_database",
    "snowflake_schema",
    "snowflake_table",
    "postgresql_database",
    "mysql_database",
    "confluent_kafka_cluster",
    "confluent_kafka_topic",
    "kafka_topic",
    "vault_mount",
    "github_repository",
    "gitlab_project",
    "hcloud_volume",
    "linode_volume",
    "scaleway_rdb_instance",
    "openstack_blockstorage_volume_v3",
    "oci_database_autonomous_database",
    "oci_objectstorage_bucket",
    "ibm_database",
    "alicloud_db_instance",
    "alicloud_oss_bucket",
    "vsphere_virtual_disk",
];

/// Whether a resource type is in the built-in stateful catalog.
pub fn is_stateful_type(resource_type: &str) -> bool {
    STATEFUL_TYPES.iter().any(|t| match t.strip_suffix('*') {
        Some(prefix) => resource_type.starts_with(prefix),
        None => *t == resource_type,
    })
}

/// In-place updates known to stop, restart, reboot or fail over the resource: (type, attribute
/// path with list indices left out, what happens).
pub const DOWNTIME_UPDATES: &[(&str, &str, &str)] = &[
    (
        "aws_instance",
        "instance_type",
        "stops and starts the instance",
    ),
    ("aws_instance", "user_data", "stops and starts the instance"),
    (
        "aws_instance",
        "user_data_base64",
        "stops and starts the instance",
    ),
    (
        "aws_instance",
        "ebs_optimized",
        "stops and starts the instance",
    ),
    (
        "aws_instance",
        "cpu_options",
        "stops and starts the instance",
    ),
    (
        "aws_db_instance",
        "instance_class",
        "restarts the database (a failover if Multi-AZ)",
    ),
    (
        "aws_db_instance",
        "storage_type",
        "can make the database unavailable while storage converts",
    ),
    (
        "aws_db_instance",
        "engine_version",
        "upgrades the engine with a restart",
    ),
    (
        "aws_db_instance",
        "parameter_group_name",
        "needs a reboot for static parameters",
    ),
    (
        "aws_db_instance",
        "option_group_name",
        "can restart the database",
    ),
    (
        "aws_rds_cluster",
        "engine_version",
        "upgrades the cluster with a restart",
    ),
    (
        "aws_rds_cluster",
        "db_cluster_instance_class",
        "restarts the cluster instances",
    ),
    (
        "aws_rds_cluster_instance",
        "instance_class",
        "restarts the instance (a failover for the writer)",
    ),
    (
        "aws_rds_cluster_instance",
        "engine_version",
        "upgrades the instance with a restart",
    ),
    (
        "aws_elasticache_cluster",
        "node_type",
        "replaces the nodes: connections drop",
    ),
    (
        "aws_elasticache_cluster",
        "engine_version",
        "restarts the nodes",
    ),
    (
        "aws_elasticache_replication_group",
        "node_type",
        "replaces the nodes: connections drop",
    ),
    (
        "aws_elasticache_replication_group",
        "engine_version",
        "restarts the nodes",
    ),
    (
        "aws_memorydb_cluster",
        "node_type",
        "replaces the nodes: connections drop",
    ),
    (
        "aws_redshift_cluster",
        "node_type",
        "resizes the cluster: read-only or unavailable meanwhile",
    ),
    (
        "aws_redshift_cluster",
        "number_of_nodes",
        "resizes the cluster: read-only or unavailable meanwhile",
    ),
    (
        "aws_redshift_cluster",
        "cluster_type",
        "resizes the cluster: read-only or unavailable meanwhile",
    ),
    ("aws_mq_broker", "host_instance_type", "reboots the broker"),
    ("aws_mq_broker", "engine_version", "reboots the broker"),
    (
        "aws_msk_cluster",
        "broker_node_group_info.instance_type",
        "rolls every broker",
    ),
    ("aws_msk_cluster", "kafka_version", "rolls every broker"),
    (
        "aws_opensearch_domain",
        "engine_version",
        "runs a blue/green deployment",
    ),
    (
        "aws_opensearch_domain",
        "cluster_config.instance_type",
        "runs a blue/green deployment",
    ),
    (
        "aws_elasticsearch_domain",
        "elasticsearch_version",
        "runs a blue/green deployment",
    ),
    (
        "aws_elasticsearch_domain",
        "cluster_config.instance_type",
        "runs a blue/green deployment",
    ),
    ("aws_eks_node_group", "version", "replaces every node"),
    (
        "aws_eks_node_group",
        "release_version",
        "replaces every node",
    ),
    (
        "aws_eks_node_group",
        "launch_template.version",
        "replaces every node",
    ),
    (
        "google_compute_instance",
        "machine_type",
        "stops and starts the instance",
    ),
    (
        "google_compute_instance",
        "min_cpu_platform",
        "stops and starts the instance",
    ),
    (
        "google_compute_instance",
        "guest_accelerator",
        "stops and starts the instance",
    ),
    (
        "google_compute_instance",
        "service_account",
        "stops and starts the instance",
    ),
    (
        "google_sql_database_instance",
        "settings.tier",
        "restarts the instance",
    ),
    (
        "google_sql_database_instance",
        "database_version",
        "upgrades the instance with downtime",
    ),
    (
        "google_sql_database_instance",
        "settings.database_flags",
        "may restart the instance",
    ),
    (
        "google_redis_instance",
        "memory_size_gb",
        "resizes the instance (a basic tier loses its data)",
    ),
    (
        "google_redis_instance",
        "redis_version",
        "upgrades the instance with a restart",
    ),
    (
        "google_container_node_pool",
        "node_config",
        "recreates every node",
    ),
    (
        "google_container_node_pool",
        "version",
        "upgrades every node",
    ),
    (
        "google_container_cluster",
        "min_master_version",
        "upgrades the control plane",
    ),
    (
        "azurerm_linux_virtual_machine",
        "size",
        "restarts the virtual machine",
    ),
    (
        "azurerm_windows_virtual_machine",
        "size",
        "restarts the virtual machine",
    ),
    (
        "azurerm_virtual_machine",
        "vm_size",
        "restarts the virtual machine",
    ),
    (
        "azurerm_linux_virtual_machine_scale_set",
        "sku",
        "restarts the instances",
    ),
    (
        "azurerm_windows_virtual_machine_scale_set",
        "sku",
        "restarts the instances",
    ),
    (
        "azurerm_postgresql_flexible_server",
        "sku_name",
        "restarts the server",
    ),
    (
        "azurerm_postgresql_flexible_server",
        "version",
        "upgrades the server with downtime",
    ),
    (
        "azurerm_mysql_flexible_server",
        "sku_name",
        "restarts the server",
    ),
    (
        "azurerm_mysql_flexible_server",
        "version",
        "upgrades the server with downtime",
    ),
    (
        "azurerm_mssql_database",
        "sku_name",
        "drops connections while scaling",
    ),
    (
        "azurerm_redis_cache",
        "sku_name",
        "can drop connections while scaling",
    ),
    (
        "azurerm_redis_cache",
        "family",
        "can drop connections while scaling",
    ),
    (
        "azurerm_redis_cache",
        "capacity",
        "can drop connections while scaling",
    ),
    (
        "azurerm_kubernetes_cluster",
        "kubernetes_version",
        "upgrades the cluster node by node",
    ),
    (
        "azurerm_kubernetes_cluster_node_pool",
        "vm_size",
        "recreates the node pool",
    ),
    (
        "azurerm_kubernetes_cluster_node_pool",
        "orchestrator_version",
        "upgrades every node",
    ),
    (
        "digitalocean_droplet",
        "size",
        "powers the droplet off and on",
    ),
    (
        "digitalocean_database_cluster",
        "size",
        "resizes the cluster with a failover",
    ),
    (
        "digitalocean_database_cluster",
        "version",
        "upgrades the cluster with downtime",
    ),
];

/// Whether a changed attribute path (dotted, list indices included) is covered by a downtime
/// attribute (dotted, no indices): equal once indices are dropped, or below it.
pub fn path_matches(known: &str, changed: &str) -> bool {
    let changed: Vec<&str> = changed
        .split('.')
        .filter(|s| !s.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let known: Vec<&str> = known.split('.').collect();
    changed.len() >= known.len() && changed.iter().zip(&known).all(|(c, k)| c == k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_covers_the_major_providers_and_prefixes() {
        for t in [
            "aws_db_instance",
            "google_sql_database_instance",
            "azurerm_storage_account",
            "kubernetes_persistent_volume_claim",
            "aws_fsx_lustre_file_system",
            "aws_route53_zone",
            "aws_sqs_queue",
        ] {
            assert!(is_stateful_type(t), "{t}");
        }
        assert!(!is_stateful_type("aws_instance"));
        assert!(!is_stateful_type("null_resource"));
    }

    #[test]
    fn downtime_paths_ignore_list_indices() {
        assert!(path_matches("settings.tier", "settings.0.tier"));
        assert!(path_matches("instance_type", "instance_type"));
        assert!(path_matches("node_config", "node_config.0.machine_type"));
        assert!(!path_matches("settings.tier", "settings.0.disk_size"));
        assert!(!path_matches("instance_type", "instance_types"));
    }
}
