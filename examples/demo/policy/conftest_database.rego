# A conftest-era policy in Rego v0 syntax, kept as it was written: `conftest test plan.json`
# applies it unchanged, and so does ferry. It guards the same database from a second angle.
package main

is_db(rc) {
	rc.type == "null_resource"
	rc.name == "db"
}

deny_db_destroy[msg] {
	rc := input.resource_changes[_]
	is_db(rc)
	rc.change.actions[_] == "delete"
	msg := sprintf("%s: the database may not be destroyed (actions: %s)", [rc.address, concat(",", rc.change.actions)])
}
