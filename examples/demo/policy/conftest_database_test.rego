package main

test_conftest_policy_denies_db_replace {
	plan := {"resource_changes": [{"address": "module.data.null_resource.db", "type": "null_resource", "name": "db", "change": {"actions": ["create", "delete"]}}]}
	deny_db_destroy["module.data.null_resource.db: the database may not be destroyed (actions: create,delete)"] with input as plan
}

test_conftest_policy_ignores_other_resources {
	plan := {"resource_changes": [{"address": "null_resource.cache", "type": "null_resource", "name": "cache", "change": {"actions": ["delete"]}}]}
	count(deny_db_destroy) == 0 with input as plan
}
