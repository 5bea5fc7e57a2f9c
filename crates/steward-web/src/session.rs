//! Who is calling: the browser session behind the cookie, or the API token behind the
//! `Authorization: Bearer` header. Extractors, so no handler can forget to ask.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use steward_core::auth::Pending;
use steward_core::Caller;

use crate::error::{ApiError, PageError};
use crate::security::CsrfToken;
use crate::AppState;

pub const SESSION_COOKIE: &str = "steward_session";

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The client's address: the connection's peer, or, when the peer is a trusted reverse
/// proxy, the nearest address in `X-Forwarded-For` that is not a trusted proxy (entries
/// further left are written by the client and believed by nobody).
pub fn client_address(parts: &Parts, web: &crate::WebConfig) -> String {
    let Some(peer) = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    else {
        return "unknown".into();
    };
    forwarded_client(peer, &parts.headers, &web.trusted_proxies).to_string()
}

fn forwarded_client(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> std::net::IpAddr {
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().parse::<std::net::IpAddr>())
        .collect::<Result<_, _>>()
        // A malformed header is the proxy's fault or a forgery: keep the peer.
        .unwrap_or_default();
    let mut client = peer;
    for hop in hops.into_iter().rev() {
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

fn csrf_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<CsrfToken>()
        .map(|t| t.0.clone())
        .unwrap_or_default()
}

/// A fully signed-in browser user (password and, where owed, second factor).
#[derive(Clone)]
pub struct SignedIn {
    pub caller: Caller,
    pub token: String,
    pub csrf: String,
    /// The organisation the caller is working in, for the page header.
    pub organisation_name: String,
    /// An administrator set the password: until the person chooses their own, only the
    /// pages of [`PASSWORD_OWED_PATHS`] answer.
    pub must_change_password: bool,
}

/// Where a person who owes a password of their own may go: their account page (to choose
/// it) and signing out. Every other page redirects to the account page.
pub const PASSWORD_OWED_PATHS: [&str; 3] = ["/account", "/account/password", "/sign-out"];

/// A browser session that still owes its second factor (code or enrolment).
pub struct Pending2fa {
    pub caller: Caller,
    pub token: String,
    pub csrf: String,
    pub pending: Pending,
}

/// The client's address and CSRF token, for anonymous pages.
pub struct Visitor {
    pub address: String,
    pub csrf: String,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Visitor {
            address: client_address(parts, &state.web),
            csrf: csrf_of(parts),
        })
    }
}

async fn session_of(
    parts: &Parts,
    state: &AppState,
) -> Result<Option<(steward_core::auth::SessionInfo, String)>, PageError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let info = state
        .steward
        .session(&token, &client_address(parts, &state.web))
        .await?;
    Ok(info.map(|i| (i, token)))
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The route guard found the session already: one lookup per request.
        if let Some(si) = parts.extensions.get::<SignedIn>() {
            return Ok(si.clone());
        }
        match session_of(parts, state).await? {
            Some((info, _))
                if info.pending == Pending::None
                    && info.must_change_password
                    && !PASSWORD_OWED_PATHS.contains(&parts.uri.path()) =>
            {
                Err(PageError::Redirect("/account"))
            }
            Some((info, token)) if info.pending == Pending::None => {
                let si = SignedIn {
                    caller: info.caller,
                    token,
                    csrf: csrf_of(parts),
                    organisation_name: info.organisation_name,
                    must_change_password: info.must_change_password,
                };
                parts.extensions.insert(si.clone());
                Ok(si)
            }
            Some((info, _)) if info.pending == Pending::Code => {
                Err(PageError::Redirect("/sign-in/code"))
            }
            Some(_) => Err(PageError::Redirect("/sign-in/second-factor")),
            None => Err(PageError::SignIn),
        }
    }
}

impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(s) => Ok(Some(s)),
            Err(PageError::SignIn) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl FromRequestParts<AppState> for Pending2fa {
    type Rejection = PageError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match session_of(parts, state).await? {
            Some((info, token)) if info.pending != Pending::None => Ok(Pending2fa {
                caller: info.caller,
                token,
                csrf: csrf_of(parts),
                pending: info.pending,
            }),
            Some(_) => Err(PageError::Redirect("/")),
            None => Err(PageError::SignIn),
        }
    }
}

/// An API caller, authenticated by a bearer token.
#[derive(Clone)]
pub struct ApiCaller(pub Caller);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(c) = parts.extensions.get::<ApiCaller>() {
            return Ok(c.clone());
        }
        let unauthorised = || {
            ApiError(
                axum::http::StatusCode::UNAUTHORIZED,
                "Send a valid API token as 'Authorization: Bearer <token>'".into(),
                vec![],
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorised)?;
        let caller = state
            .steward
            .caller_for_token(token.trim(), &client_address(parts, &state.web))
            .await?
            .ok_or_else(unauthorised)?;
        if state.steward.password_change_owed(&caller.user_id).await? {
            return Err(ApiError(
                axum::http::StatusCode::FORBIDDEN,
                "Your password was set by an administrator: sign in to Steward in a browser and choose your own before using the API".into(),
                vec![],
            ));
        }
        parts.extensions.insert(ApiCaller(caller.clone()));
        Ok(ApiCaller(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let trusted =
            crate::parse_trusted_proxies(&["10.0.0.0/8".into(), "192.0.2.1".into()]).unwrap();
        let proxy: std::net::IpAddr = "10.1.2.3".parse().unwrap();
        let stranger: std::net::IpAddr = "198.51.100.9".parse().unwrap();
        // From the proxy: the nearest untrusted hop; a client's own forged entry further
        // left is ignored.
        assert_eq!(
            forwarded_client(proxy, &headers("6.6.6.6, 203.0.113.7, 192.0.2.1"), &trusted)
                .to_string(),
            "203.0.113.7"
        );
        // From anyone else: the header is ignored.
        assert_eq!(
            forwarded_client(stranger, &headers("203.0.113.7"), &trusted),
            stranger
        );
        // No header, or a malformed one: the peer.
        assert_eq!(forwarded_client(proxy, &HeaderMap::new(), &trusted), proxy);
        assert_eq!(
            forwarded_client(proxy, &headers("not-an-address"), &trusted),
            proxy
        );
        assert!(crate::parse_trusted_proxies(&["proxy.local".into()]).is_err());
    }
}
