//! Runs the real `terraform` or `tofu` binary (init, plan, show -json, apply) in a work directory, streaming and capturing its output, with timeouts. The only crate that spawns the engine.
