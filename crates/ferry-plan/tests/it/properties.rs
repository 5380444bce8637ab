//! Property tests of the parser: arbitrary bytes and mutated plans never panic, and whatever the
//! streaming scanner accepts is valid JSON by serde_json's standard (and vice versa for plans).

use ferry_plan::{review_bytes, PlanError, ReviewConfig};
use proptest::prelude::*;

const SEED: &[u8] = include_bytes!("fixtures/all_actions.json");

fn is_json(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = review_bytes(&bytes, Some(&bytes), &ReviewConfig::default());
    }

    #[test]
    fn mutated_plans_never_panic_and_bad_json_is_always_refused(
        edits in proptest::collection::vec((0usize..SEED.len(), any::<u8>(), 0u8..3), 1..6)
    ) {
        let mut bytes = SEED.to_vec();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => { bytes.remove(at); }
            }
        }
        match review_bytes(&bytes, None, &ReviewConfig::default()) {
            Ok(_) => prop_assert!(is_json(&bytes), "accepted invalid JSON"),
            Err(PlanError::Invalid { .. }) | Err(PlanError::NotAPlan { .. }) | Err(PlanError::UnsupportedVersion { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
    }

    #[test]
    fn truncated_plans_are_always_refused(cut in 0usize..SEED.len() - 2) {
        prop_assert!(review_bytes(&SEED[..cut], None, &ReviewConfig::default()).is_err());
    }
}

#[test]
fn structural_tokens_sprinkled_anywhere_never_panic() {
    for token in [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "null", "1e999", "-", "\u{0}", "\u{7f}",
    ] {
        for at in (0..SEED.len()).step_by(97) {
            let mut bytes = SEED[..at].to_vec();
            bytes.extend_from_slice(token.as_bytes());
            bytes.extend_from_slice(&SEED[at..]);
            if review_bytes(&bytes, None, &ReviewConfig::default()).is_ok() {
                assert!(
                    is_json(&bytes),
                    "accepted invalid JSON with {token:?} at {at}"
                );
            }
        }
    }
}
