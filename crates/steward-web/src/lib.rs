//! The web layer: server-rendered NHS.UK pages and the JSON API under `/api/v1`, both thin
//! over the same `steward_core` service functions.

pub mod api;
pub mod assurance_api;
pub mod assurance_pages;
pub mod audit_api;
pub mod audit_pages;
pub mod audits_api;
pub mod audits_pages;
pub mod compliance_api;
pub mod compliance_pages;
pub mod dpia_adoption_api;
pub mod dpia_adoption_pages;
pub mod dpia_api;
pub mod dpia_pages;
pub mod error;
pub mod flash;
pub mod forms;
pub mod menu;
pub mod multipart;
pub mod openapi;
pub mod organisation_api;
pub mod organisation_pages;
pub mod pages;
pub mod registers_api;
pub mod registers_pages;
pub mod rights_api;
pub mod rights_pages;
pub mod risk_sources;
pub mod routes;
pub mod security;
pub mod session;
pub mod views;
pub mod words;

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use routes::Routes;
use steward_core::Steward;
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies Secure and send Strict-Transport-Security (set when Steward is served
    /// over TLS, directly or by a proxy).
    pub secure_cookies: bool,
    /// Largest request body for ordinary forms and JSON.
    pub max_body_bytes: usize,
    /// Who may read `/metrics` on the application's own address.
    pub metrics: MetricsAccess,
    /// Reverse proxies whose `X-Forwarded-For` is believed: the client's address (which
    /// sign-in limits count) is then the nearest address in it that is not a proxy.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// How `/metrics` is reached on the application's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Anyone (embedding and tests; the binary never chooses this).
    Open,
    /// With `Authorization: Bearer <token>`.
    Bearer(String),
    /// Not on this address: served on a separate listener ([`metrics_router`]), or off.
    Elsewhere,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            secure_cookies: false,
            max_body_bytes: 256 * 1024,
            metrics: MetricsAccess::Open,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Reads `trusted_proxies` entries: addresses (`10.0.0.7`) or networks (`10.0.0.0/8`).
pub fn parse_trusted_proxies(entries: &[String]) -> Result<Vec<ipnet::IpNet>, String> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<ipnet::IpNet>()
                .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    format!(
                        "trusted_proxies: {e:?} is not an address or a network such as 10.0.0.0/8"
                    )
                })
        })
        .collect()
}

#[derive(Clone)]
pub struct AppState {
    pub steward: Steward,
    pub web: Arc<WebConfig>,
    pub metrics: PrometheusHandle,
}

fn metrics_handle() -> PrometheusHandle {
    // One recorder per process (tests start several servers in one process).
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

impl AppState {
    pub fn new(steward: Steward, web: WebConfig) -> AppState {
        AppState {
            steward,
            web: Arc::new(web),
            metrics: metrics_handle(),
        }
    }
}

static ASSETS: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/static");

async fn asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    let Some(file) = ASSETS.get_file(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let ct = match path.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        file.contents(),
    )
        .into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    match steward_db::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.steward.db.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

async fn metrics_page(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    match &state.web.metrics {
        MetricsAccess::Open => {}
        MetricsAccess::Elsewhere => return StatusCode::NOT_FOUND.into_response(),
        MetricsAccess::Bearer(token) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or("");
            if !security::constant_eq(given.as_bytes(), token.as_bytes()) {
                return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    "metrics need the configured bearer token\n",
                )
                    .into_response();
            }
        }
    }
    metrics_text(&state)
}

fn metrics_text(state: &AppState) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("steward_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!("steward_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    res
}

/// `/metrics` alone, for a separate listen address (`metrics_listen`): reachable only by
/// what can reach that address, so it asks for no token.
pub fn metrics_router(state: AppState) -> Router {
    async fn page(State(state): State<AppState>) -> Response {
        metrics_text(&state)
    }
    Router::new()
        .route("/metrics", axum::routing::get(page))
        .with_state(state)
}

/// Serves [`metrics_router`] on its own listener until the process ends.
pub async fn serve_metrics(state: AppState, listener: TcpListener) -> std::io::Result<()> {
    axum::serve(listener, metrics_router(state)).await
}

/// Every route of the application with its access declaration: the router is built from
/// this, and the generated access test walks it.
pub fn routes() -> Routes {
    use routes::Access::{Public, SignedIn};
    pages::routes()
        .merge(api::routes())
        .merge(audit_pages::routes())
        .merge(audit_api::routes())
        .merge(rights_pages::routes())
        .merge(rights_api::routes())
        .merge(assurance_pages::routes())
        .merge(assurance_api::routes())
        .merge(audits_pages::routes())
        .merge(audits_api::routes())
        .merge(dpia_pages::routes())
        .merge(dpia_adoption_pages::routes())
        .merge(dpia_api::routes())
        .merge(dpia_adoption_api::routes())
        .merge(compliance_pages::routes())
        .merge(compliance_api::routes())
        .merge(registers_pages::routes())
        .merge(registers_api::routes())
        .merge(organisation_pages::routes())
        .merge(organisation_api::routes())
        .get("/assets/{*path}", Public, asset)
        .get("/healthz", Public, healthz)
        .get("/metrics", Public, metrics_page)
        .get("/api/v1/whoami", SignedIn, api::whoami)
}

async fn fallback(req: Request) -> Response {
    if req.uri().path().starts_with("/api/") {
        api::not_found().await.into_response()
    } else {
        pages::not_found().await
    }
}

pub fn router(state: AppState) -> Router {
    let max = state.web.max_body_bytes;
    routes()
        .into_router()
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::csrf,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::framed_errors,
        ))
        // Outside the error frame, so that an error page drawn in the frame sees the banner.
        .layer(middleware::from_fn_with_state(state.clone(), flash::flash))
        // The route guard finds the application's state here.
        .layer(axum::Extension(state.clone()))
        .layer(middleware::from_fn(track))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::headers,
        ))
        .layer(DefaultBodyLimit::max(max))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
