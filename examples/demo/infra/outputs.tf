output "environment" {
  value = var.environment
}

output "web_replica_dirs" {
  description = "One directory per simulated web replica."
  value       = module.web.replica_dirs
}

output "web_app_version" {
  value = var.app_version
}

output "db_data_dir" {
  description = "The simulated database's data directory."
  value       = null_resource.db.triggers.data_dir
}
