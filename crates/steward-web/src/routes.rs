//! Every route is declared with who may use it, and only through [`Routes`]: a route
//! without an [`Access`] cannot be added. Each route runs behind [`guard`], which, before the
//! handler and before any of the body is read: finds the caller (session or bearer token),
//! asks the core gate ([`steward_core::gate`]) about the record or organisation the path
//! names, then reads the body up to the route's own limit and, for browser forms, checks the
//! CSRF token. The handlers ask the gate again for their [`steward_core::Permit`] (that is
//! what records the read on the trail); the guard makes the declaration itself enforceable
//! and testable: the generated access test walks [`Routes::specs`].

use axum::body::{to_bytes, Body};
use axum::extract::{DefaultBodyLimit, FromRequestParts, RawPathParams, Request};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use steward_core::gate::{self, Kind, Op};
use steward_core::{Caller, CoreError};

use crate::error::{ApiError, PageError};
use crate::session::{ApiCaller, SignedIn};
use crate::AppState;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No sign-in: sign-in pages, assets, health checks, a calendar feed by its secret.
    Public,
    /// Anyone signed in; what the handler shows is the caller's own (their account, their
    /// dashboard, their organisations).
    SignedIn,
    /// Listing or creating records of a kind in the organisation named by the path's
    /// `{organisation_id}`, or else the caller's current organisation.
    Organisation(Kind, Op),
    /// A kind across the caller's whole cluster (the DPO's cluster reports).
    Cluster(Kind),
    /// One record of a kind, named by the path's `{id}`.
    Record(Kind, Op),
    /// One record named by the path's `{record_type}` and `{id}` (the generic features).
    AnyRecord(Op),
    /// An attachment, named by `{id}`: reading the record it belongs to.
    Attachment,
    /// Managing accounts.
    ManageUsers,
    /// Reading the audit trail.
    AuditTrail,
}

/// How much body a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodySize {
    /// A form or a JSON document.
    Form,
    /// A file upload (the attachment limit).
    Upload,
}

#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub body: BodySize,
}

impl RouteSpec {
    pub fn is_api(&self) -> bool {
        self.path.starts_with("/api/")
    }
}

/// The application's routes with their declarations.
#[derive(Default)]
pub struct Routes {
    router: Router<crate::AppState>,
    specs: Vec<RouteSpec>,
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        body: BodySize,
        handler: H,
    ) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
        let route = on(filter, handler)
            .layer::<_, std::convert::Infallible>(middleware::from_fn(
                move |req: Request, next: Next| guard(access, body, req, next),
            ))
            // The guard enforces each route's own limit.
            .layer(DefaultBodyLimit::disable());
        self.router = self.router.route(path, route);
        self.specs.push(RouteSpec {
            method,
            path,
            access,
            body,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::GET, path, access, BodySize::Form, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::POST, path, access, BodySize::Form, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::PUT, path, access, BodySize::Form, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::DELETE, path, access, BodySize::Form, handler)
    }

    /// A POST that takes a file (the attachment limit rather than the form limit).
    pub fn upload<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::POST, path, access, BodySize::Upload, handler)
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.router = self.router.merge(other.router);
        self.specs.extend(other.specs);
        self
    }

    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

fn refuse(api: bool, e: CoreError) -> Response {
    if api {
        ApiError::from(e).into_response()
    } else {
        PageError::from(e).into_response()
    }
}

fn too_large(api: bool) -> Response {
    if api {
        ApiError(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than this endpoint accepts.".into(),
            vec![],
        )
        .into_response()
    } else {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::views::render(&crate::views::error_page(
                "The file or form is too large",
                "Send a smaller file or less text.",
            )),
        )
            .into_response()
    }
}

async fn guard(access: Access, size: BodySize, req: Request, next: Next) -> Response {
    let Some(state) = req.extensions().get::<AppState>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let api = req.uri().path().starts_with("/api/");
    let (mut parts, body) = req.into_parts();

    // 1. Who is calling. The extractors keep what they found for the handler's own.
    if access != Access::Public {
        let caller = if api {
            match ApiCaller::from_request_parts(&mut parts, &state).await {
                Ok(c) => c.0,
                Err(e) => return e.into_response(),
            }
        } else {
            match SignedIn::from_request_parts(&mut parts, &state).await {
                Ok(si) => si.caller,
                Err(e) => return e.into_response(),
            }
        };
        // 2. May they: the gate's decision for what the path names.
        if let Err(e) = decide(&state, &caller, access, &mut parts).await {
            return refuse(api, e);
        }
    }

    // 3. The body, only now, up to this route's limit; browser forms carry the CSRF token.
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let req = if unsafe_method {
        let limit = match size {
            BodySize::Form => state.web.max_body_bytes,
            BodySize::Upload => state.steward.config.max_attachment_bytes + 64 * 1024,
        };
        let bytes = match to_bytes(body, limit).await {
            Ok(b) => b,
            Err(_) => return too_large(api),
        };
        if !api {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            if let Err(r) = crate::security::check_csrf(&parts, &content_type, &bytes).await {
                return r;
            }
        }
        Request::from_parts(parts, Body::from(bytes))
    } else {
        Request::from_parts(parts, body)
    };
    next.run(req).await
}

fn param<'a>(params: &'a RawPathParams, name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| *k == name).map(|(_, v)| v)
}

async fn decide(
    state: &AppState,
    caller: &Caller,
    access: Access,
    parts: &mut Parts,
) -> Result<(), CoreError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| CoreError::NotFound)?;
    let s = &state.steward;
    match access {
        Access::Public | Access::SignedIn => Ok(()),
        Access::ManageUsers => caller.require_manage_users(),
        Access::AuditTrail => caller.require_audit_trail(),
        Access::Organisation(kind, op) => {
            let org = param(&params, "organisation_id")
                .unwrap_or(&caller.current_organisation_id)
                .to_string();
            gate::decide(caller, kind, op, &org, None)
        }
        Access::Cluster(kind) => gate::decide_cluster(caller, kind),
        Access::Record(kind, op) => {
            let id = param(&params, "id").ok_or(CoreError::NotFound)?;
            s.check_route(caller, kind, op, id).await
        }
        Access::AnyRecord(op) => {
            let kind = param(&params, "record_type")
                .and_then(Kind::parse)
                .ok_or(CoreError::NotFound)?;
            let id = param(&params, "id").ok_or(CoreError::NotFound)?;
            s.check_route(caller, kind, op, id).await
        }
        Access::Attachment => {
            let id = param(&params, "id").ok_or(CoreError::NotFound)?;
            let (kind, record_id) = s.attachment_record(id).await?;
            s.check_route(caller, kind, Op::Read, &record_id).await
        }
    }
}
