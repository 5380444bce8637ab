# Pinned to what ferry's test harness installs (scripts/install-terraform): Terraform 1.0.3 and
# the null provider 2.1.2 from an offline filesystem mirror.
terraform {
  required_version = ">= 1.0.0"

  required_providers {
    null = {
      source  = "hashicorp/null"
      version = "2.1.2"
    }
  }
}
