//! The thidua web server: server-rendered Vietnamese pages for people (clusters, units,
//! search) and a JSON API under `/api/v1/` for programs, described by an OpenAPI
//! document. [`router`] builds the application without a socket, so most tests drive it
//! directly; [`launch`] serves it on a listener until told to stop.

mod api;
pub mod auth;
mod body_limit;
mod error;
mod pages;
mod view;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use thidua_core::text::Collator;
use thidua_store::Store;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::csrf::CsrfLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases, over the same database.
    pub app: thidua_app::App,
    /// The database, for the pages whose use cases are not in the application layer yet.
    pub store: Store,
    /// Vietnamese collation, built once.
    pub collator: Arc<Collator>,
    /// The login throttle's numbers (the load benchmark raises the per-address one).
    pub login_policy: thidua_store::LoginPolicy,
    /// Whether cookies are marked `Secure` — and `Strict-Transport-Security` sent; the
    /// server sets it from its address ([`auth::CookieMode`]).
    pub secure_cookies: bool,
    /// Whether the client's address is read from `X-Forwarded-For` (`--trust-proxy`):
    /// only behind a proxy that sets it, or anyone could pick their address.
    pub trust_proxy: bool,
    /// The whole-cluster workbook imports of this process, with their progress.
    pub(crate) workbook_jobs: Arc<pages::cluster_workbook::Jobs>,
}

impl AppState {
    /// State over an opened store.
    pub fn new(store: Store) -> Self {
        AppState {
            app: thidua_app::App::new(store.clone()),
            store,
            collator: Arc::new(Collator::new()),
            login_policy: thidua_store::LoginPolicy::default(),
            secure_cookies: false,
            trust_proxy: false,
            workbook_jobs: Arc::default(),
        }
    }
}

/// The whole application: pages, API, static assets, and the headers every response
/// carries.
pub fn router(state: AppState) -> Router {
    let hsts = state.secure_cookies;
    Router::new()
        .merge(auth::router())
        .merge(pages::router())
        .nest("/api/v1", api::router())
        .with_state(state)
        // The signed-in user, noted for an error page's header (auth::signed_in).
        .layer(axum::middleware::from_fn(auth::signed_in::scope))
        // Body limits: this default for every route; the uploads set their own in their routes.
        .layer(axum::middleware::from_fn(body_limit::explain_default))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit::DEFAULT_BYTES))
        // Refuses cross-site form posts (Sec-Fetch-Site / Origin) before any handler runs.
        .layer(CsrfLayer::new())
        .layer(CompressionLayer::new())
        .layer(axum::middleware::map_response(move |response| {
            security_headers(response, hsts)
        }))
        .layer(TraceLayer::new_for_http())
}

/// The headers every response carries, set in one place (a handler's own value wins):
/// no type sniffing, no framing by other sites, no full URLs in `Referer` to elsewhere,
/// nothing loaded from elsewhere, and — when cookies are `Secure`, so the site is served
/// over HTTPS — `Strict-Transport-Security`, so the browser never tries plain http again.
async fn security_headers(mut response: axum::response::Response, hsts: bool) -> axum::response::Response {
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::X_FRAME_OPTIONS, "DENY");
    // Everything the pages use is served from here: nothing loads from elsewhere.
    set(
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    );
    set(header::REFERRER_POLICY, "same-origin");
    if hsts {
        set(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000");
    }
    response
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The rollup engine reads every number once; the server answers meanwhile, and a
    // rollup asked for before it is ready waits for the same build.
    let app = state.app.clone();
    tokio::spawn(async move {
        if let Err(e) = app.warm_up().await {
            tracing::error!("rollup engine: {e}");
        }
    });
    // Connection info gives the login throttle each client's address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
