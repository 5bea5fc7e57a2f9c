//! Clusters, organisations and user accounts.

use serde::{Deserialize, Serialize};

use crate::auth::{check_new_password, hash_password};
use crate::error::{CoreError, CoreResult, FieldErrors};
use crate::time::now_stamp;
use crate::trail::{append, TrailEntry};
use crate::{Caller, Role, Steward};
use steward_db::Row;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: String,
    pub cluster_id: String,
    pub name: String,
    /// gp_practice, trust, care_partner, dpo_service
    pub kind: String,
    pub ods_code: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    pub second_factor: bool,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub organisation_id: String,
    pub password: String,
}

impl Steward {
    /// Creates a cluster (used by `steward demo` and first-run set-up).
    pub async fn create_cluster(&self, name: &str) -> CoreResult<String> {
        let id = uuid::Uuid::new_v4().to_string();
        steward_db::query("INSERT INTO clusters (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(&id)
            .bind(name)
            .bind(now_stamp())
            .execute(&self.db.pool)
            .await?;
        Ok(id)
    }

    pub async fn create_organisation(
        &self,
        cluster_id: &str,
        name: &str,
        kind: &str,
        ods_code: &str,
    ) -> CoreResult<String> {
        let id = uuid::Uuid::new_v4().to_string();
        steward_db::query("INSERT INTO organisations (id, cluster_id, name, kind, ods_code, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&id)
            .bind(cluster_id)
            .bind(name)
            .bind(kind)
            .bind(ods_code)
            .bind(now_stamp())
            .execute(&self.db.pool)
            .await?;
        Ok(id)
    }

    pub async fn organisations(&self, caller: &Caller) -> CoreResult<Vec<Organisation>> {
        let rows =
            steward_db::query("SELECT * FROM organisations WHERE cluster_id = $1 ORDER BY name")
                .bind(&caller.cluster_id)
                .fetch_all(&self.db.pool)
                .await?;
        let mut out = Vec::new();
        for r in rows {
            let o = Organisation {
                id: r.try_get("id")?,
                cluster_id: r.try_get("cluster_id")?,
                name: r.try_get("name")?,
                kind: r.try_get("kind")?,
                ods_code: r.try_get("ods_code")?,
            };
            if caller.can_see_organisation(&o.id) {
                out.push(o);
            }
        }
        Ok(out)
    }

    pub async fn organisation(&self, caller: &Caller, id: &str) -> CoreResult<Organisation> {
        self.organisations(caller)
            .await?
            .into_iter()
            .find(|o| o.id == id)
            .ok_or(CoreError::NotFound)
    }

    /// Adds a user. `by` is None for the CLI (the operator on the server), which can
    /// always add; otherwise the caller must be a system administrator of the cluster.
    pub async fn add_user(&self, by: Option<&Caller>, new: &NewUser) -> CoreResult<User> {
        if let Some(c) = by {
            c.require_manage_users()?;
        }
        let mut errors = FieldErrors::default();
        let email = new.email.trim().to_lowercase();
        if !email.contains('@')
            || email.len() > 254
            || email.starts_with('@')
            || email.ends_with('@')
        {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.nhs.uk",
            );
        }
        if new.display_name.trim().is_empty() {
            errors.add("display_name", "Enter the person's name");
        }
        let role = Role::parse(&new.role);
        match (role, by) {
            (None, _) => errors.add("role", "Select a role"),
            (Some(r), Some(c)) if !c.role.may_grant(r) => {
                errors.add(
                    "role",
                    format!(
                        "You cannot give the {} role: it reaches more than yours. A DPO gives it.",
                        r.label()
                    ),
                );
            }
            _ => {}
        }
        let org_cluster: Option<String> =
            steward_db::query_scalar("SELECT cluster_id FROM organisations WHERE id = $1")
                .bind(&new.organisation_id)
                .fetch_optional(&self.db.pool)
                .await?;
        match (&org_cluster, by) {
            (None, _) => errors.add("organisation_id", "Select an organisation"),
            (Some(cl), Some(c)) if *cl != c.cluster_id => {
                errors.add("organisation_id", "Select an organisation")
            }
            _ => {}
        }
        check_new_password(&new.password, "password", &mut errors);
        if errors.is_empty() {
            let exists: i64 =
                steward_db::query_scalar("SELECT COUNT(*) FROM users WHERE email = $1")
                    .bind(&email)
                    .fetch_one(&self.db.pool)
                    .await?;
            if exists > 0 {
                errors.add("email", "A user with this email address already exists");
            }
        }
        errors.into_result()?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut w = self.write().await?;
        steward_db::query(
            "INSERT INTO users (id, organisation_id, email, display_name, role, password_hash, active, created_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)",
        )
        .bind(&id)
        .bind(&new.organisation_id)
        .bind(&email)
        .bind(new.display_name.trim())
        .bind(role.expect("validated").as_str())
        .bind(hash_password(&new.password)?)
        .bind(now_stamp())
        // An administrator chose this password: the person chooses their own at first
        // sign-in. Accounts made on the server (command line, demo) do not owe one.
        .bind(i64::from(by.is_some()))
        .execute(&mut *w.tx)
        .await?;
        let mut e = match by {
            Some(c) => TrailEntry::for_caller(c, "user.add"),
            None => TrailEntry::anonymous("cli", "local", "user.add"),
        };
        e.organisation_id = Some(new.organisation_id.clone());
        e.record_type = Some("user".into());
        e.record_id = Some(id.clone());
        e.detail = format!("{email} as {}", role.expect("validated").as_str());
        append(&mut w.tx, &e).await?;
        w.commit().await?;
        self.user_by_id(&id).await
    }

    pub async fn user_by_id(&self, id: &str) -> CoreResult<User> {
        let r = steward_db::query(
            "SELECT u.*, o.name AS organisation_name FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE u.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        user_from_row(&r)
    }

    pub async fn user_by_email(&self, email: &str) -> CoreResult<User> {
        let id: String = steward_db::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or(CoreError::NotFound)?;
        self.user_by_id(&id).await
    }

    /// Users of the cluster, for the system administrator.
    pub async fn users(&self, caller: &Caller) -> CoreResult<Vec<User>> {
        caller.require_manage_users()?;
        let rows = steward_db::query(
            "SELECT u.*, o.name AS organisation_name FROM users u JOIN organisations o ON o.id = u.organisation_id WHERE o.cluster_id = $1 ORDER BY o.name, u.display_name",
        )
        .bind(&caller.cluster_id)
        .fetch_all(&self.db.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    /// Checks that a user is in the administrator's cluster (else NotFound).
    pub async fn managed_user(&self, caller: &Caller, id: &str) -> CoreResult<User> {
        caller.require_manage_users()?;
        let u = self.user_by_id(id).await?;
        if !caller.can_see_organisation(&u.organisation_id) {
            return Err(CoreError::NotFound);
        }
        Ok(u)
    }

    /// Deactivates a user: their sessions, API tokens and unused reset links end at once.
    pub async fn deactivate_user(&self, by: Option<&Caller>, id: &str) -> CoreResult<()> {
        let u = match by {
            Some(c) => self.managed_user(c, id).await?,
            None => self.user_by_id(id).await?,
        };
        if by.is_some_and(|c| c.user_id == id) {
            return Err(CoreError::Conflict(
                "You cannot deactivate your own account".into(),
            ));
        }
        let now = now_stamp();
        let mut w = self.write().await?;
        steward_db::query("UPDATE users SET active = 0, deactivated_at = $1 WHERE id = $2")
            .bind(&now)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        steward_db::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        steward_db::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        steward_db::query(
            "UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL",
        )
        .bind(&now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let mut e = match by {
            Some(c) => TrailEntry::for_caller(c, "user.deactivate"),
            None => TrailEntry::anonymous("cli", "local", "user.deactivate"),
        };
        e.organisation_id = Some(u.organisation_id.clone());
        e.record_type = Some("user".into());
        e.record_id = Some(id.to_string());
        e.detail = u.email;
        append(&mut w.tx, &e).await?;
        w.commit().await
    }

    /// Sets a new calendar-feed secret for the caller and returns it (shown once).
    pub async fn new_calendar_token(&self, caller: &Caller) -> CoreResult<String> {
        let token = crate::auth::new_secret();
        steward_db::query("UPDATE users SET calendar_token_hash = $1 WHERE id = $2")
            .bind(crate::auth::hash_secret(&token))
            .bind(&caller.user_id)
            .execute(&self.db.pool)
            .await?;
        self.trail_standalone(TrailEntry::for_caller(caller, "calendar_feed.new_link"))
            .await?;
        Ok(token)
    }

    /// The active user a calendar-feed secret belongs to.
    pub async fn user_for_calendar_token(&self, token: &str) -> CoreResult<User> {
        let id: String = steward_db::query_scalar(
            "SELECT id FROM users WHERE calendar_token_hash = $1 AND active = 1",
        )
        .bind(crate::auth::hash_secret(token))
        .fetch_optional(&self.db.pool)
        .await?
        .ok_or(CoreError::NotFound)?;
        self.user_by_id(&id).await
    }
}

fn user_from_row(r: &steward_db::AnyRow) -> CoreResult<User> {
    Ok(User {
        id: r.try_get("id")?,
        organisation_id: r.try_get("organisation_id")?,
        organisation_name: r.try_get("organisation_name")?,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&r.try_get::<String, _>("role")?).unwrap_or(Role::Staff),
        active: r.try_get::<i64, _>("active")? == 1,
        second_factor: r.try_get::<Option<String>, _>("totp_secret")?.is_some(),
    })
}
