//! The generated files themselves, for the example project and the four-environment chain,
//! in local and team mode. Review changes with `cargo insta review`.

use crate::common::{fixtures, gen};
use ferry_ci::Provider;

#[test]
fn generated_pipelines() {
    for (name, text) in fixtures() {
        for provider in Provider::ALL {
            let generated = gen(&text, provider);
            insta::assert_snapshot!(format!("{name}_{provider}"), generated.contents);
        }
    }
}

#[test]
fn same_input_same_bytes() {
    for (_, text) in fixtures() {
        for provider in Provider::ALL {
            assert_eq!(gen(&text, provider), gen(&text, provider));
        }
    }
}
