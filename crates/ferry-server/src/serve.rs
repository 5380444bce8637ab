//! Running the server: open the ledger and artifact store, listen (plain HTTP on loopback by
//! default, or TLS with `--tls-cert`/`--tls-key`), sweep lapsed leases, stop on SIGINT/SIGTERM.

use crate::proxy::TrustedProxy;
use crate::state::{self, ServerState};
use ferry_app::LedgerUrl;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Setup(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// What `ferry serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: String,
    pub ledger: LedgerUrl,
    pub data: PathBuf,
    pub key_file: Option<PathBuf>,
    /// `FERRY_SERVER_KEY`'s value, read by the front end.
    pub key_env: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_upload: u64,
    pub lease: Duration,
    pub proxy: Option<TrustedProxy>,
    pub jwt: Option<Arc<dyn crate::JwtVerifier>>,
}

impl std::fmt::Debug for dyn crate::JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtVerifier")
    }
}

/// Opens everything `opts` names: the state a router serves.
pub fn open(opts: &ServeOptions) -> Result<ServerState, ServerError> {
    let setup = |e: String| ServerError::Setup(e);
    ferry_store::artifacts::create_private_dir(&opts.data)
        .map_err(|e| setup(format!("data dir {}: {e}", opts.data.display())))?;
    let (key, source) = state::server_key(
        opts.key_file.as_deref(),
        opts.key_env.as_deref(),
        &opts.data,
    )
    .map_err(setup)?;
    tracing::info!(
        "plan files are sealed with the server key from {source} (key id {})",
        key.id()
    );
    let (ledger, accounts) = state::open_ledger(&opts.ledger).map_err(|e| setup(e.message))?;
    let artifacts =
        state::open_artifacts(&opts.ledger, &opts.data, key).map_err(|e| setup(e.message))?;
    let mut st = ServerState::new(ledger, artifacts, accounts, opts.data.clone())
        .with_max_upload(opts.max_upload)
        .with_lease(opts.lease);
    if let Some(p) = &opts.proxy {
        st = st.with_proxy(p.clone());
    }
    if let Some(j) = &opts.jwt {
        st = st.with_jwt(j.clone());
    }
    Ok(st)
}

/// Runs until SIGINT/SIGTERM.
pub fn run(opts: ServeOptions) -> Result<(), ServerError> {
    let st = open(&opts)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Serve)?;
    rt.block_on(serve(st, opts))
}

async fn serve(st: ServerState, opts: ServeOptions) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(&opts.listen)
        .await
        .map_err(|source| ServerError::Listen {
            addr: opts.listen.clone(),
            source,
        })?;
    let sweep_every = (opts.lease / 4).clamp(Duration::from_millis(500), Duration::from_secs(30));
    let sweeper = {
        let st = st.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(sweep_every);
            loop {
                tick.tick().await;
                let st = st.clone();
                let swept =
                    tokio::task::spawn_blocking(move || st.app().and_then(|a| a.team_sweep()))
                        .await;
                match swept {
                    Ok(Ok(0)) => {}
                    Ok(Ok(n)) => tracing::warn!("{n} lapsed lease(s): their running deployments are recorded as interrupted"),
                    Ok(Err(e)) => tracing::warn!("lease sweep: {e}"),
                    Err(e) => tracing::warn!("lease sweep: {e}"),
                }
            }
        })
    };
    let st_tls = st.clone();
    let app = crate::router(st).into_make_service_with_connect_info::<SocketAddr>();
    let scheme = if opts.tls_cert.is_some() {
        "https"
    } else {
        "http"
    };
    let local = listener.local_addr().map_err(ServerError::Serve)?;
    eprintln!(
        "ferry serve: listening on {scheme}://{local} (ledger {})",
        describe(&opts.ledger)
    );
    let result = match (&opts.tls_cert, &opts.tls_key) {
        (Some(cert), Some(key)) => {
            let tls = tls_listener(listener, cert, key)?;
            let app = crate::router(st_tls).into_make_service_with_connect_info::<TlsPeer>();
            axum::serve(tls, app)
                .with_graceful_shutdown(shutdown())
                .await
        }
        (None, None) => {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await
        }
        _ => {
            return Err(ServerError::Setup(
                "--tls-cert and --tls-key go together".into(),
            ))
        }
    };
    sweeper.abort();
    result.map_err(ServerError::Serve)
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    eprintln!("ferry serve: stopping");
}

/// The ledger named without a password, for the log.
fn describe(url: &LedgerUrl) -> String {
    match url {
        LedgerUrl::Sqlite(p) => format!("sqlite:{}", p.display()),
        LedgerUrl::Postgres(u) => ferry_store_pg::describe_url(u),
    }
}

/// The peer of a TLS connection, as the trusted-proxy check reads it.
#[derive(Debug, Clone, Copy)]
pub struct TlsPeer(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, TlsListener>>
    for TlsPeer
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, TlsListener>) -> TlsPeer {
        TlsPeer(*stream.remote_addr())
    }
}

/// TLS in front of the TCP listener (rustls, ring).
pub struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

fn tls_listener(
    tcp: tokio::net::TcpListener,
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<TlsListener, ServerError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let setup = |e: String| ServerError::Setup(e);
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| setup(format!("--tls-cert {}: {e}", cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| setup(format!("--tls-cert {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(setup(format!(
            "--tls-cert {}: no certificate in it",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| setup(format!("--tls-key {}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| setup(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| setup(format!("--tls-cert/--tls-key: {e}")))?;
    Ok(TlsListener {
        tcp,
        acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
    })
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (stream, addr) = match self.tcp.accept().await {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            match tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(stream)).await
            {
                Ok(Ok(tls)) => return (tls, addr),
                Ok(Err(e)) => tracing::debug!("TLS handshake with {addr} failed: {e}"),
                Err(_) => tracing::debug!("TLS handshake with {addr} timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
