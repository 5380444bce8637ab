environment       = "staging"
web_replicas      = 2
web_instance_type = "t3.medium"
db_instance_class = "db.t3.medium"
db_storage_gb     = 50
