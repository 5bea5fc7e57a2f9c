//! Security headers and CSRF protection for every form post.
//!
//! CSRF: each browser gets a random token in an HttpOnly, SameSite=Strict cookie; every
//! form carries it in a hidden `csrf` field, and every unsafe request outside the bearer-token
//! API must present the same value (urlencoded or multipart bodies alike), checked once per
//! request by the route guard after authentication (see [`crate::routes`]).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::session::cookie;
use crate::AppState;

pub const CSRF_COOKIE: &str = "steward_csrf";

/// The CSRF token of this browser, for templates to embed.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// Strict-Transport-Security when Steward is served over TLS (secure cookies on): a year.
const HSTS: &str = "max-age=31536000";

pub async fn headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if state.web.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages hold personal data: never keep them in shared or back-button caches.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn forbidden(msg: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        crate::views::render(&crate::views::error_page(
            "Your form could not be sent",
            format!("{msg} Go back, reload the page and try again."),
        )),
    )
        .into_response()
}

async fn submitted_token(content_type: &str, bytes: &[u8]) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v);
    }
    if content_type.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(content_type).ok()?;
        let stream = futures_util::stream::once(std::future::ready(Ok::<_, std::io::Error>(
            axum::body::Bytes::copy_from_slice(bytes),
        )));
        let mut mp = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some("csrf") {
                return field.text().await.ok();
            }
        }
    }
    None
}

/// Checks a browser form's CSRF token against the cookie. Called by the route guard
/// ([`crate::routes`]) after the caller and the gate have been checked and the body read
/// within the route's limit, so nothing is buffered for a request that is refused anyway.
pub async fn check_csrf(
    parts: &axum::http::request::Parts,
    content_type: &str,
    bytes: &[u8],
) -> Result<(), Response> {
    let Some(expected) = cookie(&parts.headers, CSRF_COOKIE).filter(|t| t.len() == 64) else {
        return Err(forbidden(
            "Your browser did not send Steward's security cookie.",
        ));
    };
    match submitted_token(content_type, bytes).await {
        Some(t) if constant_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(forbidden("The form's security token did not match.")),
    }
}

/// Gives each browser its CSRF token (cookie and request extension, for templates). The
/// check itself is per route, in the guard.
pub async fn csrf(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = cookie(req.headers(), CSRF_COOKIE).filter(|t| t.len() == 64);
    let token = existing
        .clone()
        .unwrap_or_else(steward_core::auth::new_secret);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none() {
        let secure = if state.web.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{secure}"
        )) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
