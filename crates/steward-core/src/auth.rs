//! Passwords (argon2id), second factor (TOTP, RFC 6238), sessions, API tokens, password
//! resets and rate limiting of sign-in. Secrets handed to users are random 32-byte tokens;
//! only their SHA-256 is stored.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::time::{iso_date, now, now_stamp, stamp};
use crate::trail::TrailEntry;
use crate::{Caller, Role, Steward};
use steward_db::Row;

pub const MIN_PASSWORD_LEN: usize = 12;
/// Failed sign-ins allowed per account, and per address, within the window.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
pub const FAILURE_WINDOW_MINUTES: i64 = 15;
pub const SESSION_HOURS: i64 = 12;
pub const RESET_LINK_HOURS: i64 = 24;

pub fn hash_password(password: &str) -> CoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CoreError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random secret for a user to hold (session cookie, API token, link), as hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

pub fn check_new_password(password: &str, field: &str, errors: &mut FieldErrors) {
    if password.chars().count() < MIN_PASSWORD_LEN {
        errors.add(
            field,
            format!("Password must be at least {MIN_PASSWORD_LEN} characters"),
        );
    }
}

pub fn totp_for(secret_base32: &str, email: &str) -> CoreResult<TOTP> {
    let secret = Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .map_err(|_| CoreError::Internal("stored second-factor secret is not base32".into()))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("Steward".into()),
        email.to_string(),
    )
    .map_err(|e| CoreError::Internal(format!("second-factor secret rejected: {e}")))
}

pub fn new_totp_secret() -> String {
    Secret::generate_secret().to_encoded().to_string()
}

pub fn check_totp(secret_base32: &str, email: &str, code: &str) -> bool {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    totp_for(secret_base32, email)
        .and_then(|t| {
            t.check_current(&code)
                .map_err(|e| CoreError::Internal(e.to_string()))
        })
        .unwrap_or(false)
}

/// The time steps a code is accepted for (the one before, now, the one after), with a
/// moment inside each, oldest first.
fn acceptable_steps(now: u64) -> impl Iterator<Item = (u64, u64)> {
    [now.saturating_sub(TOTP_STEP), now, now + TOTP_STEP]
        .into_iter()
        .map(|t| (t / TOTP_STEP, t))
}

/// The time step a code belongs to, if it is one of the acceptable ones.
fn matching_step(secret_base32: &str, email: &str, code: &str) -> CoreResult<Option<u64>> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let totp = totp_for(secret_base32, email)?;
    let now = now().timestamp().max(0) as u64;
    Ok(acceptable_steps(now)
        .find(|(_, at)| {
            let expected = totp.generate(*at);
            expected.len() == code.len()
                && expected
                    .bytes()
                    .zip(code.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
        .map(|(step, _)| step))
}

const TOTP_STEP: u64 = 30;

/// What a browser session still owes before it is fully signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    None = 0,
    /// Password right; TOTP code owed.
    Code = 1,
    /// The role requires a second factor and the user has none yet: enrol first.
    Enrolment = 2,
}

impl Pending {
    fn from_i64(v: i64) -> Pending {
        match v {
            1 => Pending::Code,
            2 => Pending::Enrolment,
            _ => Pending::None,
        }
    }
}

pub struct SignedIn {
    /// The session token for the cookie.
    pub token: String,
    pub pending: Pending,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub caller: Caller,
    pub pending: Pending,
    /// The name of the organisation the caller is working in, for the page header.
    pub organisation_name: String,
    /// The password was set by an administrator: the person must choose their own before
    /// anything else.
    pub must_change_password: bool,
}

impl Steward {
    async fn recent_failures(&self, column: &str, value: &str) -> CoreResult<i64> {
        let since = stamp(now() - Duration::minutes(FAILURE_WINDOW_MINUTES));
        let sql = format!("SELECT COUNT(*) FROM sign_in_failures WHERE {column} = $1 AND at > $2");
        let n: i64 = steward_db::query_scalar(&sql)
            .bind(value)
            .bind(since)
            .fetch_one(&self.db.pool)
            .await?;
        Ok(n)
    }

    /// Signs in with email and password. The same error is returned for an unknown
    /// account, a wrong password and a deactivated account.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        address: &str,
    ) -> CoreResult<SignedIn> {
        let email = email.trim().to_lowercase();
        if self.recent_failures("email", &email).await? >= MAX_FAILURES_PER_ACCOUNT
            || self.recent_failures("address", address).await? >= MAX_FAILURES_PER_ADDRESS
        {
            self.trail_standalone(TrailEntry::anonymous(
                &email,
                address,
                "sign_in.rate_limited",
            ))
            .await?;
            return Err(CoreError::RateLimited);
        }
        let row = steward_db::query(
            "SELECT id, organisation_id, password_hash, role, totp_secret, active FROM users WHERE email = $1",
        )
        .bind(&email)
        .fetch_optional(&self.db.pool)
        .await?;
        let ok = match &row {
            Some(r) => {
                let hash: String = r.try_get("password_hash")?;
                let active: i64 = r.try_get("active")?;
                // Verify even for inactive users, so timing does not tell them apart.
                verify_password(password, &hash) && active == 1
            }
            None => {
                // Spend the same time as a real check.
                let _ = verify_password(password, DUMMY_HASH);
                false
            }
        };
        if !ok {
            let mut tx = self.db.begin().await?;
            steward_db::query(
                "INSERT INTO sign_in_failures (id, email, address, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&email)
            .bind(address)
            .bind(now_stamp())
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.trail_standalone(TrailEntry::anonymous(&email, address, "sign_in.failure"))
                .await?;
            return Err(CoreError::invalid(
                "email",
                "Enter a correct email address and password",
            ));
        }
        let r = row.expect("checked above");
        let user_id: String = r.try_get("id")?;
        let org: String = r.try_get("organisation_id")?;
        let role = Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::Staff);
        let totp: Option<String> = r.try_get("totp_secret")?;
        let pending = match (totp.is_some(), role.requires_second_factor()) {
            (true, _) => Pending::Code,
            (false, true) => Pending::Enrolment,
            (false, false) => Pending::None,
        };
        let token = new_secret();
        let t = now();
        let mut tx = self.db.begin().await?;
        steward_db::query(
            "INSERT INTO sessions (token_hash, user_id, current_organisation_id, created_at, expires_at, pending_second_factor) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(hash_secret(&token))
        .bind(&user_id)
        .bind(&org)
        .bind(stamp(t))
        .bind(stamp(t + Duration::hours(SESSION_HOURS)))
        .bind(pending as i64)
        .execute(&mut *tx)
        .await?;
        steward_db::query("DELETE FROM sign_in_failures WHERE email = $1")
            .bind(&email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut entry = TrailEntry::anonymous(&email, address, "sign_in.success");
        entry.user_id = Some(user_id);
        entry.organisation_id = Some(org);
        if pending != Pending::None {
            entry.detail = "password accepted; second factor outstanding".into();
        }
        self.trail_standalone(entry).await?;
        Ok(SignedIn { token, pending })
    }

    /// The session behind a cookie token, if it is live and its user active. One query for
    /// session, user and organisation: this runs on every signed-in request.
    pub async fn session(&self, token: &str, address: &str) -> CoreResult<Option<SessionInfo>> {
        let row = steward_db::query(
            "SELECT s.current_organisation_id, s.expires_at, s.pending_second_factor, c.name AS current_name, \
             u.id, u.email, u.display_name, u.role, u.organisation_id, u.active, u.must_change_password, o.cluster_id, o.name AS home_name \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.organisation_id \
             LEFT JOIN organisations c ON c.id = s.current_organisation_id \
             WHERE s.token_hash = $1",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires: String = row.try_get("expires_at")?;
        if expires < now_stamp() {
            return Ok(None);
        }
        let current: String = row.try_get("current_organisation_id")?;
        let current_name: Option<String> = row.try_get("current_name")?;
        let pending = Pending::from_i64(row.try_get("pending_second_factor")?);
        let Some(mut caller) = self.caller_from_row(&row, address).await? else {
            return Ok(None);
        };
        let mut organisation_name: String = row.try_get("home_name")?;
        if let Some(name) = current_name.filter(|_| caller.can_see_organisation(&current)) {
            caller.current_organisation_id = current;
            organisation_name = name;
        }
        let must_change_password = row.try_get::<i64, _>("must_change_password")? == 1;
        Ok(Some(SessionInfo {
            caller,
            pending,
            organisation_name,
            must_change_password,
        }))
    }

    /// The caller behind an API bearer token.
    /// `None` for an unknown, revoked or expired token (a token works until the day before
    /// its expiry date). Notes when the token was last used, at most once a minute, so a
    /// busy script does not write on every call.
    pub async fn caller_for_token(&self, token: &str, address: &str) -> CoreResult<Option<Caller>> {
        let row = steward_db::query(
            "SELECT id, user_id, expires_on, last_used_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let now = now();
        let expires_on: Option<String> = row.try_get("expires_on")?;
        if let Some(expires_on) = expires_on {
            let today = iso_date(now.date_naive());
            if today >= expires_on {
                return Ok(None);
            }
        }
        let user_id: String = row.try_get("user_id")?;
        let caller = self.caller_for_user(&user_id, address).await?;
        if caller.is_some() {
            let last: Option<String> = row.try_get("last_used_at")?;
            let stale = last
                .as_deref()
                .and_then(crate::time::parse_stamp)
                .is_none_or(|t| now - t >= Duration::minutes(1));
            if stale {
                let id: String = row.try_get("id")?;
                steward_db::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(stamp(now))
                    .bind(&id)
                    .execute(&self.db.pool)
                    .await?;
            }
        }
        Ok(caller)
    }

    /// Builds the caller for an active user; `None` for a deactivated or unknown user.
    pub async fn caller_for_user(
        &self,
        user_id: &str,
        address: &str,
    ) -> CoreResult<Option<Caller>> {
        let row = steward_db::query(
            "SELECT u.id, u.email, u.display_name, u.role, u.organisation_id, u.active, o.cluster_id FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        match row {
            Some(row) => self.caller_from_row(&row, address).await,
            None => Ok(None),
        }
    }

    /// The caller from a row holding the user's id, email, display_name, role,
    /// organisation_id, active and cluster_id; `None` for a deactivated user.
    async fn caller_from_row(
        &self,
        row: &steward_db::AnyRow,
        address: &str,
    ) -> CoreResult<Option<Caller>> {
        if row.try_get::<i64, _>("active")? != 1 {
            return Ok(None);
        }
        let role = Role::parse(&row.try_get::<String, _>("role")?).unwrap_or(Role::Staff);
        let home: String = row.try_get("organisation_id")?;
        let cluster: String = row.try_get("cluster_id")?;
        let visible = if role.cluster_wide() {
            steward_db::query_scalar(
                "SELECT id FROM organisations WHERE cluster_id = $1 ORDER BY name",
            )
            .bind(&cluster)
            .fetch_all(&self.db.pool)
            .await?
        } else {
            vec![home.clone()]
        };
        Ok(Some(Caller {
            user_id: row.try_get("id")?,
            email: row.try_get("email")?,
            display_name: row.try_get("display_name")?,
            role,
            current_organisation_id: home.clone(),
            home_organisation_id: home,
            cluster_id: cluster,
            visible_organisation_ids: visible,
            address: address.to_string(),
            looked_up: Default::default(),
        }))
    }

    fn sealing_key(&self) -> CoreResult<&crate::sealed::SecretKey> {
        self.config.secret_key.as_ref().ok_or_else(|| {
            CoreError::Internal(
                "STEWARD_SECRET_KEY is not set: second-factor keys cannot be sealed or opened"
                    .into(),
            )
        })
    }

    /// The user's second-factor key, opened from its sealed form.
    pub async fn totp_secret_of(&self, user_id: &str) -> CoreResult<Option<String>> {
        let stored: Option<String> =
            steward_db::query_scalar("SELECT totp_secret FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?
                .flatten();
        stored.map(|s| self.sealing_key()?.open(&s)).transpose()
    }

    /// Stores a second-factor key, sealed (see [`crate::sealed`]).
    pub async fn store_totp_secret(&self, user_id: &str, secret: &str) -> CoreResult<()> {
        steward_db::query("UPDATE users SET totp_secret = $1, totp_last_step = 0 WHERE id = $2")
            .bind(self.sealing_key()?.seal(secret))
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// A code the user's authenticator would show now that has not been used yet (the
    /// demo's CLI and the tests, which have no phone): this time step's, or the next one's
    /// when this one is spent; never the previous step's, which may run out before the code
    /// is typed.
    pub async fn unused_totp_code(&self, user_id: &str, email: &str) -> CoreResult<Option<String>> {
        let Some(secret) = self.totp_secret_of(user_id).await? else {
            return Ok(None);
        };
        let last: i64 = steward_db::query_scalar("SELECT totp_last_step FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_one(&self.db.pool)
            .await?;
        let totp = totp_for(&secret, email)?;
        let now = now().timestamp().max(0) as u64;
        Ok(acceptable_steps(now)
            .skip(1)
            .find(|(step, _)| *step as i64 > last)
            .map(|(_, at)| totp.generate(at)))
    }

    async fn second_factor_failures(&self, user_id: &str, token: &str) -> CoreResult<(i64, i64)> {
        let since = stamp(now() - Duration::minutes(FAILURE_WINDOW_MINUTES));
        let row = steward_db::query(
            "SELECT COUNT(*) AS account, COALESCE(SUM(CASE WHEN session_hash = $2 THEN 1 ELSE 0 END), 0) AS attempt FROM second_factor_failures WHERE user_id = $1 AND at > $3",
        )
        .bind(user_id)
        .bind(hash_secret(token))
        .bind(since)
        .fetch_one(&self.db.pool)
        .await?;
        Ok((row.try_get("attempt")?, row.try_get("account")?))
    }

    /// Checks the TOTP code owed by a session and completes the sign-in. At most
    /// [`MAX_FAILURES_PER_ACCOUNT`] wrong codes per sign-in attempt and per account in
    /// [`FAILURE_WINDOW_MINUTES`] minutes; a code is accepted once; the session gets a new
    /// id (returned) so a token seen before the second factor is worth nothing after it.
    pub async fn verify_second_factor(
        &self,
        token: &str,
        caller: &Caller,
        code: &str,
    ) -> CoreResult<String> {
        let (attempt, account) = self.second_factor_failures(&caller.user_id, token).await?;
        if attempt >= MAX_FAILURES_PER_ACCOUNT || account >= MAX_FAILURES_PER_ACCOUNT {
            self.trail_standalone(TrailEntry::for_caller(
                caller,
                "sign_in.second_factor_rate_limited",
            ))
            .await?;
            return Err(CoreError::RateLimited);
        }
        let secret = self.totp_secret_of(&caller.user_id).await?;
        let step = match &secret {
            Some(s) => matching_step(s, &caller.email, code)?,
            None => None,
        };
        // Accepted once: the step must be newer than the last one used (one statement, so
        // two requests racing with the same code cannot both succeed).
        let accepted =
            match step {
                Some(step) => steward_db::query(
                    "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1",
                )
                .bind(step as i64)
                .bind(&caller.user_id)
                .execute(&self.db.pool)
                .await?
                .rows_affected()
                    == 1,
                None => false,
            };
        if !accepted {
            steward_db::query(
                "INSERT INTO second_factor_failures (id, user_id, session_hash, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(&caller.user_id)
            .bind(hash_secret(token))
            .bind(now_stamp())
            .execute(&self.db.pool)
            .await?;
            let mut e = TrailEntry::for_caller(caller, "sign_in.second_factor_failure");
            e.detail = if step.is_some() {
                "authentication code used before".into()
            } else {
                "wrong authentication code".into()
            };
            self.trail_standalone(e).await?;
            return Err(CoreError::invalid(
                "code",
                if step.is_some() {
                    "That code has been used already: enter the next code your authenticator app shows"
                } else {
                    "Enter the 6-digit code from your authenticator app"
                },
            ));
        }
        let renewed = self.renew_session(token).await?;
        self.trail_standalone(TrailEntry::for_caller(
            caller,
            "sign_in.second_factor_success",
        ))
        .await?;
        Ok(renewed)
    }

    /// Enrols a second factor: the user proves they hold `secret` by a current code. The
    /// session gets a new id, as after a code.
    pub async fn enrol_second_factor(
        &self,
        token: &str,
        caller: &Caller,
        secret: &str,
        code: &str,
    ) -> CoreResult<String> {
        if !check_totp(secret, &caller.email, code) {
            return Err(CoreError::invalid(
                "code",
                "Enter the 6-digit code from your authenticator app",
            ));
        }
        self.store_totp_secret(&caller.user_id, secret).await?;
        if let Some(step) = matching_step(secret, &caller.email, code)? {
            steward_db::query("UPDATE users SET totp_last_step = $1 WHERE id = $2")
                .bind(step as i64)
                .bind(&caller.user_id)
                .execute(&self.db.pool)
                .await?;
        }
        let renewed = self.renew_session(token).await?;
        self.trail_standalone(TrailEntry::for_caller(caller, "second_factor.enrolled"))
            .await?;
        Ok(renewed)
    }

    /// Completes a session's second factor under a new token.
    async fn renew_session(&self, token: &str) -> CoreResult<String> {
        let renewed = new_secret();
        steward_db::query(
            "UPDATE sessions SET token_hash = $1, pending_second_factor = 0 WHERE token_hash = $2",
        )
        .bind(hash_secret(&renewed))
        .bind(hash_secret(token))
        .execute(&self.db.pool)
        .await?;
        Ok(renewed)
    }

    pub async fn sign_out(&self, token: &str, caller: &Caller) -> CoreResult<()> {
        steward_db::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash_secret(token))
            .execute(&self.db.pool)
            .await?;
        self.trail_standalone(TrailEntry::for_caller(caller, "sign_out"))
            .await
    }

    pub async fn switch_organisation(
        &self,
        token: &str,
        caller: &Caller,
        organisation_id: &str,
    ) -> CoreResult<()> {
        if !caller.can_see_organisation(organisation_id) {
            return Err(CoreError::NotFound);
        }
        steward_db::query("UPDATE sessions SET current_organisation_id = $1 WHERE token_hash = $2")
            .bind(organisation_id)
            .bind(hash_secret(token))
            .execute(&self.db.pool)
            .await?;
        let mut e = TrailEntry::for_caller(caller, "organisation.switch");
        e.organisation_id = Some(organisation_id.to_string());
        self.trail_standalone(e).await
    }

    /// Whether the user still owes a password of their own (one set by an administrator).
    pub async fn password_change_owed(&self, user_id: &str) -> CoreResult<bool> {
        let owed: Option<i64> =
            steward_db::query_scalar("SELECT must_change_password FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(owed == Some(1))
    }

    /// Changes the caller's own password; ends their other sessions.
    pub async fn change_password(
        &self,
        token: Option<&str>,
        caller: &Caller,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> CoreResult<()> {
        let hash: String =
            steward_db::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                .bind(&caller.user_id)
                .fetch_one(&self.db.pool)
                .await?;
        let mut errors = FieldErrors::default();
        if !verify_password(current, &hash) {
            errors.add("current_password", "Your current password is not right");
        }
        check_new_password(new, "new_password", &mut errors);
        if errors.get("new_password").is_none() && verify_password(new, &hash) {
            errors.add(
                "new_password",
                "Choose a password different from the one you have now",
            );
        }
        if new != confirm {
            errors.add("confirm_password", "The passwords do not match");
        }
        errors.into_result()?;
        let mut tx = self.db.begin().await?;
        steward_db::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2",
        )
        .bind(hash_password(new)?)
        .bind(&caller.user_id)
        .execute(&mut *tx)
        .await?;
        steward_db::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(&caller.user_id)
            .bind(token.map(hash_secret).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.trail_standalone(TrailEntry::for_caller(caller, "password.change"))
            .await
    }

    /// Issues a one-time password-reset link token for an active user. Only an
    /// administrator (or the CLI, `issued_by = "cli"`) can: there is no self-service
    /// "forgotten password" path for a leaver to use.
    pub async fn issue_password_reset(&self, issued_by: &str, user_id: &str) -> CoreResult<String> {
        let active: Option<i64> =
            steward_db::query_scalar("SELECT active FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&self.db.pool)
                .await?;
        match active {
            None => return Err(CoreError::NotFound),
            Some(0) => {
                return Err(CoreError::Conflict(
                    "This user is deactivated; a reset link cannot be issued".into(),
                ))
            }
            _ => {}
        }
        let token = new_secret();
        let t = now();
        steward_db::query(
            "INSERT INTO password_resets (token_hash, user_id, issued_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash_secret(&token))
        .bind(user_id)
        .bind(issued_by)
        .bind(stamp(t))
        .bind(stamp(t + Duration::hours(RESET_LINK_HOURS)))
        .execute(&self.db.pool)
        .await?;
        Ok(token)
    }

    /// The user a reset link is for, if it is unused, unexpired and the user is active.
    pub async fn check_password_reset(&self, token: &str) -> CoreResult<String> {
        let row = steward_db::query(
            "SELECT r.user_id, r.expires_at, r.used_at, u.active FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_hash = $1",
        )
        .bind(hash_secret(token))
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Err(CoreError::NotFound);
        };
        let expires: String = row.try_get("expires_at")?;
        let used: Option<String> = row.try_get("used_at")?;
        if used.is_some() || expires < now_stamp() || row.try_get::<i64, _>("active")? != 1 {
            return Err(CoreError::NotFound);
        }
        Ok(row.try_get("user_id")?)
    }

    pub async fn complete_password_reset(
        &self,
        token: &str,
        new: &str,
        confirm: &str,
        address: &str,
    ) -> CoreResult<()> {
        let user_id = self.check_password_reset(token).await?;
        let mut errors = FieldErrors::default();
        check_new_password(new, "new_password", &mut errors);
        if new != confirm {
            errors.add("confirm_password", "The passwords do not match");
        }
        errors.into_result()?;
        let mut tx = self.db.begin().await?;
        steward_db::query(
            "UPDATE users SET password_hash = $1, must_change_password = 0 WHERE id = $2",
        )
        .bind(hash_password(new)?)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
        steward_db::query("UPDATE password_resets SET used_at = $1 WHERE token_hash = $2")
            .bind(now_stamp())
            .bind(hash_secret(token))
            .execute(&mut *tx)
            .await?;
        steward_db::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if let Some(c) = self.caller_for_user(&user_id, address).await? {
            self.trail_standalone(TrailEntry::for_caller(&c, "password.reset"))
                .await?;
        }
        Ok(())
    }

    /// Creates an API token for the caller; the token is returned once, only its hash kept.
    /// `expires_on`: the day the token stops working (none: until it is revoked).
    pub async fn create_api_token(
        &self,
        caller: &Caller,
        name: &str,
        expires_on: Option<chrono::NaiveDate>,
    ) -> CoreResult<(String, String)> {
        let name = name.trim();
        let mut errors = FieldErrors::default();
        if name.is_empty() || name.len() > 100 {
            errors.add("name", "Enter a name for the token, up to 100 characters");
        }
        if let Some(d) = expires_on {
            if d <= now().date_naive() {
                errors.add("expires_on", "The expiry date must be in the future");
            }
        }
        errors.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let token = format!("stw_{}", new_secret());
        steward_db::query("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_on) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(&caller.user_id)
            .bind(name)
            .bind(hash_secret(&token))
            .bind(now_stamp())
            .bind(expires_on.map(iso_date))
            .execute(&self.db.pool)
            .await?;
        let mut e = TrailEntry::for_caller(caller, "api_token.create");
        e.detail = name.to_string();
        self.trail_standalone(e).await?;
        Ok((id, token))
    }

    pub async fn api_tokens(&self, caller: &Caller) -> CoreResult<Vec<ApiToken>> {
        let rows = steward_db::query(
            "SELECT id, name, created_at, revoked_at, expires_on, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC",
        )
        .bind(&caller.user_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiToken {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    created_at: r.try_get("created_at")?,
                    revoked_at: r.try_get("revoked_at")?,
                    expires_on: r.try_get("expires_on")?,
                    last_used_at: r.try_get("last_used_at")?,
                })
            })
            .collect()
    }

    pub async fn revoke_api_token(&self, caller: &Caller, id: &str) -> CoreResult<()> {
        let n = steward_db::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now_stamp())
            .bind(id)
            .bind(&caller.user_id)
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(CoreError::NotFound);
        }
        self.trail_standalone(TrailEntry::for_caller(caller, "api_token.revoke"))
            .await
    }
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    /// The day the token stops working (ISO date); none: until revoked.
    pub expires_on: Option<String>,
    pub last_used_at: Option<String>,
}

impl ApiToken {
    /// Whether the token has passed its expiry date.
    pub fn expired(&self) -> bool {
        self.expires_on
            .as_deref()
            .is_some_and(|d| iso_date(now().date_naive()).as_str() >= d)
    }
}

/// argon2id hash of a random password, verified against when the account does not exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Wg8dWhWq6N3m8X9Yx0iYlJm1n3WQ6XqgU0V6b8pJ9Y";

pub fn hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
    }

    #[test]
    fn totp_codes_check() {
        let s = new_totp_secret();
        let code = totp_for(&s, "a@b.c").unwrap().generate_current().unwrap();
        assert!(check_totp(&s, "a@b.c", &code));
        assert!(!check_totp(&s, "a@b.c", "000000x"));
    }
}
