//! `[ci]` (owned here: every key is known, unknown keys are errors) and the two `[server]` keys
//! the pipelines need (`url`, `audience`; the rest of `[server]` belongs to the server and the
//! remote client and is left alone).

use crate::CiError;
use ferry_core::Config;

/// The default drift schedule: daily at 06:17 UTC (off the hour, where scheduled runs queue).
pub const DEFAULT_DRIFT_SCHEDULE: &str = "17 6 * * *";
pub const DEFAULT_MAIN_BRANCH: &str = "main";
pub const DEFAULT_RUNS_ON: &str = "ubuntu-latest";

const CI_KEYS: &[&str] = &[
    "main_branch",
    "drift_schedule",
    "engine_install",
    "ferry_install",
    "runs_on",
    "image",
    "secrets",
    "include",
];

/// The pipeline-relevant settings of one ferry.toml, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub main_branch: String,
    /// Five-field cron, UTC.
    pub drift_schedule: String,
    /// A shell command that installs the engine (overrides the setup action / download).
    pub engine_install: Option<String>,
    /// A shell command that installs ferry; default: `cargo install` of the generating version.
    pub ferry_install: Option<String>,
    /// GitHub `runs-on` label.
    pub runs_on: String,
    /// GitLab job image.
    pub image: Option<String>,
    /// Names of CI secrets exposed to every ferry job as environment variables of the same name.
    pub secrets: Vec<String>,
    /// GitLab: hand-written local files included by the generated `.gitlab-ci.yml`.
    pub include: Vec<String>,
    /// Team mode when set.
    pub server: Option<Server>,
    pub engine: Engine,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub url: String,
    /// The `aud` claim the runner's OIDC ID token is minted for. Default: the server URL, so a
    /// token minted for one ferry server is useless at another.
    pub audience: String,
}

/// Which engine the pipeline installs and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    /// `terraform` or `tofu` (a path or other name counts as terraform-compatible, unpinned).
    pub kind: EngineKind,
    /// An exact `X.Y.Z` version when `[engine] version` is one.
    pub pinned: Option<String>,
    /// `[engine] version` as written, when it is a requirement rather than an exact version.
    pub requirement: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Terraform,
    Tofu,
    /// A path or another binary name: the pipeline cannot know how to install it.
    Other,
}

impl Settings {
    pub fn from_config(config: &Config) -> Result<Settings, CiError> {
        for key in config.ci.keys() {
            if !CI_KEYS.contains(&key.as_str()) {
                return Err(CiError::UnknownKey {
                    table: "ci",
                    key: key.clone(),
                    known: CI_KEYS.join(", "),
                });
            }
        }
        let main_branch = string(&config.ci, "ci", "main_branch")?
            .unwrap_or_else(|| DEFAULT_MAIN_BRANCH.to_string());
        check_branch(&main_branch)?;
        let drift_schedule = string(&config.ci, "ci", "drift_schedule")?
            .unwrap_or_else(|| DEFAULT_DRIFT_SCHEDULE.to_string());
        check_cron(&drift_schedule)?;
        let engine_install = non_empty(&config.ci, "engine_install")?;
        let ferry_install = non_empty(&config.ci, "ferry_install")?;
        let runs_on =
            non_empty(&config.ci, "runs_on")?.unwrap_or_else(|| DEFAULT_RUNS_ON.to_string());
        let image = non_empty(&config.ci, "image")?;
        let secrets = strings(&config.ci, "secrets")?;
        for name in &secrets {
            check_secret_name(name)?;
        }
        let include = strings(&config.ci, "include")?;
        for path in &include {
            check_include(path)?;
        }
        Ok(Settings {
            main_branch,
            drift_schedule,
            engine_install,
            ferry_install,
            runs_on,
            image,
            secrets,
            include,
            server: server(config)?,
            engine: engine(config),
        })
    }
}

fn invalid(table: &'static str, key: &str, message: impl Into<String>) -> CiError {
    CiError::InvalidValue {
        table,
        key: key.to_string(),
        message: message.into(),
    }
}

fn string(table: &toml::Table, name: &'static str, key: &str) -> Result<Option<String>, CiError> {
    match table.get(key) {
        None => Ok(None),
        Some(toml::Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(invalid(
            name,
            key,
            format!("must be a string, found {}", other.type_str()),
        )),
    }
}

fn non_empty(table: &toml::Table, key: &str) -> Result<Option<String>, CiError> {
    match string(table, "ci", key)? {
        Some(s) if s.trim().is_empty() => Err(invalid(
            "ci",
            key,
            "is empty; remove the key for the default",
        )),
        other => Ok(other),
    }
}

fn strings(table: &toml::Table, key: &str) -> Result<Vec<String>, CiError> {
    let Some(value) = table.get(key) else {
        return Ok(Vec::new());
    };
    let toml::Value::Array(items) = value else {
        return Err(invalid(
            "ci",
            key,
            format!("must be an array of strings, found {}", value.type_str()),
        ));
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        match item {
            toml::Value::String(s) if !out.contains(s) => out.push(s.clone()),
            toml::Value::String(s) => {
                return Err(invalid("ci", key, format!("lists \"{s}\" twice")))
            }
            other => {
                return Err(invalid(
                    "ci",
                    key,
                    format!("must be an array of strings, found a {}", other.type_str()),
                ))
            }
        }
    }
    Ok(out)
}

/// Branch names land in GitHub filters and GitLab rule expressions; keep them to characters
/// that need no quoting in either.
fn check_branch(branch: &str) -> Result<(), CiError> {
    let ok = !branch.is_empty()
        && !branch.starts_with(['-', '/', '.'])
        && !branch.ends_with(['/', '.'])
        && !branch.contains("..")
        && branch
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "ci",
            "main_branch",
            format!("'{branch}' is not a branch name ferry can put in a pipeline (letters, digits, '-', '_', '.', '/')"),
        ))
    }
}

/// Five fields of digits, `*`, `,`, `-` and `/`: the subset both GitHub and GitLab accept.
fn check_cron(cron: &str) -> Result<(), CiError> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let ok = fields.len() == 5
        && fields.iter().all(|f| {
            f.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '*' | ',' | '-' | '/'))
        });
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "ci",
            "drift_schedule",
            format!("'{cron}' is not a five-field cron expression (minute hour day month weekday, UTC), e.g. \"{DEFAULT_DRIFT_SCHEDULE}\""),
        ))
    }
}

fn check_secret_name(name: &str) -> Result<(), CiError> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("GITHUB_")
        && !name.starts_with("CI_")
        && !name.starts_with("FERRY_");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "ci",
            "secrets",
            format!("'{name}' is not a usable secret name: upper-case letters, digits and '_', not starting with a digit, GITHUB_, CI_ or FERRY_ (ferry's own variables are set by the pipeline)"),
        ))
    }
}

fn check_include(path: &str) -> Result<(), CiError> {
    let p = std::path::Path::new(path);
    let escapes = p.is_absolute()
        || p.components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)));
    let ok = !escapes
        && (path.ends_with(".yml") || path.ends_with(".yaml"))
        && path.chars().all(|c| !c.is_control());
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "ci",
            "include",
            format!("'{path}' must be a relative .yml/.yaml path inside the repository"),
        ))
    }
}

fn server(config: &Config) -> Result<Option<Server>, CiError> {
    let url = string(&config.server, "server", "url")?;
    let audience = string(&config.server, "server", "audience")?;
    let Some(url) = url else {
        if audience.is_some() {
            return Err(invalid(
                "server",
                "audience",
                "is set but [server] url is not; set url for team mode or remove audience",
            ));
        }
        return Ok(None);
    };
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let ok = rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.chars()
                .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`' | '$'))
    });
    if !ok {
        return Err(invalid(
            "server",
            "url",
            format!("'{url}' is not an http(s) URL like \"https://ferry.example.com\""),
        ));
    }
    let audience = match audience {
        Some(a)
            if a.is_empty()
                || !a.chars().all(|c| {
                    c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | '`' | '$')
                }) =>
        {
            return Err(invalid(
                "server",
                "audience",
                format!("'{a}' must be non-empty printable ASCII without quotes or '$'"),
            ))
        }
        Some(a) => a,
        None => url.clone(),
    };
    Ok(Some(Server { url, audience }))
}

fn engine(config: &Config) -> Engine {
    let kind = match config.engine.binary.as_deref() {
        None | Some("terraform") => EngineKind::Terraform,
        Some("tofu") => EngineKind::Tofu,
        Some(_) => EngineKind::Other,
    };
    let version = config.engine.version.as_deref().map(str::trim);
    let exact = version.filter(|v| {
        let v = v.strip_prefix('=').map_or(*v, str::trim);
        let parts: Vec<&str> = v.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    });
    Engine {
        kind,
        pinned: exact.map(|v| v.trim_start_matches('=').trim().to_string()),
        requirement: version.filter(|_| exact.is_none()).map(str::to_string),
    }
}
