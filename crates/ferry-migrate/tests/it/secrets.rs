//! Database URLs and passwords never appear in any error text (Display or Debug), whatever fails.

use crate::pg::{set_of, write_files};
use ferry_migrate::{
    apply, rehearse, status, ApplyOptions, CompatRelease, DatabaseUrl, MigrateError,
    RehearseOptions,
};
use ferry_testkit::PgServer;

fn assert_clean(what: &str, err: &MigrateError, secrets: &[&str]) {
    for text in [err.to_string(), format!("{err:?}")] {
        for s in secrets {
            assert!(!text.contains(s), "{what}: leaked {s:?} in {text}");
        }
    }
}

#[test]
fn no_error_text_contains_the_url_or_the_password() {
    let server = PgServer::start().unwrap();
    let raw = server.create_database("leaks").unwrap();
    let password = server.secrets()[1].to_string();
    let secrets = [raw.as_str(), password.as_str()];
    let url = DatabaseUrl::new(raw.clone()).unwrap().with_label("app");
    assert!(!format!("{url:?}").contains(&password));

    // A wrong password.
    let wrong_pw = "wrong-pass-0123456789";
    let wrong = DatabaseUrl::new(raw.replace(&password, wrong_pw)).unwrap();
    let (_d, set) = set_of(&[("V1__t.sql", "CREATE TABLE t (id int);\n")]);
    let err = status(&wrong, &set).unwrap_err();
    assert!(matches!(err, MigrateError::Unreachable { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "database 'database' is unreachable: password authentication failed for user \"ferry_app\""
    );
    assert_clean("wrong password", &err, &[wrong_pw, &raw]);

    // A migration whose error message quotes the password back.
    let (_d, leaky) = set_of(&[("V1__leak.sql", &format!("SELECT '{password}'::int;\n"))]);
    let err = apply(&url, &leaky, &ApplyOptions::new("ci")).unwrap_err();
    assert!(matches!(err, MigrateError::MigrationFailed { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("invalid input syntax for type integer: \"***\""),
        "{err}"
    );
    assert_clean("failing migration", &err, &secrets);

    // Rehearsal without usable client tools fails closed, names the tool, drops its scratch db.
    let empty = tempfile::tempdir().unwrap();
    let compat = tempfile::tempdir().unwrap();
    write_files(compat.path(), &[("q.sql", "SELECT 1;\n")]);
    let opts = RehearseOptions {
        client_bin: Some(empty.path().to_path_buf()),
        ..RehearseOptions::default()
    };
    let release = CompatRelease {
        label: "deployed".into(),
        dir: compat.path().to_path_buf(),
    };
    let err = rehearse(&url, &set, &[release], &opts).unwrap_err();
    assert!(
        matches!(&err, MigrateError::Tool { tool, .. } if tool == "pg_dump"),
        "{err}"
    );
    assert_clean("missing pg_dump", &err, &secrets);
    let mut admin = postgres::Client::connect(&server.admin_url(), postgres::NoTls).unwrap();
    let scratch: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'ferry_rehearse_%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0, "the scratch database was left behind");
    drop(admin);

    // A URL that does not parse.
    let bad = format!("postgres://ferry_app:{password}@127.0.0.1:notaport/x");
    let err = DatabaseUrl::new(bad.clone()).unwrap_err();
    assert!(matches!(err, MigrateError::InvalidUrl { .. }), "{err}");
    assert_clean("invalid url", &err, &[&bad, &password]);

    // The server gone.
    server.stop().unwrap();
    let err = status(&url, &set).unwrap_err();
    assert!(matches!(err, MigrateError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string()
            .starts_with("database 'app' is unreachable: "),
        "{err}"
    );
    assert_clean("server stopped", &err, &secrets);
}
