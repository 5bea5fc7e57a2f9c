//! The one error type of the domain layer. The web layer maps it to pages and to RFC 9457
//! problem details; nothing below knows about HTTP.

use serde::Serialize;

/// Field-level validation errors, in the order the fields appear on the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FieldErrors(pub Vec<FieldError>);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
    /// `Ok(())` when there is nothing to report.
    pub fn into_result(self) -> Result<(), CoreError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error("sign in to continue")]
    Unauthenticated,
    #[error("you do not have permission to do that")]
    Forbidden,
    /// Also used for records of another organisation, so ids cannot be probed.
    #[error("not found")]
    NotFound,
    #[error("there is a problem with what was entered")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("too many attempts; try again later")]
    RateLimited,
    #[error("storage error: {0}")]
    Db(steward_db::DbError),
    #[error("{0}")]
    Internal(String),
}

/// What a change that would break a link between records answers: a conflict, not a
/// server error.
pub const BROKEN_LINK: &str = "Other records refer to this one, or it refers to a record that no longer exists, so nothing was changed.";

/// A storage error, except that a foreign-key violation (a record still referred to by
/// others, or one referring to a record that is gone) is a conflict on both databases: the
/// one place where every service's `?` on a query turns it into 409, never 500.
impl From<steward_db::DbError> for CoreError {
    fn from(e: steward_db::DbError) -> Self {
        if let steward_db::DbError::Sql(sql) = &e {
            if sql
                .as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation())
            {
                return CoreError::Conflict(BROKEN_LINK.into());
            }
        }
        CoreError::Db(e)
    }
}

impl From<sqlx_error::Error> for CoreError {
    fn from(e: sqlx_error::Error) -> Self {
        steward_db::DbError::Sql(e).into()
    }
}

mod sqlx_error {
    pub use steward_db::SqlError as Error;
}

pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    pub fn invalid(field: &str, message: impl Into<String>) -> CoreError {
        let mut e = FieldErrors::default();
        e.add(field, message);
        CoreError::Invalid(e)
    }
}
