//! Policy as code: built-in rules configured in ferry.toml and Rego policies (conftest-compatible, via regorus) evaluated on every plan, failing closed.
