//! What every request shares: the ledger, the artifact store, the accounts, the data directory
//! and the authentication settings. Each operation runs on a blocking worker thread over a
//! fresh `ferry_app::App` built from these (the operations layer is synchronous and holds no
//! state between requests that the ledger does not).

use crate::auth::JwtVerifier;
use crate::error::{from_app, ApiError};
use crate::proxy::TrustedProxy;
use ferry_app::{App, LedgerUrl, Note, Observer, SystemClock};
use ferry_store::sealed::{SealedArtifacts, ServerKey};
use ferry_store::{Accounts, ArtifactStore, DirArtifactStore, Ledger, SqliteLedger};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// JSON bodies larger than this are refused with 413.
pub const JSON_LIMIT: usize = 1 << 20;
/// `--max-upload`'s default: 512 MiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 512 << 20;

#[derive(Clone)]
pub struct ServerState {
    pub ledger: Arc<dyn Ledger>,
    pub artifacts: Arc<dyn ArtifactStore>,
    pub accounts: Arc<dyn Accounts>,
    pub data: PathBuf,
    /// Verifies OIDC ID tokens; `None` refuses them (401).
    pub jwt: Option<Arc<dyn JwtVerifier>>,
    /// The trusted-proxy mode; `None` (the default) ignores any proxy header.
    pub proxy: Option<Arc<TrustedProxy>>,
    pub max_upload: u64,
    /// How long a runner's lease lasts without renewal.
    pub lease: std::time::Duration,
    /// Release configurations, parsed once for every request.
    pub configs: ferry_app::ReleaseConfigs,
}

impl std::fmt::Debug for ServerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerState")
            .field("data", &self.data)
            .field("oidc", &self.jwt.is_some())
            .field("proxy", &self.proxy.is_some())
            .finish()
    }
}

/// Opens the ledger a URL names, as the ledger and as the accounts store (one connection).
/// A ledger and its accounts: one store seen through two traits.
pub type Opened = (Arc<dyn Ledger>, Arc<dyn Accounts>);

pub fn open_ledger(url: &LedgerUrl) -> Result<Opened, ApiError> {
    match url {
        LedgerUrl::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                ferry_store::artifacts::create_private_dir(dir).map_err(|e| from_app(&e.into()))?;
            }
            let l = Arc::new(SqliteLedger::open_file(path).map_err(|e| from_app(&e.into()))?);
            Ok((l.clone(), l))
        }
        LedgerUrl::Postgres(u) => {
            let l =
                Arc::new(ferry_store_pg::PgLedger::connect(u).map_err(|e| from_app(&e.into()))?);
            Ok((l.clone(), l))
        }
    }
}

/// The default ledger: the embedded SQLite file in the data directory.
pub fn default_ledger_url(data: &Path) -> LedgerUrl {
    LedgerUrl::Sqlite(data.join(ferry_store::LEDGER_FILE))
}

/// The one place the artifact store is chosen: on PostgreSQL the artifacts live in the same
/// database (so several servers share them), otherwise in the data directory; plan files and
/// plan JSON are sealed with the server key either way (they hold secrets).
pub fn open_artifacts(
    url: &LedgerUrl,
    data: &Path,
    key: ServerKey,
) -> Result<Arc<dyn ArtifactStore>, ApiError> {
    let inner: Arc<dyn ArtifactStore> = match url {
        LedgerUrl::Postgres(u) => {
            Arc::new(ferry_store_pg::PgArtifactStore::connect(u).map_err(|e| from_app(&e.into()))?)
        }
        LedgerUrl::Sqlite(_) => Arc::new(DirArtifactStore::new(data)),
    };
    let scratch = data.join("tmp");
    ferry_store::artifacts::create_private_dir(&scratch).map_err(|e| from_app(&e.into()))?;
    Ok(Arc::new(
        SealedArtifacts::new(inner, key).with_scratch_dir(&scratch),
    ))
}

/// The server key: `--key-file`, else `FERRY_SERVER_KEY`'s value, else `<data>/server.key`
/// (made on first start, 0600). Several servers on one database need the same key.
pub fn server_key(
    key_file: Option<&Path>,
    env_value: Option<&str>,
    data: &Path,
) -> Result<(ServerKey, String), String> {
    if let Some(f) = key_file {
        return ServerKey::from_file(f)
            .map(|k| (k, format!("key file {}", f.display())))
            .map_err(|e| e.to_string());
    }
    if let Some(v) = env_value {
        return ServerKey::from_env_value("FERRY_SERVER_KEY", v)
            .map(|k| (k, "FERRY_SERVER_KEY".to_string()))
            .map_err(|e| e.to_string());
    }
    let f = data.join("server.key");
    if f.exists() {
        return ServerKey::from_file(&f)
            .map(|k| (k, format!("key file {}", f.display())))
            .map_err(|e| e.to_string());
    }
    ServerKey::write_new(&f)
        .map(|k| (k, format!("new key file {}", f.display())))
        .map_err(|e| e.to_string())
}

impl ServerState {
    pub fn new(
        ledger: Arc<dyn Ledger>,
        artifacts: Arc<dyn ArtifactStore>,
        accounts: Arc<dyn Accounts>,
        data: PathBuf,
    ) -> ServerState {
        ServerState {
            ledger,
            artifacts,
            accounts,
            data,
            jwt: None,
            proxy: None,
            max_upload: DEFAULT_MAX_UPLOAD,
            lease: ferry_app::lock::LEASE,
            configs: ferry_app::ReleaseConfigs::default(),
        }
    }

    pub fn with_jwt(mut self, verifier: Arc<dyn JwtVerifier>) -> ServerState {
        self.jwt = Some(verifier);
        self
    }

    pub fn with_proxy(mut self, proxy: TrustedProxy) -> ServerState {
        self.proxy = Some(Arc::new(proxy));
        self
    }

    pub fn with_max_upload(mut self, bytes: u64) -> ServerState {
        self.max_upload = bytes;
        self
    }

    pub fn with_lease(mut self, lease: std::time::Duration) -> ServerState {
        self.lease = lease;
        self
    }

    /// A fresh operations context over the shared backends.
    pub fn app(&self) -> ferry_app::Result<App> {
        let mut app = App::open_server(
            &self.data,
            self.ledger.clone(),
            self.artifacts.clone(),
            Arc::new(SystemClock),
            Arc::new(Logged),
            self.configs.clone(),
        )?;
        app.lease = self.lease;
        Ok(app)
    }

    /// Runs one operation on a blocking worker thread.
    pub async fn op<T: Send + 'static>(
        &self,
        f: impl FnOnce(&App) -> ferry_app::Result<T> + Send + 'static,
    ) -> Result<T, ApiError> {
        let st = self.clone();
        blocking(move || {
            let app = st.app().map_err(|e| from_app(&e))?;
            f(&app).map_err(|e| from_app(&e))
        })
        .await
    }
}

/// Runs `f` on a blocking worker thread.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// An operation's progress goes to the server's log.
struct Logged;

impl Observer for Logged {
    fn note(&self, note: Note<'_>) {
        match note {
            Note::Step(s) => tracing::info!("{s}"),
            Note::Warning(s) => tracing::warn!("{s}"),
            Note::Engine { env, line } => tracing::debug!(env, "{line}"),
            Note::Verify { env, line } => tracing::debug!(env, "{line}"),
        }
    }
}
