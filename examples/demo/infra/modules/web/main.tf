# Simulated web tier: one directory per replica holding its rendered config. Replicas are
# stateless, so replacing them (e.g. a new app_version) is a plain replace, not data loss.

variable "environment" {
  type = string
}

variable "root_dir" {
  description = "Absolute directory holding one sub-directory per replica."
  type        = string
}

variable "replicas" {
  type = number
}

variable "instance_type" {
  type = string
}

variable "app_version" {
  type = string
}

variable "db_endpoint" {
  type = string
}

resource "null_resource" "replica" {
  count = var.replicas

  triggers = {
    dir           = "${var.root_dir}/replica-${count.index}"
    instance_type = var.instance_type
    app_version   = var.app_version
    db_endpoint   = var.db_endpoint
  }

  provisioner "local-exec" {
    command = "mkdir -p '${self.triggers.dir}' && printf 'environment=${var.environment}\\napp_version=%s\\ninstance_type=%s\\ndb=%s\\n' '${self.triggers.app_version}' '${self.triggers.instance_type}' '${self.triggers.db_endpoint}' > '${self.triggers.dir}/app.conf'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "rm -rf '${self.triggers.dir}'"
  }
}

output "replica_dirs" {
  value = null_resource.replica[*].triggers.dir
}
