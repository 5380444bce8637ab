environment       = "dev"
web_replicas      = 1
web_instance_type = "t3.small"
db_instance_class = "db.t3.small"
db_storage_gb     = 20
