//! Roles per environment, as pure functions: a grant is `ROLE:ENV` or `ROLE:*` (`ROLE` alone is
//! `ROLE:*`); `admin` implies every role, and every role implies `viewer` of its environment.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Planner,
    Applier,
    Approver,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Viewer,
        Role::Planner,
        Role::Applier,
        Role::Approver,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Planner => "planner",
            Role::Applier => "applier",
            Role::Approver => "approver",
            Role::Admin => "admin",
        }
    }

    fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Whether holding `self` gives `needed` (on the same environment).
    fn implies(self, needed: Role) -> bool {
        self == needed || self == Role::Admin || needed == Role::Viewer
    }
}

/// One role on one environment (`env: None` is every environment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub role: Role,
    pub env: Option<String>,
}

impl fmt::Display for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.role.as_str(),
            self.env.as_deref().unwrap_or("*")
        )
    }
}

impl Grant {
    /// Parses `ROLE`, `ROLE:ENV` or `ROLE:*`; the error says what is accepted.
    pub fn parse(text: &str) -> Result<Grant, String> {
        let text = text.trim();
        let (role, env) = match text.split_once(':') {
            Some((r, e)) => (r, Some(e)),
            None => (text, None),
        };
        let role = Role::parse(&role.to_ascii_lowercase()).ok_or_else(|| {
            format!(
                "unknown role '{role}' in '{text}'; roles are viewer, planner, applier, approver, admin, written ROLE:ENV or ROLE:*"
            )
        })?;
        let env = match env {
            None | Some("*") => None,
            Some(e) if valid_env(e) => Some(e.to_string()),
            Some(e) => {
                return Err(format!(
                    "bad environment '{e}' in role '{text}'; an environment name is letters, digits, '-' and '_', or * for every environment"
                ))
            }
        };
        Ok(Grant { role, env })
    }

    /// Whether this grant gives `role` on `env` (`None`: on some environment).
    pub fn allows(&self, role: Role, env: Option<&str>) -> bool {
        if !self.role.implies(role) {
            return false;
        }
        match (env, &self.env) {
            (None, _) | (_, None) => true,
            (Some(want), Some(have)) => want == have,
        }
    }
}

fn valid_env(e: &str) -> bool {
    !e.is_empty()
        && e.len() <= 64
        && e.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses every grant, naming the first bad one.
pub fn parse_grants<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Grant>, String> {
    texts.iter().map(|t| Grant::parse(t.as_ref())).collect()
}

/// Whether any grant gives `role` on `env`.
pub fn allowed(grants: &[Grant], role: Role, env: Option<&str>) -> bool {
    grants.iter().any(|g| g.allows(role, env))
}

/// How the 403 names what was needed: `approver:prod`, or `planner` (on any environment).
pub fn needed(role: Role, env: Option<&str>) -> String {
    match env {
        Some(e) => format!("{}:{e}", role.as_str()),
        None => role.as_str().to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn g(t: &str) -> Grant {
        Grant::parse(t).unwrap()
    }

    #[test]
    fn grants_parse_with_star_and_bare_role_meaning_every_environment() {
        assert_eq!(
            g("approver:prod"),
            Grant {
                role: Role::Approver,
                env: Some("prod".into())
            }
        );
        assert_eq!(g("planner:*"), g("planner"));
        assert_eq!(g("planner").env, None);
        assert_eq!(g("Admin").role, Role::Admin);
        assert_eq!(g("approver:prod").to_string(), "approver:prod");
        assert_eq!(g("viewer").to_string(), "viewer:*");
    }

    #[test]
    fn bad_grants_name_what_is_wrong() {
        let e = Grant::parse("deployer:prod").unwrap_err();
        assert!(e.contains("unknown role 'deployer'"), "{e}");
        let e = Grant::parse("approver:pr od").unwrap_err();
        assert!(e.contains("bad environment 'pr od'"), "{e}");
        assert!(Grant::parse("approver:").is_err());
        let e = parse_grants(&["viewer", "nope"]).unwrap_err();
        assert!(e.contains("'nope'"), "{e}");
    }

    #[test]
    fn a_role_gives_itself_and_viewer_on_its_environment_only() {
        let grants = vec![g("approver:prod")];
        assert!(allowed(&grants, Role::Approver, Some("prod")));
        assert!(allowed(&grants, Role::Viewer, Some("prod")));
        assert!(!allowed(&grants, Role::Approver, Some("staging")));
        assert!(!allowed(&grants, Role::Viewer, Some("staging")));
        assert!(!allowed(&grants, Role::Applier, Some("prod")));
        assert!(!allowed(&grants, Role::Planner, None));
        // "on some environment" (release upload needs planner anywhere).
        assert!(allowed(&grants, Role::Approver, None));
        assert!(allowed(&grants, Role::Viewer, None));
    }

    #[test]
    fn star_covers_every_environment_and_admin_implies_every_role() {
        let grants = vec![g("planner:*")];
        assert!(allowed(&grants, Role::Planner, Some("prod")));
        assert!(allowed(&grants, Role::Viewer, Some("dev")));
        assert!(!allowed(&grants, Role::Applier, Some("dev")));
        let admin = vec![g("admin:staging")];
        for r in Role::ALL {
            assert!(allowed(&admin, r, Some("staging")), "{r:?}");
            assert!(!allowed(&admin, r, Some("prod")), "{r:?}");
        }
        assert!(allowed(&[g("admin")], Role::Approver, Some("prod")));
        assert!(!allowed(&[], Role::Viewer, None));
    }

    #[test]
    fn the_needed_role_is_named_as_written() {
        assert_eq!(needed(Role::Approver, Some("prod")), "approver:prod");
        assert_eq!(needed(Role::Planner, None), "planner");
    }
}
