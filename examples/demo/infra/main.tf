# A small service: a web tier (a local module, count = replicas) in front of a database.
# Both are null_resource + local-exec simulations whose "resources" are directories under
# var.sim_root/<environment>, so tests can see real creation and real data loss.

locals {
  env_root  = "${var.sim_root}/${var.environment}"
  db_engine = "postgres"
}

module "web" {
  source = "./modules/web"

  environment   = var.environment
  root_dir      = "${local.env_root}/web"
  replicas      = var.web_replicas
  instance_type = var.web_instance_type
  app_version   = var.app_version
  db_endpoint   = "${local.db_engine}://db.${var.environment}.internal:5432/app"
}

# The stateful resource. null_resource can only be replaced, never updated in place, so any
# change to these triggers destroys the data directory and creates an empty one: exactly the
# data loss `ferry review` must block.
resource "null_resource" "db" {
  triggers = {
    # Destroy-time provisioners may only reference self, so the path must live in triggers.
    data_dir       = "${local.env_root}/db"
    engine         = local.db_engine
    engine_version = var.db_engine_version
    instance_class = var.db_instance_class
    storage_gb     = tostring(var.db_storage_gb)
  }

  provisioner "local-exec" {
    command = "mkdir -p '${self.triggers.data_dir}' && printf 'engine=%s %s\\nclass=%s\\nstorage_gb=%s\\n' '${self.triggers.engine}' '${self.triggers.engine_version}' '${self.triggers.instance_class}' '${self.triggers.storage_gb}' > '${self.triggers.data_dir}/PG_VERSION' && echo 'initial rows' > '${self.triggers.data_dir}/data.db'"
  }

  provisioner "local-exec" {
    when    = destroy
    command = "rm -rf '${self.triggers.data_dir}'"
  }
}
