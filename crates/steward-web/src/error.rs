//! One error type per surface: pages answer with an NHS.UK error page or a redirect to
//! sign in; the API answers RFC 9457 problem details. Both come from `CoreError`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use steward_core::{CoreError, FieldError};

use crate::views::{error_page, render};

/// RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Field-level errors, for 422 responses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

pub struct ApiError(pub StatusCode, pub String, pub Vec<FieldError>);

impl ApiError {
    pub fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError(StatusCode::BAD_REQUEST, detail.into(), vec![])
    }
}

fn status_of(e: &CoreError) -> StatusCode {
    match e {
        CoreError::Unauthenticated => StatusCode::UNAUTHORIZED,
        CoreError::Forbidden => StatusCode::FORBIDDEN,
        CoreError::NotFound => StatusCode::NOT_FOUND,
        CoreError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        CoreError::Conflict(_) => StatusCode::CONFLICT,
        CoreError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        CoreError::Db(_) | CoreError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        let status = status_of(&e);
        if status.is_server_error() {
            tracing::error!(error = %e, "API request failed");
            return ApiError(
                status,
                "Something went wrong on the server; it has been logged.".into(),
                vec![],
            );
        }
        let errors = match &e {
            CoreError::Invalid(f) => f.0.clone(),
            _ => vec![],
        };
        ApiError(status, e.to_string(), errors)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ApiError(status, detail, errors) = self;
        let body = Problem {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").into(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut res = (status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

/// Errors of page handlers.
pub enum PageError {
    Core(CoreError),
    SignIn,
    /// Somewhere the user must go first (e.g. to enter their second factor).
    Redirect(&'static str),
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        PageError::Core(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = match self {
            PageError::SignIn | PageError::Core(CoreError::Unauthenticated) => {
                return Redirect::to("/sign-in").into_response()
            }
            PageError::Redirect(to) => return Redirect::to(to).into_response(),
            PageError::Core(e) => e,
        };
        let status = status_of(&e);
        let (title, message) = match &e {
            CoreError::NotFound => ("Page not found".to_string(), "If you typed the web address, check it is correct. If you followed a link, the record may have been removed or may belong to another organisation.".to_string()),
            CoreError::Forbidden => ("You cannot do that".into(), "Your role does not allow this, or the record belongs to an organisation you do not work in. You can go back to the page you were on, or go to your dashboard for what you can do. If you need this, ask your Data Protection Officer or system administrator to change your role or organisations.".into()),
            CoreError::Conflict(m) => ("This could not be done".into(), m.clone()),
            CoreError::RateLimited => ("Too many attempts".into(), e.to_string()),
            CoreError::Invalid(f) => ("There is a problem".into(), f.0.iter().map(|x| x.message.clone()).collect::<Vec<_>>().join(". ")),
            _ => {
                tracing::error!(error = %e, "page request failed");
                ("Sorry, there is a problem with the service".into(), "Try again later. The problem has been logged.".into())
            }
        };
        let mut res = (status, render(&error_page(&title, &message))).into_response();
        // Drawn again in the signed-in frame (header and menu) when there is a session.
        res.extensions_mut().insert(ErrorShown { title, message });
        res
    }
}

/// An error page's words, kept on the response so that [`framed_errors`] can draw the page
/// again inside the signed-in frame.
#[derive(Clone)]
pub struct ErrorShown {
    pub title: String,
    pub message: String,
}

/// Error pages keep the header and menu: a page error of a signed-in person is drawn with the
/// page frame of their session (their name, role, organisation and menu), so they can go on
/// from it.
pub async fn framed_errors(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use axum::extract::OptionalFromRequestParts;
    let headers = req.headers().clone();
    let uri = req.uri().clone();
    let res = next.run(req).await;
    let Some(shown) = res.extensions().get::<ErrorShown>().cloned() else {
        return res;
    };
    if uri.path().starts_with("/api/") {
        return res;
    }
    let mut probe = axum::http::Request::builder()
        .uri(uri)
        .body(())
        .expect("a request");
    *probe.headers_mut() = headers;
    let (mut parts, ()) = probe.into_parts();
    let Ok(Some(si)) =
        <crate::session::SignedIn as OptionalFromRequestParts<crate::AppState>>::from_request_parts(
            &mut parts, &state,
        )
        .await
    else {
        return res;
    };
    let page = crate::views::ErrorPage {
        ctx: crate::pages::ctx(&si, &shown.title, ""),
        message: shown.message,
    };
    (res.status(), render(&page)).into_response()
}

pub type PageResult = Result<Response, PageError>;
