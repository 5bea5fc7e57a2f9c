//! E-mail through the SMTP settings the reminders use (`[smtp]` in the configuration). The
//! transport is built the same way as steward-core's reminders; a candidate to move into the
//! core as one shared mailer.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use steward_core::{CoreError, CoreResult, SmtpConfig, Steward};

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

/// One message to each recipient (name, address): plain text, and HTML when given.
/// Returns how many were sent; failures are logged and counted out.
pub async fn send(
    steward: &Steward,
    to: &[(String, String)],
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> CoreResult<usize> {
    let smtp = steward.config.smtp.as_ref().ok_or_else(|| {
        CoreError::Conflict("E-mail is not set up: set [smtp] in the configuration".into())
    })?;
    let from: Mailbox = smtp
        .from
        .parse()
        .map_err(|e| CoreError::Internal(format!("SMTP from address {:?}: {e}", smtp.from)))?;
    let mailer = transport(smtp)?;
    let mut sent = 0;
    for (name, email) in to {
        let Ok(mailbox) = format!("{name} <{email}>").parse::<Mailbox>() else {
            tracing::warn!(%email, "not an e-mail address");
            continue;
        };
        let builder = Message::builder()
            .from(from.clone())
            .to(mailbox)
            .subject(subject);
        let message = match html {
            Some(h) => builder.multipart(MultiPart::alternative_plain_html(
                text.to_string(),
                h.to_string(),
            )),
            None => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(text.to_string()),
            ),
        }
        .map_err(|e| CoreError::Internal(format!("building e-mail: {e}")))?;
        match mailer.send(message).await {
            Ok(_) => sent += 1,
            Err(e) => tracing::warn!(%email, error = %e, "e-mail failed"),
        }
    }
    Ok(sent)
}
