//! Multipart bodies as the API reads them, one way for every operation that takes files:
//! every part is read before anything is done with any of them; each part must be one the
//! operation names (the OpenAPI document lists those and no other, `additionalProperties:
//! false`), and a part of another name is refused with 422 naming it; a body that cannot be
//! read is 400 (413 when it is larger than allowed).

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartRejection};
use steward_core::CoreError;

use crate::api::ApiResult;
use crate::error::ApiError;

pub struct Part {
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// The parts of one body, in the order they came.
pub struct Parts(Vec<(String, Part)>);

/// Reads the whole body: `names` are the parts the operation reads.
pub async fn read(mp: Result<Multipart, MultipartRejection>, names: &[&str]) -> ApiResult<Parts> {
    let mut mp = mp.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let mut parts = Vec::new();
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let detail = format!("The multipart body could not be read: {}", e.body_text());
                return Err(ApiError(e.status(), detail, vec![]));
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if !names.contains(&name.as_str()) {
            let known = names
                .iter()
                .map(|n| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CoreError::invalid(
                &name,
                format!("This operation reads the parts {known} and no other: remove the part named '{name}'"),
            )
            .into());
        }
        let file_name = field.file_name().map(str::to_string);
        let bytes = field.bytes().await.map_err(|e| {
            let detail = format!("The part '{name}' could not be read: {}", e.body_text());
            ApiError(e.status(), detail, vec![])
        })?;
        parts.push((name, Part { file_name, bytes }));
    }
    Ok(Parts(parts))
}

impl Parts {
    /// Every part of that name (a list of files), in order.
    pub fn all(&mut self, name: &str) -> Vec<Part> {
        let (wanted, rest) = std::mem::take(&mut self.0)
            .into_iter()
            .partition(|(n, _)| n == name);
        self.0 = rest;
        wanted.into_iter().map(|(_, p)| p).collect()
    }

    /// The one part of that name, if it was sent; two of them are refused.
    pub fn one(&mut self, name: &str) -> ApiResult<Option<Part>> {
        let mut all = self.all(name);
        if all.len() > 1 {
            return Err(CoreError::invalid(name, format!("Send one part named '{name}'")).into());
        }
        Ok(all.pop())
    }

    /// The one part of that name that must be there: `missing` says what to send.
    pub fn required(&mut self, name: &str, missing: &str) -> ApiResult<Part> {
        self.one(name)?
            .ok_or_else(|| CoreError::invalid(name, missing).into())
    }

    /// A text part ("" when it was not sent).
    pub fn text(&mut self, name: &str) -> ApiResult<String> {
        Ok(self
            .one(name)?
            .map(|p| String::from_utf8_lossy(&p.bytes).into_owned())
            .unwrap_or_default())
    }
}
