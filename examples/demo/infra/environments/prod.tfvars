environment       = "prod"
web_replicas      = 3
web_instance_type = "t3.large"
db_instance_class = "db.t3.large"
db_storage_gb     = 100
