//! The one form pattern of the pages: each form is a struct deriving `Deserialize` (what the
//! browser posts, every field a string as typed, `#[serde(default)]`) and `Serialize` (so
//! [`FormView::of`] gives the values back to the page when it is shown again with errors),
//! with a method that makes the service's input from it. Dates are typed as three boxes
//! (`<name>_day`, `_month`, `_year`; a time in `<name>_time`) and become the service's
//! `YYYY-MM-DD` (or `YYYY-MM-DDTHH:MM`) through the functions here.
//!
//! Forms whose fields are named by data (a questionnaire's answers, a register's own columns)
//! keep their named fields in the struct and the rest in one `#[serde(flatten)]` map.

use crate::views::FormView;
use steward_core::time::{date_from_parts, iso_date, parse_iso_date};
use steward_core::FieldErrors;

/// A date typed as day, month and year, as the services take it: `YYYY-MM-DD`; empty when
/// all three boxes are empty; otherwise what was typed (`31/2/2027`), which is not a date, so
/// the service refuses it with the field's own message.
pub fn date_input(day: &str, month: &str, year: &str) -> String {
    if [day, month, year].iter().all(|p| p.trim().is_empty()) {
        return String::new();
    }
    match date_from_parts(day, month, year) {
        Some(d) => iso_date(d),
        None => format!("{}/{}/{}", day.trim(), month.trim(), year.trim()),
    }
}

/// Which of a date's three boxes (day, month, year) are wrong, for the error to sit on them:
/// the box that is empty or not a number in its range; the day when the three make no date
/// (31 February); all three when every box is empty or each is right on its own (the date
/// itself breaks a rule, such as an expiry before the signing).
pub fn wrong_date_boxes(day: &str, month: &str, year: &str) -> [bool; 3] {
    let num = |s: &str| s.trim().parse::<i64>().ok();
    let d = num(day).filter(|d| (1..=31).contains(d));
    let m = num(month).filter(|m| (1..=12).contains(m));
    let y = num(year).filter(|y| (1900..=2200).contains(y) && year.trim().len() == 4);
    let wrong = [d.is_none(), m.is_none(), y.is_none()];
    if wrong.iter().all(|w| *w) || !wrong.iter().any(|w| *w) {
        if wrong.iter().all(|w| !*w) && date_from_parts(day, month, year).is_none() {
            return [true, false, false];
        }
        return [true, true, true];
    }
    wrong
}

/// A date and a time ("14:05") typed in four boxes, as UK local `YYYY-MM-DDTHH:MM`; empty when
/// all are empty; otherwise what was typed, which the service refuses with the field's message.
pub fn date_time_input(day: &str, month: &str, year: &str, time: &str) -> String {
    if [day, month, year, time].iter().all(|p| p.trim().is_empty()) {
        return String::new();
    }
    let at = chrono::NaiveTime::parse_from_str(time.trim(), "%H:%M").ok();
    match (date_from_parts(day, month, year), at) {
        (Some(d), Some(t)) => d.and_time(t).format("%Y-%m-%dT%H:%M").to_string(),
        _ => format!(
            "{}/{}/{} {}",
            day.trim(),
            month.trim(),
            year.trim(),
            time.trim()
        ),
    }
}

/// The three boxes of a stored `YYYY-MM-DD`, for a form that changes a record.
pub fn with_date(form: FormView, name: &str, iso: &str) -> FormView {
    match parse_iso_date(iso) {
        Some(d) => form
            .with(&format!("{name}_day"), d.format("%-d").to_string())
            .with(&format!("{name}_month"), d.format("%-m").to_string())
            .with(&format!("{name}_year"), d.format("%Y").to_string()),
        None => form,
    }
}

/// A ticked box or a "yes" radio.
pub fn ticked(value: &str) -> bool {
    matches!(value, "yes" | "on" | "true")
}

/// The codes of the ticked boxes named `<prefix><code>` among a form's data-named fields
/// (a checkbox list whose codes come from a rule file), in code order.
pub fn ticked_codes(
    fields: &std::collections::HashMap<String, String>,
    prefix: &str,
) -> Vec<String> {
    let mut codes: Vec<String> = fields
        .iter()
        .filter(|(_, v)| v.as_str() == "yes")
        .filter_map(|(k, _)| k.strip_prefix(prefix).map(str::to_string))
        .collect();
    codes.sort();
    codes
}

/// `None` for an empty box.
pub fn optional(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|s| !s.is_empty())
}

/// The page's values from the posted form, with the service's errors.
pub fn shown_again<T: serde::Serialize>(form: &T, errors: FieldErrors) -> FormView {
    FormView {
        errors,
        ..FormView::of(form)
    }
}

/// A posted body read as `axum::Form` and `Query` read it (the pages' unit tests).
#[cfg(test)]
pub(crate) fn posted<T: serde::de::DeserializeOwned>(body: &str) -> T {
    serde_urlencoded::from_str(body).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_empty_or_as_typed() {
        assert_eq!(date_input("5", "2", "2021"), "2021-02-05");
        assert_eq!(date_input(" ", "", ""), "");
        let typed = date_input("31", "2", "2027");
        assert_eq!(typed, "31/2/2027");
        assert!(parse_iso_date(&typed).is_none());
        assert_eq!(
            date_time_input("5", "2", "2021", "14:05"),
            "2021-02-05T14:05"
        );
        assert_eq!(date_time_input("", "", "", ""), "");
        assert_eq!(date_time_input("5", "2", "2021", "25:00"), "5/2/2021 25:00");
    }

    #[test]
    fn the_error_sits_on_the_wrong_box() {
        assert_eq!(wrong_date_boxes("31", "2", "2027"), [true, false, false]);
        assert_eq!(wrong_date_boxes("5", "13", "2027"), [false, true, false]);
        assert_eq!(wrong_date_boxes("5", "3", "27"), [false, false, true]);
        assert_eq!(wrong_date_boxes("", "3", "2027"), [true, false, false]);
        assert_eq!(wrong_date_boxes("", "", ""), [true, true, true]);
        // A real date that breaks a rule of the form: all three.
        assert_eq!(wrong_date_boxes("5", "3", "2027"), [true, true, true]);
    }

    #[test]
    fn ticked_boxes_give_their_codes_in_order() {
        let fields: std::collections::HashMap<String, String> =
            posted("csrf=t&type_gp=yes&type_cctv=yes&type_sar=no&role_dpo=yes&title=type_x");
        assert_eq!(ticked_codes(&fields, "type_"), ["cctv", "gp"]);
        assert_eq!(ticked_codes(&fields, "role_"), ["dpo"]);
    }

    #[test]
    fn a_form_is_shown_again_as_typed() {
        #[derive(serde::Serialize)]
        struct F {
            title: String,
            due_day: String,
        }
        let mut errors = FieldErrors::default();
        errors.add("title", "Enter a title");
        let v = shown_again(
            &F {
                title: "x".into(),
                due_day: "31".into(),
            },
            errors,
        );
        assert_eq!(v.value("title"), "x");
        assert_eq!(v.value("due_day"), "31");
        assert_eq!(v.error("title"), Some("Enter a title"));
    }
}
