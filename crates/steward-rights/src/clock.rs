//! The statutory clock of a rights request.
//!
//! Every rule here follows shared/reference/rights-and-deadlines.md (UK GDPR Art 12(3), ICO
//! right-of-access guidance, Data (Use and Access) Act 2025); each rule cites its section.
//! Dates are calendar dates in UK local time (Europe/London): the caller converts a timestamp to
//! its UK calendar date before it reaches the clock (PRODUCT.md, "Conventions").
//!
//! # How a clarification pause moves the due date (design decision)
//! The reference says the clock "pauses from the day clarification is asked for until it is
//! received; the days already elapsed are kept". Steward implements this as follows:
//! - a pause asked for on day A and answered on day B stops the clock for `B - A` calendar days:
//!   day A up to and including the day before B. The clock runs again on day B, so B counts;
//! - the unadjusted due date (the corresponding date, or last day of the month, or the 28th
//!   day on) moves later by the total of paused calendar days, and only then is the working-day
//!   rule applied again. Pausing therefore never makes the due date earlier, and the days elapsed
//!   before the pause are kept exactly;
//! - while a pause is open, [`Clock::due_date_as_of`] counts it up to `today` (the due date
//!   moves a day later for each day clarification is awaited), [`Clock::days_remaining`] stays
//!   frozen at its value on the day clarification was asked for, and [`Clock::due_date`] counts
//!   only answered pauses (the earliest the due date can now be);
//! - a pause may only be asked for from 5 February 2026 (the Act's stop-the-clock in force), on
//!   or after the clock's start and no later than the due date; one pause is open at a time.
//!
//! # The 28-day setting (design decision)
//! "Organisations may choose to use 28 days instead": the due date is then the start date plus
//! 28 days, counted the same way as the month (3 September -> 1 October), with the same
//! working-day rule. The shortest calendar month from any start is 28 days, so this date is never
//! later than the statutory one. An extension still adds calendar months to it, and the "first
//! month" in which the requester must be told of an extension is always the statutory calendar
//! month, whatever the setting.
//!
//! # Extensions (design decision)
//! An extension of n months makes the due date the corresponding date `1 + n` months after the
//! start (or that month's last day): received 31 January, extended by two months -> 30 April, not
//! 28 February + 2 months. Pauses and the working-day rule then apply as above.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{BankHolidays, CalendarGap};

/// The day the Data (Use and Access) Act 2025's stop-the-clock for clarification came into
/// force (rights-and-deadlines.md, "Changes to the clock").
pub const STOP_THE_CLOCK_IN_FORCE: NaiveDate = match NaiveDate::from_ymd_opt(2026, 2, 5) {
    Some(d) => d,
    None => panic!("valid date"),
};

/// The longest extension: "by up to two further months" (rights-and-deadlines.md).
pub const MAX_EXTENSION_MONTHS: u8 = 2;

/// The default threshold, in days remaining, below which a request is "due soon".
pub const DEFAULT_DUE_SOON_DAYS: u32 = 7;

/// How long the organisation gives itself to respond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One calendar month: the corresponding date in the next month, or that month's last day.
    #[default]
    CalendarMonth,
    /// The per-organisation 28-day setting (off by default).
    TwentyEightDays,
}

/// The organisation's clock settings, copied into each request's clock when it is logged so that
/// changing the setting later does not move the deadlines of requests already running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSettings {
    #[serde(default)]
    pub period: Period,
    /// A request with this many days or fewer remaining is [`ClockStatus::DueSoon`].
    #[serde(default = "default_due_soon_days")]
    pub due_soon_days: u32,
}

fn default_due_soon_days() -> u32 {
    DEFAULT_DUE_SOON_DAYS
}

impl Default for ClockSettings {
    fn default() -> Self {
        Self {
            period: Period::CalendarMonth,
            due_soon_days: DEFAULT_DUE_SOON_DAYS,
        }
    }
}

/// Which event started the clock (the latest of them; rights-and-deadlines.md, "When the clock
/// starts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartEvent {
    RequestReceived,
    IdentityVerified,
    ProxyAuthorityReceived,
    FeeReceived,
}

/// A clarification pause (Data (Use and Access) Act 2025 stop-the-clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    /// The day clarification was asked for: the first paused day.
    pub asked_on: NaiveDate,
    /// What the organisation asked the requester to clarify.
    pub question: String,
    /// The day the clarification was received: the clock runs again from this day.
    pub received_on: Option<NaiveDate>,
}

/// Why the time to respond was extended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionGround {
    /// The request is complex.
    Complex,
    /// The requester made a number of requests.
    NumberOfRequests,
}

/// An extension of the time to respond (rights-and-deadlines.md, "Extension").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// 1 or 2 further months.
    pub months: u8,
    pub ground: ExtensionGround,
    /// The reasons given to the requester.
    pub reasons: String,
    /// The day the requester was told, with the reasons.
    pub requester_told_on: NaiveDate,
    /// The day the extension was entered in Steward.
    pub recorded_on: NaiveDate,
}

/// The clock's state on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    OnTrack,
    /// The due date is within the organisation's due-soon threshold (today included).
    DueSoon,
    /// The due date has passed.
    Overdue,
    /// Clarification has been asked for and not yet received: the clock is stopped.
    Paused,
}

/// A change to the clock that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("clarification can only stop the clock from 5 February 2026 (asked on {asked_on})")]
    PauseBeforeStopTheClockInForce { asked_on: NaiveDate },
    #[error("clarification asked on {asked_on}, before the clock started on {start}")]
    PauseBeforeStart {
        asked_on: NaiveDate,
        start: NaiveDate,
    },
    #[error("clarification asked on {asked_on}, after the request was due on {due}")]
    PauseAfterDue { asked_on: NaiveDate, due: NaiveDate },
    #[error("clarification has been awaited since {since}; record its receipt first")]
    AlreadyPaused { since: NaiveDate },
    #[error("clarification asked on {asked_on}, before the previous clarification was received on {previous_received_on}")]
    PauseOverlapsPrevious {
        asked_on: NaiveDate,
        previous_received_on: NaiveDate,
    },
    #[error("the clock is not paused")]
    NotPaused,
    #[error("clarification received on {received_on}, before it was asked for on {asked_on}")]
    ResumeBeforePause {
        asked_on: NaiveDate,
        received_on: NaiveDate,
    },
    #[error("an extension is by one or two further months, not {months}")]
    ExtensionMonths { months: u8 },
    #[error("an extension needs the reasons given to the requester")]
    ExtensionWithoutReasons,
    #[error("the requester was told on {told_on}, before the clock started on {start}")]
    ExtensionToldBeforeStart {
        told_on: NaiveDate,
        start: NaiveDate,
    },
    #[error(
        "the extension is recorded on {recorded_on}, before the requester was told on {told_on}"
    )]
    ExtensionRecordedBeforeTold {
        told_on: NaiveDate,
        recorded_on: NaiveDate,
    },
    #[error("an extension must be made within the first month, which ended on {first_month_due}; the requester was told on {told_on} and it was recorded on {recorded_on}")]
    ExtensionAfterFirstMonth {
        first_month_due: NaiveDate,
        told_on: NaiveDate,
        recorded_on: NaiveDate,
    },
}

/// The statutory clock of one rights request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    received_on: NaiveDate,
    identity_verified_on: Option<NaiveDate>,
    proxy_authority_received_on: Option<NaiveDate>,
    fee_received_on: Option<NaiveDate>,
    #[serde(default)]
    settings: ClockSettings,
    #[serde(default)]
    pauses: Vec<Pause>,
    #[serde(default)]
    extension: Option<Extension>,
}

impl Clock {
    /// A clock for a request received on `received_on`.
    pub fn new(received_on: NaiveDate, settings: ClockSettings) -> Self {
        Self {
            received_on,
            identity_verified_on: None,
            proxy_authority_received_on: None,
            fee_received_on: None,
            settings,
            pauses: Vec::new(),
            extension: None,
        }
    }

    /// Records the day identity was verified (when evidence was asked for).
    pub fn set_identity_verified_on(&mut self, date: Option<NaiveDate>) {
        self.identity_verified_on = date;
    }

    /// Records the day evidence of a proxy's authority was received.
    pub fn set_proxy_authority_received_on(&mut self, date: Option<NaiveDate>) {
        self.proxy_authority_received_on = date;
    }

    /// Records the day a fee was received (where one may be charged).
    pub fn set_fee_received_on(&mut self, date: Option<NaiveDate>) {
        self.fee_received_on = date;
    }

    pub fn received_on(&self) -> NaiveDate {
        self.received_on
    }
    pub fn identity_verified_on(&self) -> Option<NaiveDate> {
        self.identity_verified_on
    }
    pub fn proxy_authority_received_on(&self) -> Option<NaiveDate> {
        self.proxy_authority_received_on
    }
    pub fn fee_received_on(&self) -> Option<NaiveDate> {
        self.fee_received_on
    }
    pub fn settings(&self) -> ClockSettings {
        self.settings
    }
    pub fn pauses(&self) -> &[Pause] {
        &self.pauses
    }
    pub fn extension(&self) -> Option<&Extension> {
        self.extension.as_ref()
    }

    /// The open pause, if clarification is awaited.
    pub fn open_pause(&self) -> Option<&Pause> {
        self.pauses.iter().find(|p| p.received_on.is_none())
    }

    /// The start date: the latest of received, identity verified, proxy authority received and
    /// fee received; that day is day one, working day or not (rights-and-deadlines.md, "When the
    /// clock starts").
    pub fn start_date(&self) -> NaiveDate {
        self.start().0
    }

    /// Which event started the clock. On a tie the request's receipt is named first.
    pub fn start_event(&self) -> StartEvent {
        self.start().1
    }

    fn start(&self) -> (NaiveDate, StartEvent) {
        [
            (self.identity_verified_on, StartEvent::IdentityVerified),
            (
                self.proxy_authority_received_on,
                StartEvent::ProxyAuthorityReceived,
            ),
            (self.fee_received_on, StartEvent::FeeReceived),
        ]
        .into_iter()
        .fold(
            (self.received_on, StartEvent::RequestReceived),
            |best, (date, event)| match date {
                Some(d) if d > best.0 => (d, event),
                _ => best,
            },
        )
    }

    /// The end of the period before pauses and the working-day rule: the corresponding date
    /// `1 + extension_months` months on, or the last day of that month when it has none
    /// (chrono's `checked_add_months` clamps to the month's last day); or, in 28-day mode, the
    /// start plus 28 days, then any extension months.
    fn unadjusted_due(&self, period: Period, extension_months: u8) -> NaiveDate {
        let start = self.start_date();
        let overflow = "date within chrono's range";
        match period {
            Period::CalendarMonth => start
                .checked_add_months(Months::new(1 + u32::from(extension_months)))
                .expect(overflow),
            Period::TwentyEightDays => (start + chrono::Days::new(28))
                .checked_add_months(Months::new(u32::from(extension_months)))
                .expect(overflow),
        }
    }

    /// Total calendar days the clock has been stopped for clarification; an open pause counts
    /// up to `as_of` (not at all when `None`).
    ///
    /// Only days on or after the start date count: should a start event (say, identity verified)
    /// be recorded after a pause, the days before the new start are not counted twice.
    pub fn paused_days(&self, as_of: Option<NaiveDate>) -> i64 {
        let start = self.start_date();
        self.pauses
            .iter()
            .map(|p| {
                let from = p.asked_on.max(start);
                match p.received_on.or(as_of) {
                    Some(end) => (end - from).num_days().max(0),
                    None => 0,
                }
            })
            .sum()
    }

    fn due(
        &self,
        period_due: NaiveDate,
        as_of: Option<NaiveDate>,
        calendar: &BankHolidays,
    ) -> NaiveDate {
        let paused = u64::try_from(self.paused_days(as_of)).unwrap_or(0);
        calendar.next_working_day_from(period_due + chrono::Days::new(paused))
    }

    /// The due date, counting answered pauses and any extension, moved to the next working day
    /// from a weekend or bank holiday. While a pause is open this is the earliest the due date
    /// can be; use [`Clock::due_date_as_of`] to count the open pause up to today.
    pub fn due_date(&self, calendar: &BankHolidays) -> NaiveDate {
        let period_end = self.unadjusted_due(self.settings.period, self.extension_months());
        self.due(period_end, None, calendar)
    }

    /// The due date as it stands on `today`: an open pause counts up to `today`.
    pub fn due_date_as_of(&self, today: NaiveDate, calendar: &BankHolidays) -> NaiveDate {
        let period_end = self.unadjusted_due(self.settings.period, self.extension_months());
        self.due(period_end, Some(today), calendar)
    }

    /// The end of the statutory first month (calendar month whatever the 28-day setting, with
    /// pauses up to `as_of` and the working-day rule): the last day an extension can be made.
    pub fn first_month_due(&self, as_of: NaiveDate, calendar: &BankHolidays) -> NaiveDate {
        let month = self.unadjusted_due(Period::CalendarMonth, 0);
        self.due(month, Some(as_of), calendar)
    }

    fn extension_months(&self) -> u8 {
        self.extension.as_ref().map_or(0, |e| e.months)
    }

    /// Days from `today` to the due date (negative when overdue; 0 on the due date). While
    /// clarification is awaited the count is frozen at its value on the day it was asked for.
    pub fn days_remaining(&self, today: NaiveDate, calendar: &BankHolidays) -> i64 {
        let today = match self.open_pause() {
            Some(p) if p.asked_on <= today => p.asked_on,
            _ => today,
        };
        (self.due_date_as_of(today, calendar) - today).num_days()
    }

    /// Which day of the clock `today` is (the start date is day one), leaving out paused days;
    /// 0 or less before the clock starts.
    pub fn elapsed_days(&self, today: NaiveDate) -> i64 {
        let start = self.start_date();
        let counted_end = today.succ_opt().expect("date within chrono's range");
        let paused: i64 = self
            .pauses
            .iter()
            .map(|p| {
                // Paused days are [asked_on, received_on), open-ended while awaited.
                let from = p.asked_on.max(start);
                let to = p.received_on.map_or(counted_end, |r| r.min(counted_end));
                (to - from).num_days().max(0)
            })
            .sum();
        (counted_end - start).num_days() - paused
    }

    /// On track, due soon (within the clock's settings' threshold, due date included), overdue,
    /// or paused while clarification is awaited.
    pub fn status(&self, today: NaiveDate, calendar: &BankHolidays) -> ClockStatus {
        self.status_with_threshold(today, calendar, self.settings.due_soon_days)
    }

    /// [`Clock::status`] with another due-soon threshold (the organisation's current setting,
    /// where it has changed since the request was logged).
    pub fn status_with_threshold(
        &self,
        today: NaiveDate,
        calendar: &BankHolidays,
        due_soon_days: u32,
    ) -> ClockStatus {
        if self.open_pause().is_some_and(|p| p.asked_on <= today) {
            return ClockStatus::Paused;
        }
        let remaining = self.days_remaining(today, calendar);
        if remaining < 0 {
            ClockStatus::Overdue
        } else if remaining <= i64::from(due_soon_days) {
            ClockStatus::DueSoon
        } else {
            ClockStatus::OnTrack
        }
    }

    /// `Some` when the due date (as of `today`) lies in a year the bank-holiday data does not
    /// cover, so the UI can say "bank holidays not loaded for 2029".
    pub fn calendar_gap(&self, today: NaiveDate, calendar: &BankHolidays) -> Option<CalendarGap> {
        let start = self.start_date();
        let due = self.due_date_as_of(today, calendar);
        calendar.gap_for(due).or_else(|| calendar.gap_for(start))
    }

    /// Stops the clock: clarification asked for on `asked_on` (Data (Use and Access) Act 2025).
    pub fn pause(
        &mut self,
        asked_on: NaiveDate,
        question: impl Into<String>,
        calendar: &BankHolidays,
    ) -> Result<(), ClockError> {
        if asked_on < STOP_THE_CLOCK_IN_FORCE {
            return Err(ClockError::PauseBeforeStopTheClockInForce { asked_on });
        }
        if let Some(open) = self.open_pause() {
            return Err(ClockError::AlreadyPaused {
                since: open.asked_on,
            });
        }
        let start = self.start_date();
        if asked_on < start {
            return Err(ClockError::PauseBeforeStart { asked_on, start });
        }
        if let Some(previous_received_on) = self.pauses.iter().filter_map(|p| p.received_on).max() {
            if asked_on < previous_received_on {
                return Err(ClockError::PauseOverlapsPrevious {
                    asked_on,
                    previous_received_on,
                });
            }
        }
        let due = self.due_date(calendar);
        if asked_on > due {
            return Err(ClockError::PauseAfterDue { asked_on, due });
        }
        self.pauses.push(Pause {
            asked_on,
            question: question.into(),
            received_on: None,
        });
        Ok(())
    }

    /// Restarts the clock: the clarification was received on `received_on`, which counts again.
    pub fn resume(&mut self, received_on: NaiveDate) -> Result<(), ClockError> {
        let open = self
            .pauses
            .iter_mut()
            .find(|p| p.received_on.is_none())
            .ok_or(ClockError::NotPaused)?;
        if received_on < open.asked_on {
            return Err(ClockError::ResumeBeforePause {
                asked_on: open.asked_on,
                received_on,
            });
        }
        open.received_on = Some(received_on);
        Ok(())
    }

    /// Extends the time to respond by one or two further months. Refused unless the requester was
    /// told, with reasons, within the first month and the extension is recorded within it too
    /// (rights-and-deadlines.md: "refuse an extension entered after the first month has passed").
    /// A later extension made within the first month replaces an earlier one.
    pub fn extend(
        &mut self,
        extension: Extension,
        calendar: &BankHolidays,
    ) -> Result<(), ClockError> {
        if extension.months == 0 || extension.months > MAX_EXTENSION_MONTHS {
            return Err(ClockError::ExtensionMonths {
                months: extension.months,
            });
        }
        if extension.reasons.trim().is_empty() {
            return Err(ClockError::ExtensionWithoutReasons);
        }
        let start = self.start_date();
        let (told_on, recorded_on) = (extension.requester_told_on, extension.recorded_on);
        if told_on < start {
            return Err(ClockError::ExtensionToldBeforeStart { told_on, start });
        }
        if recorded_on < told_on {
            return Err(ClockError::ExtensionRecordedBeforeTold {
                told_on,
                recorded_on,
            });
        }
        let first_month_due = self.first_month_due(recorded_on, calendar);
        if recorded_on > first_month_due {
            return Err(ClockError::ExtensionAfterFirstMonth {
                first_month_due,
                told_on,
                recorded_on,
            });
        }
        self.extension = Some(extension);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> BankHolidays {
        BankHolidays::embedded()
    }

    fn clock(received: NaiveDate) -> Clock {
        Clock::new(received, ClockSettings::default())
    }

    fn extension(months: u8, told: NaiveDate, recorded: NaiveDate) -> Extension {
        Extension {
            months,
            ground: ExtensionGround::Complex,
            reasons: "The record runs to several volumes held by three providers.".into(),
            requester_told_on: told,
            recorded_on: recorded,
        }
    }

    // --- Worked examples of rights-and-deadlines.md ("Notes for the clock's tests") ---

    #[test]
    fn received_3_september_due_3_october() {
        // 3 October 2025 is a Friday, a working day.
        assert_eq!(clock(d(2025, 9, 3)).due_date(&cal()), d(2025, 10, 3));
    }

    #[test]
    fn received_31_august_due_30_september() {
        // 30 September 2025 is a Tuesday.
        assert_eq!(clock(d(2025, 8, 31)).due_date(&cal()), d(2025, 9, 30));
    }

    #[test]
    fn received_25_november_2024_due_27_december_2024() {
        // Corresponding date Wednesday 25 December (Christmas Day), 26 December Boxing Day.
        let c = clock(d(2024, 11, 25));
        assert_eq!(c.due_date(&cal()), d(2024, 12, 27));
    }

    #[test]
    fn weekend_due_date_moves_to_monday() {
        // Received Tuesday 3 September 2024 -> Thursday 3 October; received Saturday
        // 5 October 2024 (day one although not a working day) -> Tuesday 5 November.
        assert_eq!(clock(d(2024, 9, 3)).due_date(&cal()), d(2024, 10, 3));
        assert_eq!(clock(d(2024, 10, 5)).due_date(&cal()), d(2024, 11, 5));
        // Received 4 October 2025 -> Tuesday 4 November; 8 November 2025 is a Saturday:
        // received 8 October 2025 -> Monday 10 November.
        assert_eq!(clock(d(2025, 10, 8)).due_date(&cal()), d(2025, 11, 10));
    }

    #[test]
    fn end_of_month_with_no_corresponding_date_then_weekend() {
        // Received 31 October 2026 -> 30 November 2026 (a Monday).
        assert_eq!(clock(d(2026, 10, 31)).due_date(&cal()), d(2026, 11, 30));
        // Received 31 May 2025 -> 30 June 2025 (a Monday).
        assert_eq!(clock(d(2025, 5, 31)).due_date(&cal()), d(2025, 6, 30));
        // Received 31 March 2024 -> 30 April 2024 (a Tuesday).
        assert_eq!(clock(d(2024, 3, 31)).due_date(&cal()), d(2024, 4, 30));
        // Received 31 July 2027 -> 31 August 2027; received 30 June 2024 -> 30 July 2024.
        assert_eq!(clock(d(2024, 6, 30)).due_date(&cal()), d(2024, 7, 30));
    }

    #[test]
    fn leap_years() {
        // Received 31 January 2024 -> 29 February 2024 (leap year, a Thursday).
        assert_eq!(clock(d(2024, 1, 31)).due_date(&cal()), d(2024, 2, 29));
        // Received 29 January 2025 -> no 29 February -> 28 February 2025 (a Friday).
        assert_eq!(clock(d(2025, 1, 29)).due_date(&cal()), d(2025, 2, 28));
        // Received 30 January 2028 -> 29 February 2028 (leap year, a Tuesday).
        assert_eq!(clock(d(2028, 1, 30)).due_date(&cal()), d(2028, 2, 29));
        // Received 29 February 2024 -> 29 March 2024, Good Friday -> 1 April Easter Monday ->
        // Tuesday 2 April 2024.
        assert_eq!(clock(d(2024, 2, 29)).due_date(&cal()), d(2024, 4, 2));
        // Received 29 February 2028 -> Wednesday 29 March 2028.
        assert_eq!(clock(d(2028, 2, 29)).due_date(&cal()), d(2028, 3, 29));
    }

    // --- When the clock starts ---

    #[test]
    fn starts_on_the_latest_of_the_four_events() {
        let mut c = clock(d(2025, 9, 3));
        assert_eq!(c.start_event(), StartEvent::RequestReceived);
        c.set_identity_verified_on(Some(d(2025, 9, 10)));
        c.set_fee_received_on(Some(d(2025, 9, 8)));
        assert_eq!(c.start_date(), d(2025, 9, 10));
        assert_eq!(c.start_event(), StartEvent::IdentityVerified);
        c.set_proxy_authority_received_on(Some(d(2025, 9, 15)));
        assert_eq!(c.start_date(), d(2025, 9, 15));
        assert_eq!(c.start_event(), StartEvent::ProxyAuthorityReceived);
        // Wednesday 15 October 2025.
        assert_eq!(c.due_date(&cal()), d(2025, 10, 15));
        c.set_fee_received_on(Some(d(2025, 9, 20)));
        assert_eq!(c.start_event(), StartEvent::FeeReceived);
        // 20 October 2025 is a Monday.
        assert_eq!(c.due_date(&cal()), d(2025, 10, 20));
        // Identity already on file before the request arrived does not move the start earlier.
        let mut early = clock(d(2025, 9, 3));
        early.set_identity_verified_on(Some(d(2025, 8, 1)));
        assert_eq!(early.start_date(), d(2025, 9, 3));
        assert_eq!(early.start_event(), StartEvent::RequestReceived);
    }

    #[test]
    fn start_day_counts_as_day_one_even_on_a_sunday() {
        // Received Sunday 6 September 2026: day one is the Sunday; due Tuesday 6 October.
        let c = clock(d(2026, 9, 6));
        assert_eq!(c.elapsed_days(d(2026, 9, 6)), 1);
        assert_eq!(c.due_date(&cal()), d(2026, 10, 6));
    }

    // --- Pause and resume (Data (Use and Access) Act 2025) ---

    #[test]
    fn pause_moves_due_date_by_paused_days() {
        // Received Monday 2 March 2026 -> due Thursday 2 April 2026.
        let mut c = clock(d(2026, 3, 2));
        assert_eq!(c.due_date(&cal()), d(2026, 4, 2));
        c.pause(d(2026, 3, 10), "Which years of the record?", &cal())
            .unwrap();
        assert_eq!(c.status(d(2026, 3, 12), &cal()), ClockStatus::Paused);
        // While paused, the days remaining are frozen (2 April is 23 days from 10 March), even
        // where the moving due date crosses Easter.
        assert_eq!(c.days_remaining(d(2026, 3, 10), &cal()), 23);
        assert_eq!(c.days_remaining(d(2026, 3, 11), &cal()), 23);
        assert_eq!(c.days_remaining(d(2026, 3, 14), &cal()), 23);
        assert_eq!(c.due_date_as_of(d(2026, 3, 11), &cal()), d(2026, 4, 7));
        // Elapsed days kept: 2..=9 March = 8 days, frozen while paused.
        assert_eq!(c.elapsed_days(d(2026, 3, 9)), 8);
        assert_eq!(c.elapsed_days(d(2026, 3, 12)), 8);
        c.resume(d(2026, 3, 15)).unwrap();
        // 10..=14 March paused: 5 days. 2 April + 5 = 7 April 2026 (a Tuesday; Easter Monday was
        // 6 April, Good Friday 3 April, not in the way).
        assert_eq!(c.paused_days(None), 5);
        assert_eq!(c.due_date(&cal()), d(2026, 4, 7));
        assert_eq!(c.elapsed_days(d(2026, 3, 15)), 9);
        assert_eq!(c.status(d(2026, 3, 15), &cal()), ClockStatus::OnTrack);
    }

    #[test]
    fn pause_then_working_day_rule_applies_again() {
        // Received 2 March 2026 -> 2 April; paused 10 March, received 11 March (1 day) ->
        // 3 April 2026 is Good Friday, 4-5 weekend, 6 Easter Monday -> Tuesday 7 April.
        let mut c = clock(d(2026, 3, 2));
        c.pause(d(2026, 3, 10), "Date range?", &cal()).unwrap();
        c.resume(d(2026, 3, 11)).unwrap();
        assert_eq!(c.due_date(&cal()), d(2026, 4, 7));
        // Clarification received the same day it was asked: no day paused.
        let mut same = clock(d(2026, 3, 2));
        same.pause(d(2026, 3, 10), "Date range?", &cal()).unwrap();
        same.resume(d(2026, 3, 10)).unwrap();
        assert_eq!(same.due_date(&cal()), d(2026, 4, 2));
    }

    #[test]
    fn two_pauses_add_up() {
        let mut c = clock(d(2026, 3, 2));
        c.pause(d(2026, 3, 3), "Which episode?", &cal()).unwrap();
        c.resume(d(2026, 3, 5)).unwrap();
        assert!(matches!(
            c.pause(d(2026, 3, 4), "Overlap", &cal()),
            Err(ClockError::PauseOverlapsPrevious { .. })
        ));
        c.pause(d(2026, 3, 20), "Which hospital letters?", &cal())
            .unwrap();
        assert!(matches!(
            c.pause(d(2026, 3, 21), "Again", &cal()),
            Err(ClockError::AlreadyPaused { .. })
        ));
        c.resume(d(2026, 3, 23)).unwrap();
        assert_eq!(c.paused_days(None), 5);
        // 2 April + 5 = 7 April 2026.
        assert_eq!(c.due_date(&cal()), d(2026, 4, 7));
    }

    #[test]
    fn start_recorded_after_a_pause_does_not_count_days_twice() {
        // Received 2 March 2026; clarification asked 4 March, received 9 March (5 days), but the
        // fee arrived on 6 March: the clock starts on 6 March, and only 6-8 March are paused.
        let mut c = clock(d(2026, 3, 2));
        c.pause(d(2026, 3, 4), "Which years?", &cal()).unwrap();
        c.resume(d(2026, 3, 9)).unwrap();
        c.set_fee_received_on(Some(d(2026, 3, 6)));
        assert_eq!(c.paused_days(None), 3);
        // 6 April 2026 is Easter Monday; 6 April + 3 = Thursday 9 April 2026.
        assert_eq!(c.due_date(&cal()), d(2026, 4, 9));
        assert_eq!(c.elapsed_days(d(2026, 3, 9)), 1);
    }

    #[test]
    fn pause_refusals() {
        let mut before_act = clock(d(2026, 1, 10));
        assert_eq!(
            before_act.pause(d(2026, 2, 4), "?", &cal()),
            Err(ClockError::PauseBeforeStopTheClockInForce {
                asked_on: d(2026, 2, 4)
            })
        );
        // From 5 February 2026 a running request may be paused.
        before_act.pause(d(2026, 2, 5), "?", &cal()).unwrap();

        let mut c = clock(d(2026, 3, 2));
        assert!(matches!(
            c.pause(d(2026, 3, 1), "?", &cal()),
            Err(ClockError::PauseBeforeStart { .. })
        ));
        assert!(matches!(
            c.pause(d(2026, 4, 3), "?", &cal()),
            Err(ClockError::PauseAfterDue { .. })
        ));
        assert_eq!(c.resume(d(2026, 3, 5)), Err(ClockError::NotPaused));
        c.pause(d(2026, 3, 10), "?", &cal()).unwrap();
        assert!(matches!(
            c.resume(d(2026, 3, 9)),
            Err(ClockError::ResumeBeforePause { .. })
        ));
    }

    // --- Extension ---

    #[test]
    fn extension_within_first_month_accepted() {
        // Received 3 September 2026 -> due Monday 5 October (3 October is a Saturday).
        let mut c = clock(d(2026, 9, 3));
        assert_eq!(c.due_date(&cal()), d(2026, 10, 5));
        c.extend(extension(2, d(2026, 9, 20), d(2026, 9, 21)), &cal())
            .unwrap();
        // 3 September + 3 months = Thursday 3 December 2026.
        assert_eq!(c.due_date(&cal()), d(2026, 12, 3));
        // One month only: 3 November 2026, a Tuesday.
        let mut one = clock(d(2026, 9, 3));
        one.extend(extension(1, d(2026, 10, 5), d(2026, 10, 5)), &cal())
            .unwrap();
        assert_eq!(one.due_date(&cal()), d(2026, 11, 3));
    }

    #[test]
    fn extension_counts_months_from_the_start() {
        // Received Sunday 31 January 2027 -> 28 February 2027 (a Sunday) -> Monday 1 March.
        let mut c = clock(d(2027, 1, 31));
        assert_eq!(c.due_date(&cal()), d(2027, 3, 1));
        assert_eq!(c.first_month_due(d(2027, 2, 15), &cal()), d(2027, 3, 1));
        c.extend(extension(2, d(2027, 2, 15), d(2027, 2, 15)), &cal())
            .unwrap();
        // Three months from 31 January: 30 April 2027 (a Friday), not 28 April.
        assert_eq!(c.due_date(&cal()), d(2027, 4, 30));
    }

    #[test]
    fn extension_after_first_month_refused() {
        let mut c = clock(d(2026, 9, 3));
        // The first month ended on Monday 5 October 2026.
        let err = c
            .extend(extension(2, d(2026, 10, 6), d(2026, 10, 6)), &cal())
            .unwrap_err();
        assert_eq!(
            err,
            ClockError::ExtensionAfterFirstMonth {
                first_month_due: d(2026, 10, 5),
                told_on: d(2026, 10, 6),
                recorded_on: d(2026, 10, 6),
            }
        );
        // Told in time but entered after the month: refused too.
        assert!(matches!(
            c.extend(extension(1, d(2026, 9, 30), d(2026, 10, 7)), &cal()),
            Err(ClockError::ExtensionAfterFirstMonth { .. })
        ));
        assert_eq!(c.extension(), None);
        assert_eq!(c.due_date(&cal()), d(2026, 10, 5));
    }

    #[test]
    fn extension_validation() {
        let mut c = clock(d(2026, 9, 3));
        let ok = d(2026, 9, 10);
        assert_eq!(
            c.extend(extension(3, ok, ok), &cal()),
            Err(ClockError::ExtensionMonths { months: 3 })
        );
        assert_eq!(
            c.extend(extension(0, ok, ok), &cal()),
            Err(ClockError::ExtensionMonths { months: 0 })
        );
        let mut blank = extension(1, ok, ok);
        blank.reasons = "  ".into();
        assert_eq!(
            c.extend(blank, &cal()),
            Err(ClockError::ExtensionWithoutReasons)
        );
        assert!(matches!(
            c.extend(extension(1, d(2026, 9, 1), ok), &cal()),
            Err(ClockError::ExtensionToldBeforeStart { .. })
        ));
        assert!(matches!(
            c.extend(extension(1, ok, d(2026, 9, 9)), &cal()),
            Err(ClockError::ExtensionRecordedBeforeTold { .. })
        ));
    }

    #[test]
    fn pause_lengthens_the_first_month_for_extensions() {
        // Received 2 March 2026, first month to 2 April; paused 10 March to 15 March (5 days):
        // the first month now ends on 7 April, so an extension told on 6 April is in time.
        let mut c = clock(d(2026, 3, 2));
        c.pause(d(2026, 3, 10), "?", &cal()).unwrap();
        c.resume(d(2026, 3, 15)).unwrap();
        c.extend(extension(1, d(2026, 4, 6), d(2026, 4, 7)), &cal())
            .unwrap();
        // 2 May 2026 + 5 paused days = Thursday 7 May 2026.
        assert_eq!(c.due_date(&cal()), d(2026, 5, 7));
    }

    // --- 28-day setting ---

    #[test]
    fn twenty_eight_day_mode() {
        let settings = ClockSettings {
            period: Period::TwentyEightDays,
            ..ClockSettings::default()
        };
        // Received Thursday 3 September 2026 -> Thursday 1 October 2026.
        let c = Clock::new(d(2026, 9, 3), settings);
        assert_eq!(c.due_date(&cal()), d(2026, 10, 1));
        // Received Wednesday 27 November 2024 -> 25 December (Christmas), Boxing Day ->
        // Friday 27 December 2024.
        let xmas = Clock::new(d(2024, 11, 27), settings);
        assert_eq!(xmas.due_date(&cal()), d(2024, 12, 27));
        // Received Saturday 5 October 2024 -> Saturday 2 November -> Monday 4 November.
        let weekend = Clock::new(d(2024, 10, 5), settings);
        assert_eq!(weekend.due_date(&cal()), d(2024, 11, 4));
        // An extension still may be made within the statutory calendar month (to 5 October
        // 2026), and adds calendar months: 1 October + 2 months = Tuesday 1 December 2026.
        let mut ext = Clock::new(d(2026, 9, 3), settings);
        ext.extend(extension(2, d(2026, 10, 2), d(2026, 10, 2)), &cal())
            .unwrap();
        assert_eq!(ext.due_date(&cal()), d(2026, 12, 1));
    }

    // --- Status and warnings ---

    #[test]
    fn status_thresholds() {
        // Received 3 September 2025 -> due Friday 3 October 2025.
        let c = clock(d(2025, 9, 3));
        assert_eq!(c.status(d(2025, 9, 25), &cal()), ClockStatus::OnTrack);
        assert_eq!(c.days_remaining(d(2025, 9, 26), &cal()), 7);
        assert_eq!(c.status(d(2025, 9, 26), &cal()), ClockStatus::DueSoon);
        assert_eq!(c.status(d(2025, 10, 3), &cal()), ClockStatus::DueSoon);
        assert_eq!(c.days_remaining(d(2025, 10, 4), &cal()), -1);
        assert_eq!(c.status(d(2025, 10, 4), &cal()), ClockStatus::Overdue);
        let tight = Clock::new(
            d(2025, 9, 3),
            ClockSettings {
                due_soon_days: 3,
                ..ClockSettings::default()
            },
        );
        assert_eq!(tight.status(d(2025, 9, 26), &cal()), ClockStatus::OnTrack);
        assert_eq!(tight.status(d(2025, 9, 30), &cal()), ClockStatus::DueSoon);
        assert_eq!(
            c.status_with_threshold(d(2025, 9, 20), &cal(), 14),
            ClockStatus::DueSoon
        );
    }

    #[test]
    fn warns_when_due_date_is_beyond_bank_holiday_data() {
        let c = clock(d(2028, 12, 10));
        assert_eq!(c.due_date(&cal()), d(2029, 1, 10));
        let gap = c.calendar_gap(d(2028, 12, 10), &cal()).unwrap();
        assert_eq!(gap.year, 2029);
        assert_eq!(gap.to_string(), "bank holidays not loaded for 2029");
        assert_eq!(
            clock(d(2028, 11, 1)).calendar_gap(d(2028, 11, 1), &cal()),
            None
        );
    }

    #[test]
    fn serde_round_trip_snake_case() {
        let mut c = clock(d(2026, 3, 2));
        c.pause(d(2026, 3, 10), "?", &cal()).unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"calendar_month\""), "{json}");
        let back: Clock = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert_eq!(
            serde_json::to_string(&ClockStatus::DueSoon).unwrap(),
            "\"due_soon\""
        );
        // Settings may be left out of stored clocks: the defaults apply.
        let minimal: Clock = serde_json::from_str(
            r#"{"received_on":"2025-09-03","identity_verified_on":null,
                "proxy_authority_received_on":null,"fee_received_on":null}"#,
        )
        .unwrap();
        assert_eq!(minimal.settings(), ClockSettings::default());
    }

    // --- Properties ---

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2024-01-01 .. end of 2028, the years the shipped data covers.
        (0u64..(365 * 5)).prop_map(|n| d(2024, 1, 1) + chrono::Days::new(n))
    }

    fn any_settings() -> impl Strategy<Value = ClockSettings> {
        prop_oneof![Just(Period::CalendarMonth), Just(Period::TwentyEightDays)].prop_map(|period| {
            ClockSettings {
                period,
                ..ClockSettings::default()
            }
        })
    }

    proptest! {
        #[test]
        fn due_date_is_a_working_day_not_before_the_start(
            received in any_date(),
            delays in proptest::collection::vec(proptest::option::of(0u64..40), 3),
            settings in any_settings(),
        ) {
            let cal = cal();
            let mut c = Clock::new(received, settings);
            let later = |n: Option<u64>| n.map(|n| received + chrono::Days::new(n));
            c.set_identity_verified_on(later(delays[0]));
            c.set_proxy_authority_received_on(later(delays[1]));
            c.set_fee_received_on(later(delays[2]));
            let due = c.due_date(&cal);
            prop_assert!(cal.is_working_day(due));
            prop_assert!(due >= c.start_date());
            prop_assert!(c.start_date() >= received);
            // Never later than the statutory month moved to the next working day.
            let statutory = cal.next_working_day_from(
                c.start_date().checked_add_months(Months::new(1)).unwrap());
            prop_assert!(due <= statutory);
        }

        #[test]
        fn pausing_never_makes_the_due_date_earlier(
            received in any_date().prop_filter("stop-the-clock in force", |d| *d >= STOP_THE_CLOCK_IN_FORCE),
            settings in any_settings(),
            ask_after in 0u64..31,
            paused_for in 0u64..60,
            extend in proptest::bool::ANY,
        ) {
            let cal = cal();
            let mut c = Clock::new(received, settings);
            if extend {
                c.extend(extension(2, received, received), &cal).unwrap();
            }
            let before = c.due_date(&cal);
            let asked = received + chrono::Days::new(ask_after);
            prop_assume!(asked <= before);
            c.pause(asked, "?", &cal).unwrap();
            // Open pause: the due date as of any later day is never earlier either.
            let today = asked + chrono::Days::new(paused_for);
            let while_paused = c.due_date_as_of(today, &cal);
            prop_assert!(while_paused >= before);
            c.resume(today).unwrap();
            let after = c.due_date(&cal);
            prop_assert!(after >= before);
            prop_assert_eq!(after, while_paused);
            prop_assert!(cal.is_working_day(after));
            prop_assert!(after >= c.start_date());
        }
    }
}
