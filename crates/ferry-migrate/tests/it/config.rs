//! `[[migration]]` and `[environment.databases]` validation: errors name the key, URLs are
//! refused without being echoed.

use ferry_migrate::config::{EnvironmentDatabases, MigrationConfig, When};
use ferry_migrate::MigrateError;

fn tables(text: &str) -> Vec<toml::Table> {
    let doc: toml::Table = toml::from_str(text).unwrap();
    doc.get("migration")
        .and_then(|v| v.as_array())
        .map(|a| a.iter().map(|t| t.as_table().unwrap().clone()).collect())
        .unwrap_or_default()
}

fn dbs(env: &str, text: &str) -> Result<EnvironmentDatabases, ferry_migrate::ConfigError> {
    let table: toml::Table = toml::from_str(text).unwrap();
    EnvironmentDatabases::from_table(env, &table)
}

#[test]
fn a_full_set_parses_with_defaults() {
    let cfg = MigrationConfig::from_tables(&tables(
        r#"
[[migration]]
name = "app"
dir = "db/migrations/"
compat = "db/compat"

[[migration]]
name = "audit"
dir = "db/audit"
when = "after"
database = "audit"
"#,
    ))
    .unwrap();
    let app = cfg.set("app").unwrap();
    assert_eq!(app.dir, "db/migrations");
    assert_eq!(app.when, When::Auto);
    assert_eq!(app.compat.as_deref(), Some("db/compat"));
    assert_eq!(cfg.set("audit").unwrap().when, When::After);
}

#[test]
fn bad_sets_are_errors_naming_the_key() {
    let cases = [
        ("[[migration]]\nname = \"app\"\ndir = \"db\"\ndri = \"x\"", "[[migration]] #1 (app).dri: unknown key (known: name, dir, engine, when, compat, database)"),
        ("[[migration]]\ndir = \"db\"", "[[migration]] #1.name: is required"),
        ("[[migration]]\nname = \"app\"", "[[migration]] #1 (app).dir: is required"),
        ("[[migration]]\nname = \"app\"\ndir = \"../db\"", "[[migration]] #1 (app).dir: '../db' must be a relative path inside the release, without '..'"),
        ("[[migration]]\nname = \"app\"\ndir = \"db\"\nengine = \"mysql\"", "[[migration]] #1 (app).engine: unknown engine 'mysql'; the only one is \"postgres\""),
        ("[[migration]]\nname = \"app\"\ndir = \"db\"\nwhen = \"during\"", "[[migration]] #1 (app).when: 'during': use \"before\" or \"after\" (or leave it out)"),
        ("[[migration]]\nname = \"app\"\ndir = 7", "[[migration]] #1 (app).dir: must be a string, not integer"),
        ("[[migration]]\nname = \"a\"\ndir = \"x\"\n[[migration]]\nname = \"a\"\ndir = \"y\"", "[[migration]] #2 (a).name: set 'a' is defined twice"),
    ];
    for (text, want) in cases {
        let err = MigrationConfig::from_tables(&tables(text)).unwrap_err();
        assert_eq!(err.to_string(), want, "for:\n{text}");
    }
}

#[test]
fn databases_name_variables_and_refuse_urls_without_echoing_them() {
    let env = dbs(
        "prod",
        r#"app = { url_env = "PROD_APP_DB_URL", scratch_url_env = "PROD_SCRATCH" }"#,
    )
    .unwrap();
    assert_eq!(env.databases[0].url_env, "PROD_APP_DB_URL");
    assert_eq!(
        env.databases[0].scratch_url_env.as_deref(),
        Some("PROD_SCRATCH")
    );

    let secret = "postgres://app:hunter2@db.internal/app";
    for text in [
        format!("app = \"{secret}\""),
        format!("app = {{ url = \"{secret}\" }}"),
    ] {
        let err = dbs("prod", &text).unwrap_err().to_string();
        assert!(
            !err.contains("hunter2") && !err.contains("db.internal"),
            "{err}"
        );
        assert!(err.starts_with("environment 'prod' databases.app"), "{err}");
        assert!(err.contains("url_env"), "{err}");
    }
    assert_eq!(
        dbs("prod", r#"app = { url_env = "lower-case" }"#).unwrap_err().to_string(),
        "environment 'prod' databases.app.url_env: must be the name of an environment variable (A-Z, 0-9, '_')"
    );
    assert_eq!(
        dbs("prod", r#"app = { }"#).unwrap_err().to_string(),
        "environment 'prod' databases.app.url_env: is required"
    );
    assert_eq!(
        dbs("prod", r#"app = { url_env = "X", pool = 3 }"#)
            .unwrap_err()
            .to_string(),
        "environment 'prod' databases.app.pool: unknown key (known: url_env, scratch_url_env)"
    );
}

#[test]
fn a_set_finds_its_database_in_each_environment() {
    let cfg = MigrationConfig::from_tables(&tables(
        "[[migration]]\nname = \"app\"\ndir = \"db\"\n[[migration]]\nname = \"audit\"\ndir = \"a\"\ndatabase = \"logs\"",
    ))
    .unwrap();
    let one = dbs("staging", r#"main = { url_env = "STAGING_DB" }"#).unwrap();
    assert_eq!(
        cfg.set("app").unwrap().database_in(&one).unwrap().name,
        "main"
    );
    let two = dbs(
        "prod",
        "app = { url_env = \"A\" }\nlogs = { url_env = \"L\" }",
    )
    .unwrap();
    assert_eq!(
        cfg.set("app").unwrap().database_in(&two).unwrap().name,
        "app"
    );
    assert_eq!(
        cfg.set("audit").unwrap().database_in(&two).unwrap().name,
        "logs"
    );
    assert_eq!(
        cfg.check_environments(&[one]).unwrap_err().to_string(),
        "[[migration]] (audit).database: environment 'staging' has no database 'logs' (it has: main); set `database`"
    );
    let none = dbs("dev", "").unwrap();
    assert!(cfg
        .set("app")
        .unwrap()
        .database_in(&none)
        .unwrap_err()
        .message
        .contains("has no [environment.databases]"));
}

#[test]
fn an_unset_url_variable_names_the_variable() {
    let env = dbs("prod", r#"app = { url_env = "PROD_APP_DB_URL" }"#).unwrap();
    let err = env.databases[0].url(|_| None).unwrap_err();
    assert!(matches!(err, MigrateError::UrlUnset { .. }));
    assert_eq!(
        err.to_string(),
        "database 'app': environment variable PROD_APP_DB_URL is not set; export the database URL in it"
    );
    assert!(env.databases[0].url(|_| Some("  ".into())).is_err());
    let url = env.databases[0]
        .url(|v| (v == "PROD_APP_DB_URL").then(|| "postgres://u:sekrit@127.0.0.1:1/x".to_string()))
        .unwrap();
    assert!(!format!("{url:?}").contains("sekrit"));
}
