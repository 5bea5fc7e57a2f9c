//! The rule engine: shared/reference/access-audit-rules.md, section "Rules", implemented exactly.
//!
//! Design (bounded memory, the events decoded once; see `compact`):
//! * The reference tables are in memory (`data::Reference`).
//! * The events file is decoded by one thread per core, unit by unit (CSV blocks, Parquet row
//!   groups); each thread looks up the user and patient, reads ts and judges every rule but
//!   VOLUME (`Ctx::mask`), producing compact chunks handed over in file order.
//! * VOLUME (when enabled) keeps one `u64` per distinct (day, user, patient) triple (in memory
//!   up to a budget, then spread by day over spill files): from it the distinct-patient count
//!   per user-day, the per-role percentile threshold, and the user-days above it. The chunks are
//!   kept meanwhile (in memory up to a budget, then in an unlinked spill file).
//! * The flags: each chunk's events, in order, their mask completed with VOLUME, are emitted
//!   with their evidence to a sink (the CLI writes them straight to flags.csv). Only case
//!   aggregates (per user-patient and per user-day) and counters are kept.
//!
//! Events for an unknown user or patient, with an unparseable timestamp or the wrong number of
//! fields are not evaluated: each is reported as an `Issue` (file, line, reason) and counted in
//! `Stats::rejected`. They cannot be judged against the contract (no role, team, home or
//! organisation), and a reviewer must see them as data problems rather than as a rule hit.

use crate::compact::{Chunk, IdCursor, Store};
use crate::config::{Rule, Rules};
use crate::data::{Dataset, EpHot, Issues, Reference, User};
use crate::time::{day_of, fmt_date, fmt_ts, time_of_day, Ts, DAY};
use anyhow::{bail, Result};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One rule hit on one event, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub event_id: String,
    pub rule: Rule,
    pub user_id: String,
    pub patient_id: String,
    pub ts: Ts,
    pub evidence: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaseKind {
    /// Flags of one user on one patient (every rule but VOLUME).
    UserPatient,
    /// VOLUME flags of one user on one day.
    UserDay,
}

/// Flags grouped for review, ranked by severity (rank 1 = review first).
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub rank: u32,
    pub kind: CaseKind,
    pub user_id: String,
    pub user_name: String,
    /// For `UserPatient`.
    pub patient_id: Option<String>,
    /// For `UserDay` (YYYY-MM-DD).
    pub day: Option<String>,
    /// Highest severity of the rules in the case (rules file).
    pub severity: u32,
    /// Sum of the severities of the distinct rules (tie-break).
    pub score: u32,
    pub rules: Vec<Rule>,
    /// Flagged events in the case.
    pub events: u64,
    pub first_ts: Ts,
    pub last_ts: Ts,
    /// Up to `CASE_EVENT_IDS` event ids (the smallest, sorted).
    pub event_ids: Vec<String>,
}

pub const CASE_EVENT_IDS: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct VolumeThreshold {
    pub role: String,
    pub user_days: u64,
    pub threshold: f64,
    pub flagged_user_days: u64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Events evaluated.
    pub events: u64,
    /// Event rows not evaluated (see the issues).
    pub rejected: u64,
    /// Events explained by a care relationship of the user's team.
    pub explained: u64,
    /// explained / events.
    pub explained_share: f64,
    /// Flags per rule (contract name -> count).
    pub per_rule: BTreeMap<String, u64>,
    pub volume_thresholds: Vec<VolumeThreshold>,
}

#[derive(Debug)]
pub struct AuditResult {
    pub flags: Vec<Flag>,
    pub cases: Vec<Case>,
    pub stats: Stats,
    /// Rows skipped or kept with a caveat: reference tables and events.
    pub issues: Issues,
}

/// Progress of a run, for a progress bar: `events` rows read in pass `pass` of `passes`;
/// `total` is known in pass 2.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub pass: u8,
    pub passes: u8,
    pub events: u64,
    pub total: Option<u64>,
}

/// A power of two (tested with a mask).
const PROGRESS_EVERY: u64 = 1 << 16;

/// Runs every rule and collects the flags in memory (ordered as the events file; see
/// `run_streaming` for the bounded-memory form).
pub fn run(ds: &Dataset, rules: &Rules, progress: &mut dyn FnMut(Progress)) -> Result<AuditResult> {
    let mut flags = Vec::new();
    let (cases, stats, issues) = run_streaming(ds, rules, progress, &mut |f: &Flag| {
        flags.push(f.clone());
        Ok(())
    })?;
    Ok(AuditResult {
        flags,
        cases,
        stats,
        issues,
    })
}

// ---------------------------------------------------------------------------------------------
// VOLUME, pass 1

const USER_BITS: u32 = 20;
const DAY_BITS: u32 = 16;
const PATIENT_BITS: u32 = 28;

#[inline]
fn ud_key(user: u32, day: i64) -> u64 {
    ((day as u64) << USER_BITS) | user as u64
}

/// Contract VOLUME: "above the 99th percentile (linear interpolation)": position (n-1)·p in the
/// sorted counts, interpolated between its neighbours (as numpy's default and SQL
/// `quantile_cont`/`percentile_cont`).
pub fn percentile_linear(sorted: &[u32], p: f64) -> f64 {
    assert!(!sorted.is_empty());
    let h = (sorted.len() - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    let (a, b) = (sorted[lo] as f64, sorted[hi.min(sorted.len() - 1)] as f64);
    a + (h - lo as f64) * (b - a)
}

struct Volume {
    /// flagged user-day -> (distinct patients, role threshold)
    flagged: FxHashMap<u64, (u32, f64)>,
    /// Per user: has a flagged day.
    users: Vec<bool>,
    /// Bit per (day - first_day) * users + user: a flagged user-day (when the span is small
    /// enough, else empty and `flagged` is asked).
    bits: Vec<u64>,
    first_day: i64,
    days: i64,
    thresholds: Vec<VolumeThreshold>,
}

impl Volume {
    /// The flagged user-day of an event, if any.
    #[inline]
    fn get(&self, ui: u32, day: i64) -> Option<(u32, f64)> {
        if !self.bits.is_empty() {
            let d = day - self.first_day;
            if d < 0 || d >= self.days {
                return None;
            }
            let bit = d as usize * self.users.len() + ui as usize;
            if self.bits[bit / 64] & (1 << (bit % 64)) == 0 {
                return None;
            }
        } else if !self.users[ui as usize] {
            return None;
        }
        self.flagged.get(&ud_key(ui, day)).copied()
    }
}

/// Sorts and dedups the VOLUME keys. The keys are day first and come as sorted runs (one per
/// chunk); the stable sort merges runs, so a file in time order (as audit logs are) costs about
/// one pass.
fn compact(keys: &mut Vec<u64>) {
    keys.sort();
    keys.dedup();
}

/// The VOLUME thresholds and flagged user-days from the distinct (user, day, patient) keys
/// (sorted).
fn volume_from_keys(rf: &Reference, rules: &Rules, keys: VolumeKeys) -> Result<Volume> {
    // distinct patients per user-day (a user-day's keys are all in one part)
    let mut per_role: Vec<Vec<u32>> = vec![Vec::new(); rf.roles.len()];
    let mut counts: Vec<(u64, u32)> = Vec::new();
    keys.finish(&mut |keys: &[u64]| {
        let mut i = 0;
        while i < keys.len() {
            let ud = keys[i] >> PATIENT_BITS;
            let mut j = i;
            while j < keys.len() && keys[j] >> PATIENT_BITS == ud {
                j += 1;
            }
            let n = (j - i) as u32;
            let user = (ud & ((1 << USER_BITS) - 1)) as usize;
            per_role[rf.users[user].role as usize].push(n);
            counts.push((ud, n));
            i = j;
        }
    })?;
    let mut thr: Vec<Option<f64>> = vec![None; rf.roles.len()];
    let mut thresholds = Vec::new();
    for (role, c) in per_role.iter_mut().enumerate() {
        if c.is_empty() {
            continue;
        }
        c.sort_unstable();
        let t = percentile_linear(c, rules.volume_percentile);
        thr[role] = Some(t);
        thresholds.push(VolumeThreshold {
            role: rf.roles[role].clone(),
            user_days: c.len() as u64,
            threshold: t,
            flagged_user_days: c.iter().filter(|&&n| n as f64 > t).count() as u64,
        });
    }
    let mut flagged = FxHashMap::default();
    let mut users = vec![false; rf.users.len()];
    for (ud, n) in counts {
        let user = (ud & ((1 << USER_BITS) - 1)) as usize;
        let t = thr[rf.users[user].role as usize].expect("role has counts");
        if n as f64 > t {
            flagged.insert(ud, (n, t));
            users[user] = true;
        }
    }
    let first_day = flagged
        .keys()
        .map(|&ud| (ud >> USER_BITS) as i64)
        .min()
        .unwrap_or(0);
    let last_day = flagged
        .keys()
        .map(|&ud| (ud >> USER_BITS) as i64)
        .max()
        .unwrap_or(-1);
    let days = last_day - first_day + 1;
    let nbits = days as usize * users.len();
    let mut bits = Vec::new();
    if !flagged.is_empty() && nbits <= 1 << 30 {
        bits = vec![0u64; nbits.div_ceil(64)];
        for &ud in flagged.keys() {
            let (d, u) = (
                (ud >> USER_BITS) as i64,
                (ud & ((1 << USER_BITS) - 1)) as usize,
            );
            let bit = (d - first_day) as usize * users.len() + u;
            bits[bit / 64] |= 1 << (bit % 64);
        }
    }
    Ok(Volume {
        flagged,
        users,
        bits,
        first_day,
        days,
        thresholds,
    })
}

/// Parts the VOLUME keys are spread over (by day) once they outgrow their memory.
const KEY_PARTS: u64 = 32;

/// The VOLUME keys: in memory up to a budget; beyond it, spread by day over `KEY_PARTS`
/// unlinked spill files, each then sorted on its own (memory: one part).
struct VolumeKeys {
    mem: Vec<u64>,
    compacted: usize,
    budget: usize,
    parts: Vec<(std::io::BufWriter<std::fs::File>, std::fs::File)>,
}

impl VolumeKeys {
    fn new(budget_bytes: usize, hint: usize) -> VolumeKeys {
        let budget = (budget_bytes / 8).max(1);
        VolumeKeys {
            mem: Vec::with_capacity(hint.min(budget + (1 << 20))),
            compacted: 0,
            budget,
            parts: Vec::new(),
        }
    }

    /// Adds the keys of a chunk.
    fn add(&mut self, keys: &[u64]) -> Result<()> {
        if self.parts.is_empty() {
            self.mem.extend_from_slice(keys);
            if self.mem.len() >= (2 * self.compacted).max(1 << 20).min(self.budget) {
                compact(&mut self.mem);
                self.compacted = self.mem.len();
            }
            if self.mem.len() < self.budget {
                return Ok(());
            }
            for _ in 0..KEY_PARTS {
                let path = crate::compact::spill_path();
                let w = std::fs::File::create(&path)?;
                let r = std::fs::File::open(&path)?;
                let _ = std::fs::remove_file(&path);
                self.parts
                    .push((std::io::BufWriter::with_capacity(1 << 16, w), r));
            }
            let mem = std::mem::take(&mut self.mem);
            return self.write(&mem);
        }
        self.write(keys)
    }

    fn write(&mut self, keys: &[u64]) -> Result<()> {
        use std::io::Write;
        for &k in keys {
            let part = (k >> (USER_BITS + PATIENT_BITS)) % KEY_PARTS;
            self.parts[part as usize].0.write_all(&k.to_le_bytes())?;
        }
        Ok(())
    }

    /// Hands the keys, sorted and distinct, part by part (each part whole days).
    fn finish(mut self, f: &mut dyn FnMut(&[u64])) -> Result<()> {
        use std::io::{Read, Seek, SeekFrom, Write};
        if self.parts.is_empty() {
            compact(&mut self.mem);
            f(&self.mem);
            return Ok(());
        }
        let mut keys: Vec<u64> = Vec::new();
        let mut bytes: Vec<u8> = Vec::new();
        for (mut w, mut r) in self.parts {
            w.flush()?;
            drop(w);
            r.seek(SeekFrom::Start(0))?;
            bytes.clear();
            r.read_to_end(&mut bytes)?;
            keys.clear();
            keys.extend(
                bytes
                    .chunks_exact(8)
                    .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
            );
            compact(&mut keys);
            f(&keys);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: every rule

struct Ctx<'a> {
    rf: &'a Reference,
    rules: &'a Rules,
    /// Per episode type (`rf.episode_kinds`): may it suppress AFTER_HOURS.
    suppresses: Vec<bool>,
    /// Per episode type (`rf.episode_kinds`): its lower-case form (evidence).
    kinds_lower: Vec<String>,
}

impl Ctx<'_> {
    /// Contract: "Explained": the accessing user's team has a care episode for the patient with
    /// start_ts - 1 day <= ts <= end_ts + 14 days (open episode: no upper bound).
    #[inline]
    fn explained(&self, u: &User, p: u32, ts: Ts) -> bool {
        let Some(team) = u.team else {
            return false;
        };
        let (before, after) = (self.rules.explained_before, self.rules.explained_after);
        self.hot_of(p).iter().any(|e| {
            e.team == team
                && e.start - before <= ts
                && (e.end == Ts::MAX || ts <= e.end.saturating_add(after))
        })
    }

    /// Contract AFTER_HOURS: "no episode of the patient (any team) is active at ts".
    #[inline]
    fn active_episode(&self, p: u32, ts: Ts) -> bool {
        self.hot_of(p)
            .iter()
            .any(|e| self.suppresses[e.kind as usize] && e.start <= ts && ts <= e.end)
    }

    #[inline]
    fn hot_of(&self, p: u32) -> &[EpHot] {
        self.rf.hot_of(p)
    }

    /// Appends the description of the episode at position i (its id, team, type, dates and
    /// where the access falls) to `out`.
    fn describe_episode(&self, out: &mut String, i: usize, ts: Ts) {
        let e = &self.rf.ep_hot[i];
        let _ = write!(
            out,
            "{} (team {}, {}, ",
            self.rf.episode_id(i),
            self.rf.teams[e.team as usize].id,
            self.kinds_lower[e.kind as usize],
        );
        push_ts(out, e.start);
        out.push_str(" to ");
        if e.end == Ts::MAX {
            out.push_str("open");
        } else {
            push_ts(out, e.end);
        }
        out.push_str(", ");
        if ts < e.start {
            let _ = write!(
                out,
                "starts {:.1} days after the access",
                (e.start - ts) as f64 / DAY as f64
            );
        } else if e.end != Ts::MAX && ts > e.end {
            let _ = write!(
                out,
                "ended {:.1} days before the access",
                (ts - e.end) as f64 / DAY as f64
            );
        } else {
            out.push_str("active at the access");
        }
        out.push(')');
    }

    /// The nearest episode of the patient: of the user's team if there is one, else of any team
    /// (written to `out`, which is cleared first).
    fn nearest(&self, out: &mut String, u: &User, p: u32, ts: Ts) {
        out.clear();
        let range = self.rf.episode_range(p);
        let hot = &self.rf.ep_hot[range.clone()];
        let dist = |e: &EpHot| {
            if ts < e.start {
                e.start - ts
            } else if e.end == Ts::MAX {
                0
            } else {
                (ts - e.end).max(0)
            }
        };
        // the first of the nearest, as `min_by_key` gives
        let first_min = |own: bool| {
            let mut best: Option<(Ts, usize)> = None;
            for (j, e) in hot.iter().enumerate() {
                if own && Some(e.team) != u.team {
                    continue;
                }
                let d = dist(e);
                if best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, j));
                }
            }
            best.map(|(_, j)| range.start + j)
        };
        match first_min(true) {
            Some(i) => {
                out.push_str("nearest episode of the user's team: ");
                self.describe_episode(out, i, ts);
            }
            None => match first_min(false) {
                Some(i) => {
                    out.push_str(
                        "no episode of the user's team; nearest episode of another team: ",
                    );
                    self.describe_episode(out, i, ts);
                }
                None => out.push_str("the patient has no care episode"),
            },
        }
    }
}

/// Appends "YYYY-MM-DD HH:MM:SS" (as `fmt_ts`) without allocating.
fn push_ts(out: &mut String, ts: Ts) {
    let (y, m, d) = crate::time::civil_from_days(day_of(ts));
    let s = time_of_day(ts);
    let _ = write!(
        out,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        (s / 60) % 60,
        s % 60
    );
}

#[derive(Default)]
struct CaseAgg {
    rules: u16,
    events: u64,
    first_ts: Ts,
    last_ts: Ts,
    event_ids: Vec<String>,
}

impl CaseAgg {
    /// Adds the aggregate of the same case over other events: the result is the one `add`
    /// would give over all of them (the smallest ids kept whatever the order).
    fn merge(&mut self, o: CaseAgg) {
        if o.events == 0 {
            return;
        }
        if self.events == 0 {
            *self = o;
            return;
        }
        self.rules |= o.rules;
        self.events += o.events;
        self.first_ts = self.first_ts.min(o.first_ts);
        self.last_ts = self.last_ts.max(o.last_ts);
        self.event_ids.extend(o.event_ids);
        if self.event_ids.len() > CASE_EVENT_IDS {
            self.event_ids.sort_unstable();
            self.event_ids.truncate(CASE_EVENT_IDS);
        }
    }

    fn add(&mut self, mask: u16, ts: Ts, event_id: &str) {
        if self.events == 0 {
            self.first_ts = ts;
            self.last_ts = ts;
        }
        self.rules |= mask;
        self.events += 1;
        self.first_ts = self.first_ts.min(ts);
        self.last_ts = self.last_ts.max(ts);
        // keep the CASE_EVENT_IDS smallest ids: independent of the order of the events file
        if self.event_ids.len() < CASE_EVENT_IDS {
            self.event_ids.push(event_id.to_string());
        } else if let Some((i, _)) = self
            .event_ids
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.cmp(b.1))
            .filter(|(_, m)| event_id < m.as_str())
        {
            self.event_ids[i] = event_id.to_string();
        }
    }
}

impl Ctx<'_> {
    /// Every rule but VOLUME on one event: the mask (bit `Rule::index`) and whether the
    /// event is explained.
    #[inline]
    fn mask(&self, ui: u32, pi: u32, ts: Ts) -> (u16, bool) {
        let (rf, rules) = (self.rf, self.rules);
        let u = &rf.users[ui as usize];
        let day = day_of(ts);
        let explained = self.explained(u, pi, ts);
        let is_self = u.patient == Some(pi);
        let mut mask: u16 = 0;
        let mut set = |r: Rule, cond: bool| {
            if cond && rules.on(r) {
                mask |= 1 << r.index();
            }
        };
        // SELF: the user's own patient record (regardless of episodes).
        set(Rule::SelfAccess, is_self);
        // LEAVER: the day is after the leaving date (regardless of episodes; not the day itself).
        set(Rule::Leaver, u.leave_day.is_some_and(|d| day > d));
        // AFTER_HOURS: before 07:00 or from 20:00, and no episode of the patient (any team)
        // active at ts.
        let tod = time_of_day(ts);
        set(
            Rule::AfterHours,
            (tod < rules.day_starts || tod >= rules.day_ends)
                && rules.on(Rule::AfterHours)
                && !self.active_episode(pi, ts),
        );
        if explained {
            return (mask, true);
        }
        let p = &rf.patients[pi as usize];
        let unexpl_other = !is_self;
        // FAMILY: unexplained, not self, same normalised address and postcode as the user's
        // home, and same surname.
        set(
            Rule::Family,
            unexpl_other
                && !u.home_addr_norm.is_empty()
                && !u.home_postcode_norm.is_empty()
                && u.home_addr_norm == p.addr_norm
                && u.home_postcode_norm == p.postcode_norm
                && !u.family_norm.is_empty()
                && u.family_norm == p.family_norm,
        );
        // NEIGHBOUR: unexplained, not self, same street and postcode as the user's home,
        // different address, house numbers at most 4 apart.
        set(
            Rule::Neighbour,
            unexpl_other
                && !u.street.is_empty()
                && !u.home_postcode_norm.is_empty()
                && u.street == p.street
                && u.home_postcode_norm == p.postcode_norm
                && u.home_addr_norm != p.addr_norm
                && matches!((u.house_no, p.house_no), (Some(a), Some(b)) if a.abs_diff(b) <= rules.max_house_number_gap),
        );
        // COWORKER: unexplained, the patient is another user of the same organisation.
        set(Rule::Coworker, self.coworker(ui, pi).is_some());
        // VIP: unexplained, the patient is flagged VIP.
        set(Rule::Vip, p.vip);
        // DECEASED: unexplained, the day is after the date of death (not the day itself).
        set(Rule::Deceased, p.deceased_day.is_some_and(|d| day > d));
        // UNEXPLAINED: not explained.
        set(Rule::Unexplained, true);
        (mask, false)
    }

    /// COWORKER (of an unexplained event): another user of the user's organisation who is the
    /// patient.
    fn coworker(&self, ui: u32, pi: u32) -> Option<u32> {
        if !self.rules.on(Rule::Coworker) {
            return None;
        }
        let org = &self.rf.users[ui as usize].org;
        self.rf.users_as_patient.get(&pi).and_then(|vs| {
            vs.iter()
                .copied()
                .find(|&v| v != ui && &self.rf.users[v as usize].org == org)
        })
    }
}

struct Judging<'a> {
    ctx: &'a Ctx<'a>,
    volume: bool,
}

/// Asks the processor to fetch the line holding `x` into its caches (a hint; no effect on
/// results).
#[inline(always)]
fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint that never faults (any address is allowed), and SSE is
        // part of every x86_64 processor.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((x as *const T).cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Rows ahead of the judged row whose episode index, then episodes, are fetched: the judging
/// of an event waits on two memory reads at random places (the patient's episode range and
/// its episodes); fetched this far ahead, they overlap instead of queueing.
const AHEAD: usize = 16;

impl crate::compact::Judge for Judging<'_> {
    fn judge_all(&self, c: &mut Chunk) -> Result<()> {
        let ctx = self.ctx;
        let ix = &ctx.rf.ep_index;
        let n = c.len();
        c.mask.clear();
        c.mask.reserve(n);
        for i in 0..n {
            if let Some(&p) = c.patient.get(i + 2 * AHEAD) {
                prefetch(&ix[p as usize]);
            }
            if let Some(&p) = c.patient.get(i + AHEAD) {
                let a = ix[p as usize] as usize;
                if let Some(h) = ctx.rf.ep_hot.get(a) {
                    prefetch(h);
                    if let Some(h2) = ctx.rf.ep_hot.get(a + 2) {
                        prefetch(h2);
                    }
                }
            }
            let (u, p, ts) = (c.user[i], c.patient[i], c.ts[i]);
            let (mask, explained) = ctx.mask(u, p, ts);
            c.mask.push(mask);
            c.explained += explained as u64;
            if self.volume {
                let day = day_of(ts);
                if !(0..1 << DAY_BITS).contains(&day) {
                    bail!(
                        "timestamp outside 1970..2149 is not supported: {}",
                        fmt_ts(ts)
                    );
                }
                c.vol_keys.push((ud_key(u, day) << PATIENT_BITS) | p as u64);
            }
        }
        Ok(())
    }
}

/// Turns judged events into flags (with evidence) and case aggregates, in file order.
struct Emitter<'a> {
    ctx: &'a Ctx<'a>,
    per_rule: [u64; 10],
    cases: FxHashMap<(CaseKind, u32, i64), CaseAgg>,
    flag: Flag,
    /// The nearest-episode text of the current event (a buffer reused).
    near: String,
    rows: u64,
}

impl<'a> Emitter<'a> {
    fn new(ctx: &'a Ctx<'a>) -> Emitter<'a> {
        Emitter {
            ctx,
            per_rule: [0; 10],
            cases: FxHashMap::default(),
            flag: Flag {
                event_id: String::new(),
                rule: Rule::Unexplained,
                user_id: String::new(),
                patient_id: String::new(),
                ts: 0,
                evidence: String::new(),
            },
            near: String::new(),
            rows: 0,
        }
    }

    /// Adds the counts and case aggregates of another emitter (of other chunks of the file).
    fn merge(&mut self, other: Emitter<'a>) {
        for (a, b) in self.per_rule.iter_mut().zip(other.per_rule) {
            *a += b;
        }
        self.rows += other.rows;
        if self.cases.is_empty() {
            self.cases = other.cases;
            return;
        }
        for (k, agg) in other.cases {
            match self.cases.entry(k) {
                std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().merge(agg),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(agg);
                }
            }
        }
    }
    fn chunk(
        &mut self,
        c: &Chunk,
        volume: Option<&Volume>,
        progress: &mut dyn FnMut(Progress),
        pass: (u8, u8, Option<u64>),
        sink: &mut dyn FnMut(&Flag) -> Result<()>,
    ) -> Result<()> {
        let mut ids = IdCursor::new(c);
        let vbit = 1u16 << Rule::Volume.index();
        for i in 0..c.len() {
            let (ui, mut mask) = (c.user[i], c.mask[i]);
            let ts = c.ts[i];
            let vol = volume.and_then(|v| v.get(ui, day_of(ts)));
            if vol.is_some() {
                mask |= vbit;
            }
            if mask == 0 {
                ids.skip();
                continue;
            }
            let event_id = ids.next_id();
            self.emit(ui, c.patient[i], ts, mask, vol, &event_id, sink)?;
        }
        let before = self.rows;
        self.rows += c.rows;
        if before / PROGRESS_EVERY != self.rows / PROGRESS_EVERY {
            progress(Progress {
                pass: pass.0,
                passes: pass.1,
                events: self.rows,
                total: pass.2,
            });
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        ui: u32,
        pi: u32,
        ts: Ts,
        mask: u16,
        vol: Option<(u32, f64)>,
        event_id: &str,
        sink: &mut dyn FnMut(&Flag) -> Result<()>,
    ) -> Result<()> {
        let ctx = self.ctx;
        let (rf, rules) = (ctx.rf, ctx.rules);
        let u = &rf.users[ui as usize];
        let p = &rf.patients[pi as usize];
        let day = day_of(ts);
        let mut nearest = std::mem::take(&mut self.near);
        if mask
            & !(1 << Rule::SelfAccess.index()
                | 1 << Rule::Leaver.index()
                | 1 << Rule::Volume.index())
            != 0
        {
            ctx.nearest(&mut nearest, u, pi, ts);
        } else {
            nearest.clear();
        }
        let flag = &mut self.flag;
        flag.event_id.clear();
        flag.event_id.push_str(event_id);
        flag.user_id.clone_from(&u.id);
        flag.patient_id.clone_from(&p.id);
        flag.ts = ts;
        for rule in Rule::ALL {
            if mask & (1 << rule.index()) == 0 {
                continue;
            }
            self.per_rule[rule.index()] += 1;
            flag.rule = rule;
            let ev = &mut flag.evidence;
            ev.clear();
            match rule {
                Rule::SelfAccess => {
                    let _ = write!(ev, "relationship=self; user {} ({} {}) is registered as patient {} (users.patient_id); episodes are not considered", u.id, u.given, u.family, p.id);
                }
                Rule::Family => {
                    let _ = write!(ev, "relationship=same household; user's home \"{}\" {} = patient's address; surname {} = {}; {}", u.home_addr_norm, u.home_postcode_norm, u.family_norm, p.family_norm, nearest);
                }
                Rule::Neighbour => {
                    let (a, b) = (u.house_no.unwrap_or(0), p.house_no.unwrap_or(0));
                    let _ = write!(ev, "relationship=neighbour; user's home no. {a} and patient's no. {b} on \"{}\" {} ({} apart, max {}); {}", p.street, p.postcode_norm, a.abs_diff(b), rules.max_house_number_gap, nearest);
                }
                Rule::Coworker => {
                    let v = &rf.users[ctx.coworker(ui, pi).expect("coworker") as usize];
                    let _ = write!(ev, "relationship=colleague; patient {} is user {} ({} {}, {}) of organisation {}; {}", p.id, v.id, v.given, v.family, rf.roles[v.role as usize], u.org, nearest);
                }
                Rule::Vip => {
                    let _ = write!(ev, "patient {} is flagged VIP; {}", p.id, nearest);
                }
                Rule::Deceased => {
                    let d = p.deceased_day.expect("deceased");
                    let _ = write!(
                        ev,
                        "patient died {}; access on {} ({} day(s) after); {}",
                        fmt_date(d),
                        fmt_date(day),
                        day - d,
                        nearest
                    );
                }
                Rule::Leaver => {
                    let d = u.leave_day.expect("leaver");
                    let _ = write!(
                        ev,
                        "user {} left {}; access on {} ({} day(s) after the leaving day)",
                        u.id,
                        fmt_date(d),
                        fmt_date(day),
                        day - d
                    );
                }
                Rule::AfterHours => {
                    let s = |x: i64| format!("{:02}:{:02}", x / 3600, (x / 60) % 60);
                    let _ = write!(ev, "access at {}, outside {}-{}; no episode of the patient (any team) active at that time; {}", &fmt_ts(ts)[11..], s(rules.day_starts), s(rules.day_ends), nearest);
                }
                Rule::Unexplained => {
                    let team = u
                        .team
                        .map(|t| rf.teams[t as usize].id.as_str())
                        .unwrap_or("<none>");
                    let _ = write!(ev, "no episode of team {team} for patient {} within [start - {}, end + {}]; {}", p.id, days(rules.explained_before), days(rules.explained_after), nearest);
                }
                Rule::Volume => {
                    let (n, t) = vol.expect("volume");
                    let _ = write!(ev, "{n} distinct patients on {} by user {}; {:.0}th percentile for role {} = {:.2}", fmt_date(day), u.id, rules.volume_percentile * 100.0, rf.roles[u.role as usize], t);
                }
            }
            sink(flag)?;
        }
        let vmask = 1u16 << Rule::Volume.index();
        if mask & !vmask != 0 {
            self.cases
                .entry((CaseKind::UserPatient, ui, pi as i64))
                .or_default()
                .add(mask & !vmask, ts, event_id);
        }
        if mask & vmask != 0 {
            self.cases
                .entry((CaseKind::UserDay, ui, day))
                .or_default()
                .add(vmask, ts, event_id);
        }
        self.near = nearest;
        Ok(())
    }
}

/// Runs every rule, streaming the flags into `sink` in the order of the events file.
/// Returns the ranked cases, the statistics and the issues.
///
/// The events are decoded once (`compact`): every rule but VOLUME is judged while decoding,
/// on every core. With VOLUME on, the judged events are kept compactly (in memory up to
/// `STEWARD_AUDIT_MEMORY_CHUNKS` bytes, 64 MB by default, then in an unlinked spill file) and
/// read back once the per-role percentiles are known.
pub fn run_streaming(
    ds: &Dataset,
    rules: &Rules,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(&Flag) -> Result<()>,
) -> Result<(Vec<Case>, Stats, Issues)> {
    run_streaming_with(ds, rules, &RunOptions::default(), progress, sink)
}

/// How a run holds the decoded events; the results never depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Bytes of judged events kept in memory for the VOLUME look-back; the rest go to an
    /// unlinked spill file (`STEWARD_AUDIT_SPILL_DIR`, else the temporary folder). Default 64 MB
    /// (`STEWARD_AUDIT_MEMORY_CHUNKS`).
    pub memory_chunks: usize,
    /// Bytes of a CSV events file per work unit (cut at line ends). Default 4 MB
    /// (`STEWARD_AUDIT_CSV_BLOCK`).
    pub csv_block: u64,
    /// Bytes of VOLUME keys (8 per distinct user, day and patient) kept in memory; beyond
    /// them the keys are spread by day over spill files and counted part by part. Default
    /// 256 MB (`STEWARD_AUDIT_MEMORY_KEYS`).
    pub memory_keys: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            memory_chunks: crate::compact::memory_budget(),
            csv_block: crate::compact::csv_block(),
            memory_keys: std::env::var("STEWARD_AUDIT_MEMORY_KEYS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(256 << 20),
        }
    }
}

/// As `run_streaming`, with the options of how the events are held.
pub fn run_streaming_with(
    ds: &Dataset,
    rules: &Rules,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(&Flag) -> Result<()>,
) -> Result<(Vec<Case>, Stats, Issues)> {
    run_inner(ds, rules, opts, progress, sink, None)
}

/// As `run_streaming_with`, writing the flags as CSV rows (`report::write_flag`, no header)
/// to `out`, in the order of the events file: the same bytes as writing each flag of
/// `run_streaming` with `report::write_flag`. With VOLUME on, the flags and their evidence are
/// formatted on one thread per core, chunk by chunk, and written in order.
pub fn run_csv(
    ds: &Dataset,
    rules: &Rules,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Progress),
    out: &mut dyn std::io::Write,
) -> Result<(Vec<Case>, Stats, Issues)> {
    if !rules.on(Rule::Volume) {
        // flags are emitted while decoding, in order: one writer
        let mut w = steward_csv::Writer::from_writer(out);
        let r = run_inner(
            ds,
            rules,
            opts,
            progress,
            &mut |f| crate::report::write_flag(&mut w, f),
            None,
        )?;
        w.flush()?;
        return Ok(r);
    }
    run_inner(
        ds,
        rules,
        opts,
        progress,
        &mut |_| bail!("internal: flags go to the CSV writer"),
        Some(out),
    )
}

/// Formats the flags of the kept chunks as CSV on `threads` threads, chunk by chunk, and
/// writes them to `out` in file order; returns the merged counts and case aggregates.
fn emit_parallel<'a>(
    ctx: &'a Ctx<'a>,
    volume: &Volume,
    drain: crate::compact::Drain,
    threads: usize,
    out: &mut dyn std::io::Write,
    progress: &mut dyn FnMut(Progress),
    total: Option<u64>,
) -> Result<Emitter<'a>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Condvar, Mutex};
    let threads = threads.max(1);
    let window = threads * 2 + 1;
    let src = Mutex::new((drain, 0usize));
    let consumed = Mutex::new(0usize);
    let cv = Condvar::new();
    let abort = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<(usize, u64, Vec<u8>)>>();
    std::thread::scope(|s| -> Result<Emitter<'a>> {
        let mut handles = Vec::new();
        for _ in 0..threads {
            let tx = tx.clone();
            let (src, consumed, cv, abort) = (&src, &consumed, &cv, &abort);
            handles.push(s.spawn(move || -> Emitter<'a> {
                let mut em = Emitter::new(ctx);
                let mut spare: Option<Chunk> = None;
                loop {
                    if abort.load(Ordering::SeqCst) {
                        return em;
                    }
                    let (seq, c) = {
                        let mut g = src.lock().unwrap();
                        let seq = g.1;
                        match g.0.next(spare.take()) {
                            Ok(Some(c)) => {
                                g.1 += 1;
                                (seq, c)
                            }
                            Ok(None) => return em,
                            Err(e) => {
                                let _ = tx.send(Err(e));
                                return em;
                            }
                        }
                    };
                    {
                        let mut done = consumed.lock().unwrap();
                        while seq >= *done + window && !abort.load(Ordering::SeqCst) {
                            done = cv.wait(done).unwrap();
                        }
                    }
                    let mut w = steward_csv::Writer::from_writer(Vec::with_capacity(1 << 20));
                    let res = em
                        .chunk(&c, Some(volume), &mut |_| {}, (2, 2, None), &mut |f| {
                            crate::report::write_flag(&mut w, f)
                        })
                        .and_then(|()| w.into_inner().map_err(anyhow::Error::from));
                    let sent = match res {
                        Ok(bytes) => tx.send(Ok((seq, c.rows, bytes))),
                        Err(e) => tx.send(Err(e)),
                    };
                    if sent.is_err() {
                        return em;
                    }
                    spare = Some(c);
                }
            }));
        }
        drop(tx);
        let mut pending: BTreeMap<usize, (u64, Vec<u8>)> = BTreeMap::new();
        let mut next = 0usize;
        let mut rows = 0u64;
        let mut result: Result<()> = Ok(());
        for msg in rx.iter() {
            match msg {
                Ok((seq, r, bytes)) => {
                    pending.insert(seq, (r, bytes));
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
            while let Some((r, bytes)) = pending.remove(&next) {
                next += 1;
                {
                    *consumed.lock().unwrap() = next;
                    cv.notify_all();
                }
                if let Err(e) = out.write_all(&bytes) {
                    result = Err(e.into());
                    break;
                }
                let before = rows;
                rows += r;
                if before / PROGRESS_EVERY != rows / PROGRESS_EVERY {
                    progress(Progress {
                        pass: 2,
                        passes: 2,
                        events: rows,
                        total,
                    });
                }
            }
            if result.is_err() {
                break;
            }
        }
        if result.is_err() {
            abort.store(true, Ordering::SeqCst);
            cv.notify_all();
        }
        // drains the channel so that no worker blocks on a full window
        drop(rx);
        let mut em = Emitter::new(ctx);
        for h in handles {
            let part = h
                .join()
                .map_err(|_| anyhow::anyhow!("internal: a flag writer stopped"))?;
            em.merge(part);
        }
        result?;
        if !pending.is_empty() {
            bail!("internal: flags of a chunk were not written");
        }
        Ok(em)
    })
}

fn run_inner(
    ds: &Dataset,
    rules: &Rules,
    opts: &RunOptions,
    progress: &mut dyn FnMut(Progress),
    sink: &mut dyn FnMut(&Flag) -> Result<()>,
    csv: Option<&mut dyn std::io::Write>,
) -> Result<(Vec<Case>, Stats, Issues)> {
    let budget = opts.memory_chunks;
    let timing = std::env::var_os("STEWARD_AUDIT_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let rf = &ds.reference;
    let mut issues = ds.issues.clone();
    let volume_on = rules.on(Rule::Volume);
    if volume_on && (rf.users.len() >= 1 << USER_BITS || rf.patients.len() >= 1 << PATIENT_BITS) {
        bail!("VOLUME pass supports up to 2^20 users and 2^28 patients");
    }
    let passes = if volume_on { 2 } else { 1 };
    let ctx = Ctx {
        rf,
        rules,
        suppresses: rf
            .episode_kinds
            .iter()
            .map(|k| {
                rules.suppressing_episode_types.is_empty()
                    || rules.suppressing_episode_types.contains(k)
            })
            .collect(),
        kinds_lower: rf.episode_kinds.iter().map(|k| k.to_lowercase()).collect(),
    };
    let judging = Judging {
        ctx: &ctx,
        volume: volume_on,
    };
    let mut em = Emitter::new(&ctx);
    let mut stats = Stats::default();
    let mut store = Store::new(budget);
    // one key per event at most: reserved up front (up to the budget), never copied to grow
    let mut keys = VolumeKeys::new(
        opts.memory_keys,
        if volume_on {
            crate::compact::rows_hint(&ds.events) as usize
        } else {
            0
        },
    );
    let mut rows = 0u64;
    let file = ds.events.file_name();
    crate::compact::decode(rf, &ds.events, &judging, opts.csv_block, &mut |c: Chunk| {
        for (rel, msg) in &c.rejects {
            issues.push(&file, c.line_base + rel, msg.clone());
        }
        stats.rejected += c.rejects.len() as u64;
        stats.events += c.len() as u64;
        stats.explained += c.explained;
        if volume_on {
            if c.len() as u64 + c.rejects.len() as u64 != c.rows {
                bail!("internal: rows of a chunk do not add up");
            }
            let before = rows;
            rows += c.rows;
            if before / PROGRESS_EVERY != rows / PROGRESS_EVERY {
                progress(Progress {
                    pass: 1,
                    passes,
                    events: rows,
                    total: None,
                });
            }
            keys.add(&c.vol_keys)?;
            store.push(c)
        } else {
            em.chunk(&c, None, progress, (1, 1, None), sink)?;
            Ok(Some(c))
        }
    })?;
    let t1 = t0.elapsed();
    if volume_on {
        let volume = volume_from_keys(rf, rules, keys)?;
        if timing {
            eprintln!(
                "timing: decode and judge {:.2} s, VOLUME thresholds {:.2} s (process CPU so far {:.2} s)",
                t1.as_secs_f64(),
                (t0.elapsed() - t1).as_secs_f64(),
                process_cpu_secs()
            );
        }
        let t2 = t0.elapsed();
        let total = Some(rows);
        match csv {
            Some(out) => {
                let threads = crate::table::parquet_threads();
                let part =
                    emit_parallel(&ctx, &volume, store.drain()?, threads, out, progress, total)?;
                em.merge(part);
            }
            None => store
                .for_each(&mut |c| em.chunk(c, Some(&volume), progress, (2, 2, total), sink))?,
        }
        if timing {
            eprintln!(
                "timing: flags {:.2} s (process CPU so far {:.2} s)",
                (t0.elapsed() - t2).as_secs_f64(),
                process_cpu_secs()
            );
        }
        stats.volume_thresholds = volume.thresholds;
    }
    progress(Progress {
        pass: passes,
        passes,
        events: em.rows,
        total: Some(em.rows),
    });
    stats.explained_share = if stats.events == 0 {
        0.0
    } else {
        stats.explained as f64 / stats.events as f64
    };
    for rule in Rule::ALL {
        stats
            .per_rule
            .insert(rule.name().to_string(), em.per_rule[rule.index()]);
    }
    Ok((rank_cases(rf, rules, em.cases), stats, issues))
}

/// User plus system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 ticks a
/// second; 0 elsewhere), for `STEWARD_AUDIT_TIMING`.
pub fn process_cpu_secs() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // the fields after the command name (which is in parentheses and may hold spaces)
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    (tick(11) + tick(12)) / 100.0
}

fn days(secs: i64) -> String {
    if secs % DAY == 0 {
        format!("{} day(s)", secs / DAY)
    } else {
        format!("{:.2} day(s)", secs as f64 / DAY as f64)
    }
}

fn rank_cases(
    rf: &Reference,
    rules: &Rules,
    cases: FxHashMap<(CaseKind, u32, i64), CaseAgg>,
) -> Vec<Case> {
    let mut keys: Vec<(CaseKind, u32, i64)> = Vec::with_capacity(cases.len());
    let out: Vec<Case> = cases
        .into_iter()
        .map(|((kind, ui, k), a)| {
            keys.push((kind, ui, k));
            let rs: Vec<Rule> = Rule::ALL
                .into_iter()
                .filter(|r| a.rules & (1 << r.index()) != 0)
                .collect();
            let u = &rf.users[ui as usize];
            Case {
                rank: 0,
                kind,
                user_id: u.id.clone(),
                user_name: format!("{} {}", u.given, u.family),
                patient_id: (kind == CaseKind::UserPatient)
                    .then(|| rf.patients[k as usize].id.clone()),
                day: (kind == CaseKind::UserDay).then(|| fmt_date(k)),
                severity: rs.iter().map(|r| rules.severity(*r)).max().unwrap_or(0),
                score: rs.iter().map(|r| rules.severity(*r)).sum(),
                rules: rs,
                events: a.events,
                first_ts: a.first_ts,
                last_ts: a.last_ts,
                event_ids: a.event_ids,
            }
        })
        .collect();
    // The order: severity, score and events (descending), then user id, kind, patient id or
    // day. Ids are ranked once (equal ids, equal ranks) so that cases compare as integers; days
    // of VOLUME cases are within 1970..2149, so their numbers sort as their dates.
    let rank_of = |ids: Vec<(&str, u32)>, n: usize| -> Vec<u32> {
        let mut ids = ids;
        ids.sort_unstable();
        let mut rank = vec![0u32; n];
        let mut r = 0u32;
        for i in 0..ids.len() {
            if i > 0 && ids[i].0 != ids[i - 1].0 {
                r += 1;
            }
            rank[ids[i].1 as usize] = r;
        }
        rank
    };
    let user_rank = rank_of(
        rf.users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.as_str(), i as u32))
            .collect(),
        rf.users.len(),
    );
    let mut in_cases = vec![false; rf.patients.len()];
    for c in &keys {
        if c.0 == CaseKind::UserPatient {
            in_cases[c.2 as usize] = true;
        }
    }
    let patient_rank = rank_of(
        in_cases
            .iter()
            .enumerate()
            .filter(|(_, &x)| x)
            .map(|(i, _)| (rf.patients[i].id.as_str(), i as u32))
            .collect(),
        rf.patients.len(),
    );
    // (severity, score, events descending; user rank; kind; patient rank or day; position)
    type Order = (std::cmp::Reverse<(u32, u32, u64)>, u32, CaseKind, i64, u32);
    let mut order: Vec<Order> = out
        .iter()
        .zip(&keys)
        .enumerate()
        .map(|(i, (c, &(kind, ui, k)))| {
            (
                std::cmp::Reverse((c.severity, c.score, c.events)),
                user_rank[ui as usize],
                kind,
                match kind {
                    CaseKind::UserPatient => patient_rank[k as usize] as i64,
                    CaseKind::UserDay => k,
                },
                i as u32,
            )
        })
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<Case>> = out.into_iter().map(Some).collect();
    let mut out: Vec<Case> = order
        .iter()
        .map(|o| slots[o.4 as usize].take().expect("each case once"))
        .collect();
    for (i, c) in out.iter_mut().enumerate() {
        c.rank = i as u32 + 1;
        // order-independent: event ids of a case sorted
        c.event_ids.sort();
    }
    out
}
