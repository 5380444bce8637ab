//! Who someone is, as the gates see it. An identity is a string as it reached ferry (a git email,
//! a CI login, a token's user); a person is what separation of duties and approver counting
//! compare. `[people]` in ferry.toml maps aliases to one person, e.g.
//! `alice = ["alice@corp.example", "github:alice"]`.
//!
//! Unmapped identities fall back to their *handle* (the local part of an email, the login after a
//! `provider:` prefix): `alice` and `alice@corp.example` are then one person. That merge can only
//! make a gate stricter (two spellings of one person never count twice, a planner never approves
//! under another spelling); two different people who share a handle are told apart by listing them
//! in `[people]`.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Where an identity came from; self-asserted sources are stated wherever approvals are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentitySource {
    /// `FERRY_USER` (local mode; anyone can set it).
    FerryUser,
    /// The CI's actor variable (GITHUB_ACTOR, GITLAB_USER_LOGIN, …).
    CiActor,
    /// `git config user.email`.
    GitConfig,
    /// An authenticated token or session of `ferry serve`.
    Token,
    /// A CI OIDC ID token verified by `ferry serve`.
    Oidc,
    /// A trusted SSO proxy header.
    Proxy,
}

impl IdentitySource {
    /// Whether the identity was only claimed, not proven, so strong gates need a signature.
    pub fn self_asserted(self) -> bool {
        matches!(
            self,
            IdentitySource::FerryUser | IdentitySource::CiActor | IdentitySource::GitConfig
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IdentitySource::FerryUser => "FERRY_USER",
            IdentitySource::CiActor => "ci-actor",
            IdentitySource::GitConfig => "git-config",
            IdentitySource::Token => "token",
            IdentitySource::Oidc => "oidc",
            IdentitySource::Proxy => "proxy",
        }
    }
}

/// A normalised identity: trimmed and lower-cased (emails and CI logins are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Identity(String);

impl Identity {
    pub fn new(raw: &str) -> Identity {
        Identity(raw.trim().to_lowercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part that names the person: `alice` for `alice@corp.example`, `github:alice`, `alice`.
    pub fn handle(&self) -> &str {
        let s = self.0.as_str();
        let s = match s.split_once(':') {
            Some((prefix, rest)) if !prefix.contains('@') && !rest.is_empty() => rest,
            _ => s,
        };
        match s.split_once('@') {
            Some((local, _)) if !local.is_empty() => local,
            _ => s,
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The person behind one or more identities; what the gates compare.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Person(String);

impl Person {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeopleError {
    #[error("[people]: '{alias}' is listed for both '{first}' and '{second}'; an identity belongs to one person")]
    Ambiguous {
        alias: String,
        first: String,
        second: String,
    },
    #[error("[people]: person names and aliases may not be empty")]
    Empty,
}

/// `[people]`: person name → aliases.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct People {
    by_identity: BTreeMap<Identity, Person>,
}

impl People {
    pub fn from_table(table: &BTreeMap<String, Vec<String>>) -> Result<People, PeopleError> {
        let mut by_identity: BTreeMap<Identity, Person> = BTreeMap::new();
        for (name, aliases) in table {
            let person = Person(Identity::new(name).0);
            if person.0.is_empty() {
                return Err(PeopleError::Empty);
            }
            for alias in std::iter::once(name).chain(aliases) {
                let id = Identity::new(alias);
                if id.0.is_empty() {
                    return Err(PeopleError::Empty);
                }
                if let Some(other) = by_identity.get(&id) {
                    if other != &person {
                        return Err(PeopleError::Ambiguous {
                            alias: alias.clone(),
                            first: other.0.clone(),
                            second: person.0.clone(),
                        });
                    }
                }
                by_identity.insert(id, person.clone());
            }
        }
        Ok(People { by_identity })
    }

    /// The person behind `identity`: its `[people]` entry, else its handle.
    pub fn person_of(&self, identity: &Identity) -> Person {
        match self.by_identity.get(identity) {
            Some(p) => p.clone(),
            None => self
                .by_identity
                .get(&Identity::new(identity.handle()))
                .cloned()
                .unwrap_or_else(|| Person(identity.handle().to_string())),
        }
    }

    /// Whether two identity strings belong to one person.
    pub fn same_person(&self, a: &str, b: &str) -> bool {
        self.person_of(&Identity::new(a)) == self.person_of(&Identity::new(b))
    }
}

/// Someone acting through a front end: the normalised identity, the person it maps to, and how
/// it was established.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub identity: Identity,
    pub person: Person,
    pub source: IdentitySource,
}

impl Actor {
    pub fn new(raw: &str, source: IdentitySource, people: &People) -> Actor {
        let identity = Identity::new(raw);
        let person = people.person_of(&identity);
        Actor {
            identity,
            person,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(entries: &[(&str, &[&str])]) -> People {
        let table = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
            .collect();
        People::from_table(&table).unwrap_or_default()
    }

    #[test]
    fn spellings_of_one_person_are_one_person() {
        let p = People::default();
        assert!(p.same_person("alice", "Alice@Corp.example "));
        assert!(p.same_person("github:alice", "alice@corp.example"));
        assert!(!p.same_person("alice@corp.example", "bob@corp.example"));
    }

    #[test]
    fn aliases_map_to_the_listed_person_and_tell_namesakes_apart() {
        let p = people(&[
            ("alice", &["alice@corp.example", "github:al1ce"]),
            ("alice2", &["alice@other.example"]),
        ]);
        assert!(p.same_person("github:al1ce", "alice@corp.example"));
        assert!(!p.same_person("alice@other.example", "alice@corp.example"));
        assert_eq!(p.person_of(&Identity::new("ALICE")).as_str(), "alice");
    }

    #[test]
    fn an_alias_of_two_people_is_an_error() {
        let table = [
            ("a".to_string(), vec!["x@y".to_string()]),
            ("b".to_string(), vec!["X@y".to_string()]),
        ]
        .into_iter()
        .collect();
        assert!(matches!(
            People::from_table(&table),
            Err(PeopleError::Ambiguous { .. })
        ));
    }

    #[test]
    fn handles() {
        assert_eq!(Identity::new("github:bob").handle(), "bob");
        assert_eq!(Identity::new("bob@x.y").handle(), "bob");
        assert_eq!(Identity::new("bob").handle(), "bob");
        assert_eq!(Identity::new("@x").handle(), "@x");
    }
}
