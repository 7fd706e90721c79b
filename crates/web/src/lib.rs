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
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use error::AppError;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Vietnamese collation, built once.
    pub collator: Arc<Collator>,
    /// Login attempts per client address.
    pub login_limiter: auth::LoginLimiter,
    /// Whether cookies are marked `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Slots for rendering review templates (user code) on blocking threads, shared by
    /// every request (`pages::report`).
    pub render_slots: Arc<tokio::sync::Semaphore>,
}

impl AppState {
    /// State over an opened store.
    pub fn new(store: Store) -> Self {
        AppState {
            store,
            collator: Arc::new(Collator::new()),
            login_limiter: auth::LoginLimiter::default(),
            secure_cookies: false,
            render_slots: Arc::new(tokio::sync::Semaphore::new(pages::RENDER_SLOTS)),
        }
    }
}

/// The whole application: pages, API, static assets, and the headers every response
/// carries.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(auth::router())
        .merge(pages::router())
        .nest("/api/v1", api::router())
        .with_state(state)
        // Body limits: this default for every route; the uploads set their own in their routes.
        .layer(axum::middleware::from_fn(body_limit::explain_default))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit::DEFAULT_BYTES))
        // Refuses cross-site form posts (Sec-Fetch-Site / Origin) before any handler runs.
        .layer(CsrfLayer::new())
        .layer(CompressionLayer::new())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            // Everything the pages use is served from here: nothing loads from elsewhere.
            HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'; form-action 'self'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(TraceLayer::new_for_http())
}

/// Serves the application on `listener` until `shutdown` completes, then finishes the
/// requests in flight.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Connection info gives the login limiter each client's address.
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
