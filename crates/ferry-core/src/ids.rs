//! Content-addressed identifiers. A release id and a plan id are both `sha256:<64 hex>` of bytes;
//! keeping them distinct types stops a plan id being used where a release id is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdError {
    #[error("'{0}' is not an id: expected 'sha256:' followed by 64 hex digits (or a unique prefix of at least 8 hex digits)")]
    Malformed(String),
}

/// Lower-case hex digest, validated.
fn check_hex(s: &str, min: usize) -> bool {
    s.len() >= min
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Accepts `sha256:<hex>`, bare `<hex>`, and prefixes of at least 8 digits. Returns the hex part,
/// which callers resolve against the store when it is a prefix.
pub fn parse_id_prefix(input: &str) -> Result<String, IdError> {
    let hex = input
        .strip_prefix("sha256:")
        .unwrap_or(input)
        .to_ascii_lowercase();
    if check_hex(&hex, 8) {
        Ok(hex)
    } else {
        Err(IdError::Malformed(input.to_string()))
    }
}

macro_rules! sha_id {
    ($name:ident) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// From a full 64-digit hex digest.
            pub fn from_hex(hex: &str) -> Result<Self, IdError> {
                let hex = hex.to_ascii_lowercase();
                if hex.len() == 64 && check_hex(&hex, 64) {
                    Ok(Self(hex))
                } else {
                    Err(IdError::Malformed(hex))
                }
            }
            /// The 64 hex digits, without the `sha256:` prefix.
            pub fn hex(&self) -> &str {
                &self.0
            }
            /// The first 12 hex digits, for human output.
            pub fn short(&self) -> &str {
                &self.0[..12]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "sha256:{}", self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let hex = s
                    .strip_prefix("sha256:")
                    .ok_or_else(|| IdError::Malformed(s.to_string()))?;
                Self::from_hex(hex).map_err(|_| IdError::Malformed(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }
    };
}

sha_id!(ReleaseId);
sha_id!(PlanId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_id_round_trips_and_rejects_garbage() {
        let hex = "ab".repeat(32);
        let id: ReleaseId = format!("sha256:{hex}")
            .parse()
            .unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(id.to_string(), format!("sha256:{hex}"));
        assert_eq!(id.short(), &hex[..12]);
        assert!("sha256:xyz".parse::<ReleaseId>().is_err());
        assert!(
            hex.parse::<ReleaseId>().is_err(),
            "prefix is required in the full form"
        );
    }

    #[test]
    fn prefixes_need_eight_digits() {
        assert_eq!(
            parse_id_prefix("sha256:ABCDEF12"),
            Ok("abcdef12".to_string())
        );
        assert!(parse_id_prefix("abc").is_err());
        assert!(parse_id_prefix("v1").is_err());
    }
}
