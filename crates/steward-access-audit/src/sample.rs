//! The monthly practice sample audit (seed 001): N random accesses per user in a month, for a
//! reviewer to check by hand.
//!
//! Reproducible and independent of the order of the events file: each event gets the priority
//! `splitmix64(seed ^ fnv1a(event_id))` and each user keeps the N events of lowest priority
//! (bottom-k sampling, a uniform sample without replacement), streaming, O(users × N) memory.

use crate::config::Rules;
use crate::data::{Dataset, Issues};
use crate::table::Table;
use crate::time::{day_of, days_from_civil, Ts};
use anyhow::{bail, Context, Result};
use std::collections::BinaryHeap;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SampleRow {
    pub user_id: String,
    pub role: String,
    pub ts: Ts,
    pub event_id: String,
    pub patient_id: String,
    pub patient_name: String,
    pub action: String,
    pub workstation: String,
    /// The episode of the user's team that explains the access (contract's "Explained"), if any.
    pub explained_by: Option<String>,
}

/// Parses "YYYY-MM" into [first day, first day of the next month) as day numbers.
pub fn parse_period(s: &str) -> Result<(i64, i64)> {
    let (y, m) = s
        .trim()
        .split_once('-')
        .with_context(|| format!("period {s:?} is not YYYY-MM"))?;
    let (y, m): (i64, u32) = (
        y.parse().with_context(|| format!("period {s:?}: year"))?,
        m.parse().with_context(|| format!("period {s:?}: month"))?,
    );
    if !(1..=12).contains(&m) || y.to_string().len() != 4 {
        bail!("period {s:?} is not YYYY-MM");
    }
    let start = days_from_civil(y, m, 1);
    let end = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    Ok((start, end))
}

fn fnv1a(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b {
        h ^= c as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Draws `per_user` random accesses per user in `period` ("YYYY-MM"). Rows sorted by user, ts.
pub fn sample(
    ds: &Dataset,
    rules: &Rules,
    period: &str,
    per_user: usize,
    seed: u64,
) -> Result<(Vec<SampleRow>, Issues)> {
    let (d0, d1) = parse_period(period)?;
    let rf = &ds.reference;
    let mut issues = ds.issues.clone();
    let mut heaps: Vec<BinaryHeap<(u64, String, u64)>> = vec![BinaryHeap::new(); rf.users.len()];
    let mut rows: Vec<Option<SampleRow>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let t = Table::Events;
    let (c_id, c_ts, c_user, c_pat, c_act, c_ws) = (
        t.col("event_id"),
        t.col("ts"),
        t.col("user_id"),
        t.col("patient_id"),
        t.col("action"),
        t.col("workstation"),
    );
    let tsp = ds.events.parsers[c_ts].as_ref().expect("ts parser");
    let mut r = ds.events.open()?;
    while r.next_row()? {
        if let Some(m) = r.malformed() {
            issues.push(&r.file, r.line(), m.to_string());
            continue;
        }
        let Some(ts) = tsp.parse(r.get(c_ts)) else {
            issues.push(
                &r.file,
                r.line(),
                format!("ts {:?} does not parse", r.get_str(c_ts)),
            );
            continue;
        };
        let day = day_of(ts);
        if day < d0 || day >= d1 {
            continue;
        }
        let Some(&ui) = rf.user_ix.get(r.get(c_user)) else {
            issues.push(
                &r.file,
                r.line(),
                format!("unknown user_id {:?}: not sampled", r.get_str(c_user)),
            );
            continue;
        };
        if per_user == 0 {
            continue;
        }
        let prio = splitmix64(seed ^ fnv1a(r.get(c_id)));
        let heap = &mut heaps[ui as usize];
        let id = r.get_str(c_id);
        if heap.len() == per_user {
            let top = heap.peek().expect("non-empty");
            if (prio, &id) >= (top.0, &top.1) {
                continue;
            }
            let (_, _, slot) = heap.pop().expect("non-empty");
            rows[slot as usize] = None;
            free.push(slot as usize);
        }
        let u = &rf.users[ui as usize];
        let pi = rf.patient_ix.get(r.get(c_pat)).copied();
        let explained_by = pi.and_then(|pi| {
            let team = u.team?;
            rf.episode_range(pi)
                .find(|&i| {
                    let e = &rf.ep_hot[i];
                    e.team == team
                        && e.start - rules.explained_before <= ts
                        && (e.end == crate::time::Ts::MAX || ts <= e.end + rules.explained_after)
                })
                .map(|i| rf.episode_id(i).to_string())
        });
        let row = SampleRow {
            user_id: u.id.clone(),
            role: rf.roles[u.role as usize].clone(),
            ts,
            event_id: id.clone(),
            patient_id: r.get_str(c_pat),
            patient_name: pi
                .map(|p| {
                    let p = &rf.patients[p as usize];
                    format!("{} {}", p.given, p.family)
                })
                .unwrap_or_else(|| "<unknown patient>".into()),
            action: r.get_str(c_act),
            workstation: r.get_str(c_ws),
            explained_by,
        };
        let slot = match free.pop() {
            Some(s) => {
                rows[s] = Some(row);
                s
            }
            None => {
                rows.push(Some(row));
                rows.len() - 1
            }
        };
        heap.push((prio, id, slot as u64));
    }
    let mut out: Vec<SampleRow> = rows.into_iter().flatten().collect();
    out.sort();
    Ok((out, issues))
}
