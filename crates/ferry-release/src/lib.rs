//! Builds, stores and verifies releases: deterministic, content-addressed bundles of the committed IaC tree, read from git, verified by hash on every use.
