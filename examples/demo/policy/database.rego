# Rego v1. The database (null_resource.db, in any module) holds the only copy of its data: a
# promotion that deletes or replaces it must be stopped, whatever the review says.
package main

import rego.v1

database(rc) if {
	rc.type == "null_resource"
	rc.name == "db"
}

deletes(rc) if "delete" in rc.change.actions

deny contains msg if {
	some rc in input.resource_changes
	database(rc)
	rc.change.actions == ["delete"]
	msg := sprintf("%s: deleting the database would destroy its data", [rc.address])
}

deny contains msg if {
	some rc in input.resource_changes
	database(rc)
	deletes(rc)
	"create" in rc.change.actions
	msg := sprintf("%s: replacing the database would destroy its data", [rc.address])
}

# Anything else being deleted is allowed, but someone must acknowledge it at approval.
warn contains msg if {
	some rc in input.resource_changes
	deletes(rc)
	not database(rc)
	msg := sprintf("%s will be deleted", [rc.address])
}
