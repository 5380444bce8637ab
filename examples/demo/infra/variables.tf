# Per-environment inputs live in environments/<env>.tfvars and differ only in quantity.
# Everything that defines the *kind* of infrastructure (engine, versions) is fixed here so that
# staging resembles prod.

variable "environment" {
  description = "Environment name; keeps each environment's simulated resources apart."
  type        = string
}

variable "sim_root" {
  description = "Absolute directory where the simulated resources live. Not in any tfvars: set TF_VAR_sim_root."
  type        = string

  validation {
    # A relative path would resolve inside ferry's throw-away work dir and vanish with it.
    condition     = substr(var.sim_root, 0, 1) == "/"
    error_message = "The sim_root value must be an absolute path (set TF_VAR_sim_root)."
  }
}

variable "web_replicas" {
  description = "Number of web tier replicas."
  type        = number
}

variable "web_instance_type" {
  description = "Web replica size; one family (t3) in every environment."
  type        = string
}

variable "db_instance_class" {
  description = "Database size; one family (db.t3) in every environment."
  type        = string
}

variable "db_storage_gb" {
  description = "Database storage in GiB."
  type        = number
}

variable "app_version" {
  description = "Web application release deployed on every replica."
  type        = string
  default     = "1.0.0"
}

variable "db_engine_version" {
  description = "Database engine version. Changing it replaces the database (and loses its data)."
  type        = string
  default     = "14.9"
}
