package main

import rego.v1

db_change(actions) := {"resource_changes": [{
	"address": "null_resource.db",
	"type": "null_resource",
	"name": "db",
	"change": {"actions": actions},
}]}

test_replacing_the_database_is_denied if {
	deny["null_resource.db: replacing the database would destroy its data"] with input as db_change(["delete", "create"])
}

test_deleting_the_database_is_denied if {
	deny["null_resource.db: deleting the database would destroy its data"] with input as db_change(["delete"])
}

test_updating_the_database_is_allowed if {
	count(deny) == 0 with input as db_change(["update"])
}

test_deleting_a_replica_warns if {
	plan := {"resource_changes": [{
		"address": "module.web.null_resource.replica[2]",
		"type": "null_resource",
		"name": "replica",
		"change": {"actions": ["delete"]},
	}]}
	warn["module.web.null_resource.replica[2] will be deleted"] with input as plan
	count(deny) == 0 with input as plan
}
