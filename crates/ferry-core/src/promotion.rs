//! Promotion rules: may this release enter this environment now? Pure functions over ledger facts.
