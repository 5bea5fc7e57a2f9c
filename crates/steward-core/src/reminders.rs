//! The daily reminder email (overdue and due-soon actions) and the per-user calendar feed.

use chrono::NaiveDate;
use icalendar::{Calendar, Component, Event, EventLike};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::actions::Action;
use crate::error::{CoreError, CoreResult};
use crate::time::{iso_date, long_date, now_stamp};
use crate::{SmtpConfig, Steward};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReminderReport {
    pub sent: usize,
    /// Already reminded (today, for the daily action reminders; for that expiry, for
    /// training).
    pub skipped: usize,
    pub failed: Vec<String>,
}

fn transport(c: &SmtpConfig) -> CoreResult<AsyncSmtpTransport<Tokio1Executor>> {
    let builder = match c.security.as_str() {
        "none" => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&c.host),
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&c.host)
            .map_err(|e| CoreError::Internal(format!("SMTP: {e}")))?,
        _ => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&c.host)
            .map_err(|e| CoreError::Internal(format!("SMTP: {e}")))?,
    };
    let mut builder = builder.port(c.port);
    if let (Some(u), Some(p)) = (&c.username, &c.password) {
        builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
    }
    Ok(builder.build())
}

/// The reminder's text: overdue first, then due soon.
pub fn reminder_body(name: &str, actions: &[Action], today: NaiveDate, base_url: &str) -> String {
    let mut s = format!("Dear {name},\n\n");
    let overdue: Vec<&Action> = actions.iter().filter(|a| a.is_overdue(today)).collect();
    let soon: Vec<&Action> = actions.iter().filter(|a| !a.is_overdue(today)).collect();
    for (heading, list) in [("Overdue", overdue), ("Due soon", soon)] {
        if list.is_empty() {
            continue;
        }
        s.push_str(&format!("{heading}:\n"));
        for a in list {
            s.push_str(&format!(
                "- {} ({}) - due {}\n  {}/actions/{}\n",
                a.title,
                a.organisation_name,
                long_date(a.due_date),
                base_url.trim_end_matches('/'),
                a.id
            ));
        }
        s.push('\n');
    }
    s.push_str("You can see all your actions under \"My actions\" in Steward.\n");
    s
}

/// The SMTP connection the reminder emails go through, built from `[smtp]`: the daily
/// action reminders here, and the modules' reminders (training before it runs out) in the
/// same scheduled job.
pub struct Mailer {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Mailer {
    /// One plain-text email; on failure, the address and what went wrong (logged too).
    pub async fn send(
        &self,
        name: &str,
        email: &str,
        subject: &str,
        body: String,
    ) -> Result<(), String> {
        let to: Mailbox = format!("{name} <{email}>")
            .parse()
            .map_err(|e| format!("{email}: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| format!("{email}: building the email: {e}"))?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            tracing::warn!(%email, error = %e, "reminder email failed");
            format!("{email}: {e}")
        })
    }
}

impl Steward {
    /// The reminders' mailer; a conflict when SMTP is not configured.
    pub fn mailer(&self) -> CoreResult<Mailer> {
        let smtp = self.config.smtp.as_ref().ok_or_else(|| {
            CoreError::Conflict("SMTP is not configured; set [smtp] in the configuration".into())
        })?;
        let from: Mailbox = smtp
            .from
            .parse()
            .map_err(|e| CoreError::Internal(format!("SMTP from address {:?}: {e}", smtp.from)))?;
        Ok(Mailer {
            from,
            transport: transport(smtp)?,
        })
    }

    /// Sends each user with overdue or due-soon actions one email for `today`; a user
    /// already reminded today is skipped, so running this twice sends nothing twice.
    pub async fn send_reminders(&self, today: NaiveDate) -> CoreResult<ReminderReport> {
        let mailer = self.mailer()?;
        let day = iso_date(today);
        let mut report = ReminderReport::default();
        for (user_id, email, name, actions) in self.actions_to_remind(today).await? {
            let done: i64 = steward_db::query_scalar(
                "SELECT COUNT(*) FROM reminders_sent WHERE user_id = $1 AND day = $2",
            )
            .bind(&user_id)
            .bind(&day)
            .fetch_one(&self.db.pool)
            .await?;
            if done > 0 {
                report.skipped += 1;
                continue;
            }
            let overdue = actions.iter().filter(|a| a.is_overdue(today)).count();
            let subject = format!(
                "Steward: {} overdue, {} due soon",
                overdue,
                actions.len() - overdue
            );
            let body = reminder_body(&name, &actions, today, &self.config.base_url);
            match mailer.send(&name, &email, &subject, body).await {
                Ok(()) => {
                    steward_db::query(
                        "INSERT INTO reminders_sent (user_id, day, sent_at) VALUES ($1, $2, $3)",
                    )
                    .bind(&user_id)
                    .bind(&day)
                    .bind(now_stamp())
                    .execute(&self.db.pool)
                    .await?;
                    report.sent += 1;
                }
                Err(e) => report.failed.push(e),
            }
        }
        Ok(report)
    }

    /// An iCalendar feed of a user's open actions, one all-day event on each due date.
    pub async fn calendar_feed(&self, user_id: &str) -> CoreResult<String> {
        let mut cal = Calendar::new();
        cal.name("Steward actions");
        for a in self.open_actions_of(user_id).await? {
            let url = format!(
                "{}/actions/{}",
                self.config.base_url.trim_end_matches('/'),
                a.id
            );
            cal.push(
                Event::new()
                    .uid(&format!("{}@steward", a.id))
                    .summary(&a.title)
                    .description(&format!(
                        "{} - {}\n{url}",
                        a.organisation_name,
                        a.status.label()
                    ))
                    .all_day(a.due_date)
                    .url(&url)
                    .done(),
            );
        }
        Ok(cal.done().to_string())
    }
}
