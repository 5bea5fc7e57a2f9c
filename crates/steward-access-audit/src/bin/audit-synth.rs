//! audit-synth: seeded, reproducible synthetic data for the access-audit engine (synthetic
//! people only: made-up names, "ZZ" postcodes that no real area uses).
//!
//! `audit-synth --out DIR --events N [--patients P] [--users U] [--seed S]` writes the five
//! canonical tables as CSV plus
//! * `gold.csv` (event_id,rule): every rule each event must carry under the contract, known by
//!   construction of the planted scenarios; VOLUME is by definition a statistic, so its gold is
//!   the contract's formula over the generated counts, checked to equal the planted sprees;
//! * `decoys.csv` (event_id,decoy,not_rule): events built to look like a rule but not meet it.
//!
//! The world: households on streets (shared surnames, lodgers, namesakes), GP-practice teams
//! and an out-of-hours service working nights with emergency episodes, staff who are also
//! patients (neighbours, family, colleagues), VIPs, deaths, leavers, benign unexplained access,
//! snooping sprees, and one decoy kind per rule.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use steward_access_audit::time::{days_from_civil, fmt_date, fmt_ts, DAY};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    fn range(&mut self, a: i64, b: i64) -> i64 {
        a + self.below((b - a + 1) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const GIVEN: &[&str] = &[
    "Olivia", "Amelia", "Isla", "Ava", "Mia", "Grace", "Freya", "Lily", "Ella", "Evie", "Ruby",
    "Sophie", "Poppy", "Chloe", "Zara", "Aisha", "Noah", "Oliver", "George", "Arthur", "Leo",
    "Harry", "Oscar", "Jack", "Charlie", "Jacob", "Thomas", "Henry", "Ali", "Ravi", "Tomasz",
    "Kwame", "Dylan", "Rhys", "Sian", "Niamh", "Morag", "Ewan", "Priya", "Mohammed", "Fatima",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Carter",
    "Cook",
    "Singh",
    "Shaw",
    "Bell",
    "Collins",
    "Morgan",
    "Kelly",
    "Begum",
    "Miller",
    "Cox",
    "Hussain",
    "Marshall",
    "Simpson",
    "Price",
    "Anderson",
    "Adams",
    "Wilkinson",
    "Ali",
    "Ahmed",
    "Foster",
    "Ellis",
    "Murphy",
    "Chapman",
    "Mason",
    "Gray",
    "Richards",
    "Webb",
    "Griffiths",
    "Hunt",
    "Palmer",
    "Campbell",
    "Holmes",
    "Mills",
    "Rogers",
    "Barnes",
    "Knight",
    "Matthews",
    "Barker",
    "Powell",
    "Stevens",
    "Kaur",
    "Fisher",
    "Butler",
    "Dixon",
    "Russell",
    "Harvey",
    "Pearson",
    "Graham",
    "Okafor",
    "Nowak",
    "Kowalski",
    "Mensah",
    "Osei",
    "Nguyen",
    "Chen",
    "Wong",
    "Fernandes",
    "Silva",
];
const STREET_A: &[&str] = &[
    "Acacia",
    "Beech",
    "Cedar",
    "Elm",
    "Hazel",
    "Larch",
    "Maple",
    "Oak",
    "Rowan",
    "Willow",
    "Station",
    "Church",
    "Mill",
    "Park",
    "Victoria",
    "Albert",
    "Queens",
    "Kings",
    "Bridge",
    "Chapel",
    "Market",
    "Orchard",
    "Meadow",
    "Riverside",
    "Hillside",
    "Windsor",
    "York",
];
const STREET_B: &[&str] = &[
    "Road", "Street", "Lane", "Avenue", "Close", "Drive", "Way", "Grove", "Crescent", "Terrace",
];
const TOWNS: &[&str] = &[
    "Ashford Vale",
    "Brookmere",
    "Castlebury",
    "Dunholm",
    "Elmstead",
];
const ORGS: &[&str] = &[
    "North Park Surgery",
    "Riverside Medical Centre",
    "Castlebury Health Centre",
    "City Out of Hours Service",
];
const OOH_ORG: usize = 3;
// (role, max distinct patients per user-day in background = M)
const ROLES: &[(&str, u32)] = &[
    ("GP", 30),
    ("Nurse", 25),
    ("Receptionist", 40),
    ("Admin", 20),
    ("Pharmacist", 35),
];
const OOH_ROLES: &[(&str, u32)] = &[("OOH GP", 12), ("OOH Nurse", 12)];

// Rule bits, in the contract's order.
const SELF: u16 = 1;
const FAMILY_R: u16 = 2;
const NEIGHBOUR: u16 = 4;
const COWORKER: u16 = 8;
const VIP: u16 = 16;
const DECEASED: u16 = 32;
const LEAVER: u16 = 64;
const AFTER_HOURS: u16 = 128;
const UNEXPLAINED: u16 = 256;
const VOLUME: u16 = 512;
const RULE_NAMES: [&str; 10] = [
    "SELF",
    "FAMILY",
    "NEIGHBOUR",
    "COWORKER",
    "VIP",
    "DECEASED",
    "LEAVER",
    "AFTER_HOURS",
    "UNEXPLAINED",
    "VOLUME",
];

struct Street {
    name: String,
    postcode: String,
    town: &'static str,
}
struct Pat {
    given: &'static str,
    family: String,
    street: usize,
    number: u32,
    household: u32,
    dob: i64,
    deceased: Option<i64>,
    vip: bool,
    home_team: u32,
    user: Option<u32>,
    eps: Vec<u32>,
}
struct Usr {
    given: &'static str,
    family: String,
    role: usize,
    team: u32,
    org: usize,
    start: i64,
    leave: Option<i64>,
    patient: Option<u32>,
    home: (String, String), // address line, postcode
}
struct Team {
    org: usize,
    ooh: bool,
}
struct Ep {
    patient: u32,
    team: u32,
    kind: &'static str,
    start: i64,
    end: Option<i64>,
}
#[derive(Clone, Copy)]
struct Ev {
    ts: i64,
    user: u32,
    patient: u32,
    action: u8,
    gold: u16,
    decoy: u8,
}
const DECOYS: &[(&str, &str)] = &[
    ("", ""),
    ("self_with_episode", "UNEXPLAINED"),
    ("household_other_surname", "FAMILY"),
    ("same_surname_other_household", "FAMILY"),
    ("namesake", "FAMILY"),
    ("neighbour_treating_clinician", "NEIGHBOUR"),
    ("same_street_far_number", "NEIGHBOUR"),
    ("colleague_other_organisation", "COWORKER"),
    ("vip_with_care_relationship", "VIP"),
    ("day_of_death", "DECEASED"),
    ("leaving_day", "LEAVER"),
    ("night_active_emergency_episode_other_team", "AFTER_HOURS"),
    ("day_starts_boundary_0700", "AFTER_HOURS"),
    ("explained_by_closed_episode_13_days", "UNEXPLAINED"),
];
fn decoy(name: &str) -> u8 {
    DECOYS.iter().position(|d| d.0 == name).expect("decoy") as u8
}

struct World {
    rng: Rng,
    d0: i64,
    d1: i64, // inclusive last day
    streets: Vec<Street>,
    pats: Vec<Pat>,
    users: Vec<Usr>,
    teams: Vec<Team>,
    eps: Vec<Ep>,
    events: Vec<Ev>,
    role_names: Vec<&'static str>,
    role_max: Vec<u32>,
    /// approximate distinct-patient count per (user, day), to keep planted events off VOLUME
    ud_count: HashMap<(u32, i64), u32>,
    /// patients given episodes by plants: never reused by another plant
    reserved: HashSet<u32>,
    spree_days: HashSet<(u32, i64)>,
    /// patients of planted events: an episode-creating plant never uses them (it could change
    /// an earlier plant's labels)
    touched: HashSet<u32>,
    planting: bool,
}

impl World {
    fn explained(&self, u: u32, p: u32, ts: i64) -> bool {
        let team = self.users[u as usize].team;
        self.pats[p as usize].eps.iter().any(|&e| {
            let e = &self.eps[e as usize];
            e.team == team && e.start - DAY <= ts && e.end.is_none_or(|end| ts <= end + 14 * DAY)
        })
    }
    fn active(&self, p: u32, ts: i64) -> bool {
        self.pats[p as usize].eps.iter().any(|&e| {
            let e = &self.eps[e as usize];
            e.start <= ts && e.end.is_none_or(|end| ts <= end)
        })
    }
    fn postcode(&self, p: u32) -> &str {
        &self.streets[self.pats[p as usize].street].postcode
    }
    /// Unexplained and no relationship of any rule: not self, not at the user's home postcode,
    /// not VIP, not deceased, not a user of the same organisation, not reserved.
    fn unrelated(&self, u: u32, p: u32, ts: i64) -> bool {
        let us = &self.users[u as usize];
        let pt = &self.pats[p as usize];
        us.patient != Some(p)
            && !self.reserved.contains(&p)
            && !self.explained(u, p, ts)
            && self.postcode(p) != us.home.1
            && !pt.vip
            && pt.deceased.is_none()
            && pt.user.is_none_or(|v| self.users[v as usize].org != us.org)
    }
    fn add_ep(
        &mut self,
        patient: u32,
        team: u32,
        kind: &'static str,
        start: i64,
        end: Option<i64>,
    ) {
        self.pats[patient as usize].eps.push(self.eps.len() as u32);
        self.eps.push(Ep {
            patient,
            team,
            kind,
            start,
            end,
        });
    }
    /// A day for a planted event of user u, in [lo, hi], keeping the user-day under its VOLUME
    /// cap (M - 1 so a plant never makes a background day exceed M).
    fn plant_day(&mut self, u: u32, lo: i64, hi: i64) -> Option<i64> {
        let us = &self.users[u as usize];
        let lo = lo.max(self.d0).max(us.start);
        let hi = hi.min(self.d1).min(us.leave.unwrap_or(i64::MAX));
        if lo > hi {
            return None;
        }
        let m = self.role_max[us.role];
        for _ in 0..20 {
            let d = self.rng.range(lo, hi);
            if self.spree_days.contains(&(u, d)) {
                continue;
            }
            let c = self.ud_count.entry((u, d)).or_insert(0);
            if *c + 1 < m {
                *c += 1;
                return Some(d);
            }
        }
        None
    }
    fn in_hours(&mut self, d: i64) -> i64 {
        d * DAY + self.rng.range(8 * 3600, 18 * 3600)
    }
    fn push(&mut self, ts: i64, user: u32, patient: u32, gold: u16, decoy: u8) {
        let action = self.rng.below(10) as u8;
        if self.planting {
            self.touched.insert(patient);
        }
        self.events.push(Ev {
            ts,
            user,
            patient,
            action,
            gold,
            decoy,
        });
    }
    fn rand_patient(&mut self) -> u32 {
        self.rng.below(self.pats.len() as u64) as u32
    }
    /// A random unrelated patient for user u at ts (None after a few tries).
    fn unrelated_patient(&mut self, u: u32, ts: i64) -> Option<u32> {
        for _ in 0..50 {
            let p = self.rand_patient();
            if self.unrelated(u, p, ts) {
                return Some(p);
            }
        }
        None
    }
}

fn main() -> anyhow::Result<()> {
    let mut out = PathBuf::from("synth");
    let (mut n_events, mut n_pat, mut n_users, mut seed) = (1_000_000u64, 0u64, 0u64, 1u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .ok_or_else(|| anyhow::anyhow!("{a} needs a value"))
        };
        match a.as_str() {
            "--out" => out = PathBuf::from(val()?),
            "--events" => n_events = val()?.replace('_', "").parse()?,
            "--patients" => n_pat = val()?.parse()?,
            "--users" => n_users = val()?.parse()?,
            "--seed" => seed = val()?.parse()?,
            _ => anyhow::bail!(
                "usage: audit-synth --out DIR --events N [--patients P] [--users U] [--seed S]"
            ),
        }
    }
    if n_pat == 0 {
        n_pat = (n_events / 100).max(2_000);
    }
    if n_users == 0 {
        n_users = (n_events / 3_333).max(60);
    }
    std::fs::create_dir_all(&out)?;
    let mut w = World {
        rng: Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed),
        d0: days_from_civil(2025, 1, 1),
        d1: days_from_civil(2025, 12, 31),
        streets: Vec::new(),
        pats: Vec::new(),
        users: Vec::new(),
        teams: Vec::new(),
        eps: Vec::new(),
        events: Vec::with_capacity(n_events as usize + n_events as usize / 20),
        role_names: ROLES.iter().chain(OOH_ROLES).map(|r| r.0).collect(),
        role_max: ROLES.iter().chain(OOH_ROLES).map(|r| r.1).collect(),
        ud_count: HashMap::new(),
        reserved: HashSet::new(),
        spree_days: HashSet::new(),
        touched: HashSet::new(),
        planting: false,
    };
    let (d0, d1) = (w.d0, w.d1);

    // Teams: 10 users a team; a quarter... the out-of-hours service gets one team in eight.
    let n_teams = (n_users / 10).max(8) as usize;
    for i in 0..n_teams {
        let ooh = i % 8 == 7;
        w.teams.push(Team {
            org: if ooh { OOH_ORG } else { i % 3 },
            ooh,
        });
    }
    let gp_teams: Vec<u32> = (0..n_teams as u32)
        .filter(|&t| !w.teams[t as usize].ooh)
        .collect();
    let ooh_teams: Vec<u32> = (0..n_teams as u32)
        .filter(|&t| w.teams[t as usize].ooh)
        .collect();

    // Streets and households.
    let mut household = 0u32;
    let mut namesake_of: Vec<(u32, u32)> = Vec::new();
    'fill: for s in 0.. {
        let name = format!(
            "{} {}",
            STREET_A[s % STREET_A.len()],
            STREET_B[(s / STREET_A.len()) % STREET_B.len()]
        );
        let name = if s >= STREET_A.len() * STREET_B.len() {
            format!("{name} {}", s / (STREET_A.len() * STREET_B.len()) + 1)
        } else {
            name
        };
        w.streets.push(Street {
            name,
            postcode: format!("ZZ{} {}AB", s / 10, s % 10),
            town: TOWNS[s % TOWNS.len()],
        });
        for number in 1..=60u32 {
            let size = *w.rng.pick(&[1, 1, 2, 2, 2, 3, 3, 4, 4, 5]);
            let surname = w.rng.pick(FAMILY).to_string();
            household += 1;
            for k in 0..size {
                if w.pats.len() as u64 >= n_pat {
                    break 'fill;
                }
                let lodger = k > 0 && w.rng.chance(0.08);
                let mut given = *w.rng.pick(GIVEN);
                let mut family = if lodger {
                    w.rng.pick(FAMILY).to_string()
                } else {
                    surname.clone()
                };
                // namesakes: the same given and family name as someone in another household
                if w.rng.chance(0.02) && !w.pats.is_empty() {
                    let o = w.rand_patient();
                    if w.pats[o as usize].household != household {
                        given = w.pats[o as usize].given;
                        family = w.pats[o as usize].family.clone();
                        namesake_of.push((w.pats.len() as u32, o));
                    }
                }
                let deceased = w.rng.chance(0.01).then(|| w.rng.range(d0 + 30, d1 - 60));
                let vip = w.rng.chance(0.003);
                let home_team = *w.rng.pick(&gp_teams);
                let dob = w
                    .rng
                    .range(days_from_civil(1930, 1, 1), days_from_civil(2024, 12, 31));
                w.pats.push(Pat {
                    given,
                    family,
                    street: s,
                    number,
                    household,
                    dob,
                    deceased,
                    vip,
                    home_team,
                    user: None,
                    eps: Vec::new(),
                });
            }
        }
    }
    let n_streets = w.streets.len();

    // Users: 30% are also registered patients (home = their patient address).
    for i in 0..n_users as u32 {
        let team = if (i as usize) < ooh_teams.len() * 10 && !ooh_teams.is_empty() {
            ooh_teams[i as usize % ooh_teams.len()]
        } else {
            *w.rng.pick(&gp_teams)
        };
        let org = w.teams[team as usize].org;
        let role = if org == OOH_ORG {
            ROLES.len() + w.rng.below(2) as usize
        } else {
            *w.rng.pick(&[0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4])
        };
        let mut patient = None;
        if w.rng.chance(0.3) {
            for _ in 0..20 {
                let p = w.rand_patient();
                let pt = &w.pats[p as usize];
                if pt.user.is_none() && pt.deceased.is_none() && !pt.vip {
                    patient = Some(p);
                    break;
                }
            }
        }
        let (given, family, home) = match patient {
            Some(p) => {
                w.pats[p as usize].user = Some(i);
                let pt = &w.pats[p as usize];
                (
                    pt.given,
                    pt.family.clone(),
                    (
                        format!("{} {}", pt.number, w.streets[pt.street].name),
                        w.streets[pt.street].postcode.clone(),
                    ),
                )
            }
            None => {
                // staff who are not registered here live on streets with no patients
                let s = n_streets + i as usize;
                (
                    *w.rng.pick(GIVEN),
                    w.rng.pick(FAMILY).to_string(),
                    (
                        format!("{} Staff Row {}", 1 + i % 50, s),
                        format!("ZY{} {}AB", s / 10, s % 10),
                    ),
                )
            }
        };
        let start = w
            .rng
            .range(days_from_civil(2012, 1, 1), days_from_civil(2024, 12, 1));
        let leave = w.rng.chance(0.06).then(|| w.rng.range(d0 + 60, d1 - 45));
        w.users.push(Usr {
            given,
            family,
            role,
            team,
            org,
            start,
            leave,
            patient,
            home,
        });
    }

    // Care episodes of the practices: 3-6 per patient.
    for p in 0..w.pats.len() as u32 {
        for _ in 0..w.rng.range(3, 6) {
            let team = if w.rng.chance(0.6) {
                w.pats[p as usize].home_team
            } else {
                *w.rng.pick(&gp_teams)
            };
            let sd = w.rng.range(d0 - 40, d1);
            let start = sd * DAY + w.rng.range(8 * 3600, 17 * 3600);
            let (kind, end) = match w.rng.below(10) {
                0..=5 => ("appointment", Some(start + 60 * w.rng.range(10, 40))),
                6..=7 => ("referral", Some(start + DAY * w.rng.range(20, 120))),
                8 => ("admission", Some(start + DAY * w.rng.range(1, 12))),
                _ => ("referral", None),
            };
            w.add_ep(p, team, kind, start, end);
        }
    }
    // Per team and day: the patients whose episode with the team explains the whole working day
    // (start_day <= D <= end_day + 13, see the contract's window).
    let ndays = (d1 - d0 + 1) as usize;
    let mut team_day: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); ndays]; n_teams];
    for e in &w.eps {
        let a = (e.start.div_euclid(DAY)).max(d0);
        let b = e.end.map_or(d1, |end| (end.div_euclid(DAY) + 13).min(d1));
        for d in a..=b {
            team_day[e.team as usize][(d - d0) as usize].push(e.patient);
        }
    }

    // Plants, benign unexplained access and sprees take about 3% of the events; background the rest.
    let per_kind = (n_events / 20_000).max(6) as usize;
    let target_bg = n_events as usize * 97 / 100;
    let mut days_of: Vec<Vec<i64>> = w
        .users
        .iter()
        .map(|u| {
            let ooh = u.org == OOH_ORG;
            (d0.max(u.start)..=d1.min(u.leave.unwrap_or(d1)))
                .filter(|d| ooh || (d + 3).rem_euclid(7) < 5) // 1970-01-01 was a Thursday
                .collect()
        })
        .collect();
    for d in days_of.iter_mut() {
        for i in (1..d.len()).rev() {
            let j = w.rng.below(i as u64 + 1) as usize;
            d.swap(i, j);
        }
    }
    let mut cursor = vec![0usize; w.users.len()];
    let mut bg_user_days = vec![0u64; w.role_names.len()];
    'bg: while w.events.len() < target_bg {
        let mut progressed = false;
        for u in 0..w.users.len() as u32 {
            if w.events.len() >= target_bg {
                break 'bg;
            }
            let Some(&d) = days_of[u as usize].get(cursor[u as usize]) else {
                continue;
            };
            cursor[u as usize] += 1;
            progressed = true;
            let (role, team, ooh, selfp) = {
                let x = &w.users[u as usize];
                (x.role, x.team, x.org == OOH_ORG, x.patient)
            };
            let m = w.role_max[role];
            let n = if w.rng.chance(0.05) {
                m
            } else {
                1 + w.rng.below(m as u64 - 1) as u32
            };
            let mut chosen: Vec<u32> = Vec::with_capacity(n as usize);
            if ooh {
                // night work: 20:00-23:59 or 00:00-06:59 of the same date, under emergency
                // episodes of the user's team
                while chosen.len() < n as usize {
                    let p = w.rand_patient();
                    if Some(p) != selfp && !chosen.contains(&p) && !w.reserved.contains(&p) {
                        chosen.push(p);
                    }
                }
                for &p in &chosen {
                    let evening = w.rng.chance(0.6);
                    let t0 = d * DAY
                        + if evening {
                            w.rng.range(20 * 3600, 22 * 3600)
                        } else {
                            w.rng.range(0, 5 * 3600)
                        };
                    let k = 1 + w.rng.below(3) as i64;
                    let start = t0 - w.rng.range(60, 1800);
                    let end = t0 + k * 900 + w.rng.range(60, 3600);
                    w.add_ep(p, team, "emergency", start, Some(end));
                    for j in 0..k {
                        w.push(t0 + j * 900, u, p, 0, 0);
                    }
                }
            } else {
                let cands = &team_day[team as usize][(d - d0) as usize];
                if cands.is_empty() {
                    continue;
                }
                let n = n.min(cands.len() as u32 / 2).max(1);
                for _ in 0..n * 4 {
                    if chosen.len() >= n as usize {
                        break;
                    }
                    let p = *w.rng.pick(cands);
                    if Some(p) != selfp && !chosen.contains(&p) {
                        chosen.push(p);
                    }
                }
                for &p in &chosen {
                    let k = 1 + (w.rng.below(100) < 40) as u32 + (w.rng.below(100) < 15) as u32;
                    for _ in 0..k {
                        let ts = d * DAY + w.rng.range(7 * 3600, 20 * 3600 - 1);
                        w.push(ts, u, p, 0, 0);
                    }
                }
            }
            w.ud_count.insert((u, d), chosen.len() as u32);
            bg_user_days[role] += 1;
        }
        if !progressed {
            break;
        }
    }

    // ---- planted scenarios -------------------------------------------------------------
    w.planting = true;
    let staff_pat: Vec<u32> = (0..w.users.len() as u32)
        .filter(|&u| w.users[u as usize].patient.is_some() && w.users[u as usize].org != OOH_ORG)
        .collect();
    let gp_users: Vec<u32> = (0..w.users.len() as u32)
        .filter(|&u| w.users[u as usize].org != OOH_ORG)
        .collect();
    let leavers: Vec<u32> = (0..w.users.len() as u32)
        .filter(|&u| w.users[u as usize].leave.is_some())
        .collect();
    let by_household: HashMap<u32, Vec<u32>> = {
        let mut m: HashMap<u32, Vec<u32>> = HashMap::new();
        for (i, p) in w.pats.iter().enumerate() {
            m.entry(p.household).or_default().push(i as u32);
        }
        m
    };
    let by_street: HashMap<usize, Vec<u32>> = {
        let mut m: HashMap<usize, Vec<u32>> = HashMap::new();
        for (i, p) in w.pats.iter().enumerate() {
            m.entry(p.street).or_default().push(i as u32);
        }
        m
    };
    let by_surname: HashMap<String, Vec<u32>> = {
        let mut m: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, p) in w.pats.iter().enumerate() {
            m.entry(p.family.to_uppercase()).or_default().push(i as u32);
        }
        m
    };
    let vips: Vec<u32> = (0..w.pats.len() as u32)
        .filter(|&p| w.pats[p as usize].vip)
        .collect();
    let dead: Vec<u32> = (0..w.pats.len() as u32)
        .filter(|&p| w.pats[p as usize].deceased.is_some())
        .collect();
    let d_unrelated_checks = |w: &World, u: u32, p: u32, ts: i64, allow_postcode: bool| -> bool {
        // like unrelated() but allowing the user's own postcode (family/neighbour scenarios)
        let us = &w.users[u as usize];
        let pt = &w.pats[p as usize];
        us.patient != Some(p)
            && !w.reserved.contains(&p)
            && !w.explained(u, p, ts)
            && (allow_postcode || w.postcode(p) != us.home.1)
            && !pt.vip
            && pt.deceased.is_none()
            && pt.user.is_none_or(|v| w.users[v as usize].org != us.org)
    };
    let mut tries = 0;
    let mut planted: HashMap<&'static str, usize> = HashMap::new();
    macro_rules! count {
        ($k:expr) => {
            *planted.entry($k).or_default() += 1
        };
    }
    let budget = per_kind * 400;
    // SELF (own record, unexplained or explained) and household / neighbour scenarios.
    while tries < budget
        && (planted.get("SELF").copied().unwrap_or(0) < per_kind * 2
            || planted.get("FAMILY").copied().unwrap_or(0) < per_kind
            || planted.get("NEIGHBOUR").copied().unwrap_or(0) < per_kind
            || planted.get("lodger").copied().unwrap_or(0) < per_kind
            || planted.get("treating").copied().unwrap_or(0) < per_kind
            || planted.get("far").copied().unwrap_or(0) < per_kind)
    {
        tries += 1;
        if staff_pat.is_empty() {
            break;
        }
        let u = *w.rng.pick(&staff_pat);
        let me = w.users[u as usize].patient.expect("staff patient");
        let Some(d) = w.plant_day(u, d0, d1) else {
            continue;
        };
        let ts = w.in_hours(d);
        let (hh, street, number) = {
            let p = &w.pats[me as usize];
            (p.household, p.street, p.number)
        };
        match w.rng.below(6) {
            0 => {
                if planted.get("SELF").copied().unwrap_or(0) >= per_kind * 2 {
                    continue;
                }
                let g = if w.explained(u, me, ts) {
                    SELF
                } else {
                    SELF | UNEXPLAINED
                };
                let dk = if g == SELF {
                    decoy("self_with_episode")
                } else {
                    0
                };
                w.push(ts, u, me, g, dk);
                count!("SELF");
            }
            1 | 2 => {
                let members = &by_household[&hh];
                let my_fam = w.users[u as usize].family.to_uppercase();
                let cands: Vec<u32> = members
                    .iter()
                    .copied()
                    .filter(|&m| m != me && d_unrelated_checks(&w, u, m, ts, true))
                    .collect();
                let Some(&m) = cands.first() else { continue };
                if w.pats[m as usize].family.to_uppercase() == my_fam {
                    if planted.get("FAMILY").copied().unwrap_or(0) >= per_kind {
                        continue;
                    }
                    w.push(ts, u, m, FAMILY_R | UNEXPLAINED, 0);
                    count!("FAMILY");
                } else {
                    if planted.get("lodger").copied().unwrap_or(0) >= per_kind {
                        continue;
                    }
                    w.push(ts, u, m, UNEXPLAINED, decoy("household_other_surname"));
                    count!("lodger");
                }
            }
            3 => {
                if planted.get("NEIGHBOUR").copied().unwrap_or(0) >= per_kind {
                    continue;
                }
                let cands: Vec<u32> = by_street[&street]
                    .iter()
                    .copied()
                    .filter(|&m| {
                        let q = &w.pats[m as usize];
                        q.number != number
                            && q.number.abs_diff(number) <= 4
                            && d_unrelated_checks(&w, u, m, ts, true)
                    })
                    .collect();
                if cands.is_empty() {
                    continue;
                }
                let m = *w.rng.pick(&cands);
                w.push(ts, u, m, NEIGHBOUR | UNEXPLAINED, 0);
                count!("NEIGHBOUR");
            }
            4 => {
                if planted.get("treating").copied().unwrap_or(0) >= per_kind {
                    continue;
                }
                let cands: Vec<u32> = by_street[&street]
                    .iter()
                    .copied()
                    .filter(|&m| {
                        let q = &w.pats[m as usize];
                        q.number != number
                            && q.number.abs_diff(number) <= 4
                            && !w.touched.contains(&m)
                            && d_unrelated_checks(&w, u, m, ts, true)
                    })
                    .collect();
                if cands.is_empty() {
                    continue;
                }
                let m = *w.rng.pick(&cands);
                // the user's team treats the neighbour: an appointment just before the access
                let team = w.users[u as usize].team;
                w.add_ep(m, team, "appointment", ts - 7200, Some(ts - 5400));
                w.reserved.insert(m);
                w.push(ts, u, m, 0, decoy("neighbour_treating_clinician"));
                count!("treating");
            }
            _ => {
                if planted.get("far").copied().unwrap_or(0) >= per_kind {
                    continue;
                }
                let cands: Vec<u32> = by_street[&street]
                    .iter()
                    .copied()
                    .filter(|&m| {
                        let q = &w.pats[m as usize];
                        q.number.abs_diff(number) >= 5 && d_unrelated_checks(&w, u, m, ts, true)
                    })
                    .collect();
                if cands.is_empty() {
                    continue;
                }
                let m = *w.rng.pick(&cands);
                w.push(ts, u, m, UNEXPLAINED, decoy("same_street_far_number"));
                count!("far");
            }
        }
    }
    // Same surname in another household, namesakes.
    for i in 0..per_kind * 20 {
        if planted.get("surname").copied().unwrap_or(0) >= per_kind
            && planted.get("namesake").copied().unwrap_or(0) >= per_kind
        {
            break;
        }
        if staff_pat.is_empty() {
            break;
        }
        let u = *w.rng.pick(&staff_pat);
        let Some(d) = w.plant_day(u, d0, d1) else {
            continue;
        };
        let ts = w.in_hours(d);
        let me = w.users[u as usize].patient.expect("staff patient");
        if i % 2 == 0 {
            let fam = w.users[u as usize].family.to_uppercase();
            let cands: Vec<u32> = by_surname[&fam]
                .iter()
                .copied()
                .filter(|&m| {
                    w.pats[m as usize].household != w.pats[me as usize].household
                        && w.unrelated(u, m, ts)
                })
                .collect();
            if cands.is_empty() || planted.get("surname").copied().unwrap_or(0) >= per_kind {
                continue;
            }
            let m = *w.rng.pick(&cands);
            w.push(ts, u, m, UNEXPLAINED, decoy("same_surname_other_household"));
            count!("surname");
        } else {
            // namesake of a member of the user's household living elsewhere
            let hh = w.pats[me as usize].household;
            let Some(&(m, _)) = namesake_of.iter().find(|(a, b)| {
                w.pats[*b as usize].household == hh
                    && w.pats[*a as usize].household != hh
                    && w.unrelated(u, *a, ts)
            }) else {
                // or any namesake pair: the user accesses the namesake of a household member
                let pair = namesake_of
                    .get(w.rng.below(namesake_of.len().max(1) as u64) as usize)
                    .copied();
                if let Some((a, _)) = pair {
                    if w.unrelated(u, a, ts)
                        && planted.get("namesake").copied().unwrap_or(0) < per_kind
                    {
                        w.push(ts, u, a, UNEXPLAINED, decoy("namesake"));
                        count!("namesake");
                    }
                }
                continue;
            };
            if planted.get("namesake").copied().unwrap_or(0) >= per_kind {
                continue;
            }
            w.push(ts, u, m, UNEXPLAINED, decoy("namesake"));
            count!("namesake");
        }
    }
    // COWORKER and colleague in another organisation.
    for i in 0..per_kind * 20 {
        if planted.get("COWORKER").copied().unwrap_or(0) >= per_kind
            && planted.get("other_org").copied().unwrap_or(0) >= per_kind
        {
            break;
        }
        let u = *w.rng.pick(&gp_users);
        let v = *w.rng.pick(&staff_pat);
        if u == v {
            continue;
        }
        let Some(d) = w.plant_day(u, d0, d1) else {
            continue;
        };
        let ts = w.in_hours(d);
        let p = w.users[v as usize].patient.expect("staff patient");
        let (us, vs) = (&w.users[u as usize], &w.users[v as usize]);
        let same_org = us.org == vs.org;
        if w.explained(u, p, ts)
            || w.postcode(p) == us.home.1
            || us.patient == Some(p)
            || w.reserved.contains(&p)
        {
            continue;
        }
        if same_org && i % 2 == 0 && planted.get("COWORKER").copied().unwrap_or(0) < per_kind {
            w.push(ts, u, p, COWORKER | UNEXPLAINED, 0);
            count!("COWORKER");
        } else if !same_org && planted.get("other_org").copied().unwrap_or(0) < per_kind {
            w.push(ts, u, p, UNEXPLAINED, decoy("colleague_other_organisation"));
            count!("other_org");
        }
    }
    // VIP (unexplained) and VIP with a care relationship.
    for i in 0..per_kind * 2 {
        if vips.is_empty() {
            break;
        }
        let p = *w.rng.pick(&vips);
        if w.reserved.contains(&p) {
            continue;
        }
        if i % 2 == 0 {
            let u = *w.rng.pick(&gp_users);
            let Some(d) = w.plant_day(u, d0, d1) else {
                continue;
            };
            let ts = w.in_hours(d);
            let us = &w.users[u as usize];
            if w.explained(u, p, ts)
                || w.postcode(p) == us.home.1
                || us.patient == Some(p)
                || w.pats[p as usize].deceased.is_some()
            {
                continue;
            }
            if w.pats[p as usize]
                .user
                .is_some_and(|v| w.users[v as usize].org == us.org)
            {
                continue;
            }
            w.push(ts, u, p, VIP | UNEXPLAINED, 0);
            count!("VIP");
        } else {
            // a user of the team of one of the VIP's episodes, inside its window
            let eps = w.pats[p as usize].eps.clone();
            let e = &w.eps[*w.rng.pick(&eps) as usize];
            let (team, sd) = (e.team, e.start.div_euclid(DAY));
            let Some(u) = gp_users.iter().copied().find(|&u| {
                w.users[u as usize].team == team && w.users[u as usize].patient != Some(p)
            }) else {
                continue;
            };
            let Some(d) = w.plant_day(u, sd, sd + 10) else {
                continue;
            };
            let ts = w.in_hours(d);
            if !w.explained(u, p, ts) || w.users[u as usize].leave.is_some_and(|l| d > l) {
                continue;
            }
            let dead_after = w.pats[p as usize].deceased.is_some_and(|x| d > x);
            if dead_after {
                continue;
            }
            w.push(ts, u, p, 0, decoy("vip_with_care_relationship"));
            count!("vip_explained");
        }
    }
    // DECEASED and the day of death.
    for i in 0..per_kind * 4 {
        if dead.is_empty() {
            break;
        }
        let p = *w.rng.pick(&dead);
        let death = w.pats[p as usize].deceased.expect("dead");
        let u = *w.rng.pick(&gp_users);
        let (lo, hi) = if i % 2 == 0 {
            (death + 1, death + 40)
        } else {
            (death, death)
        };
        let Some(d) = w.plant_day(u, lo, hi) else {
            continue;
        };
        let ts = w.in_hours(d);
        let us = &w.users[u as usize];
        if w.explained(u, p, ts)
            || w.postcode(p) == us.home.1
            || w.pats[p as usize].vip
            || w.reserved.contains(&p)
        {
            continue;
        }
        if w.pats[p as usize]
            .user
            .is_some_and(|v| w.users[v as usize].org == us.org)
        {
            continue;
        }
        if d > death {
            w.push(ts, u, p, DECEASED | UNEXPLAINED, 0);
            count!("DECEASED");
        } else {
            w.push(ts, u, p, UNEXPLAINED, decoy("day_of_death"));
            count!("death_day");
        }
    }
    // LEAVER (explained access after leaving) and access on the leaving day.
    for i in 0..per_kind * 4 {
        if leavers.is_empty() {
            break;
        }
        let u = *w.rng.pick(&leavers);
        let us = &w.users[u as usize];
        let (leave, team, m) = (us.leave.expect("leaver"), us.team, w.role_max[us.role]);
        if us.org == OOH_ORG {
            continue;
        }
        let d = if i % 2 == 0 {
            leave + w.rng.range(1, 30)
        } else {
            leave
        };
        if d > d1 {
            continue;
        }
        let c = w.ud_count.entry((u, d)).or_insert(0);
        if *c + 1 >= m {
            continue;
        }
        *c += 1;
        let cands = &team_day[team as usize][(d - d0) as usize];
        if cands.is_empty() {
            continue;
        }
        let p = *w.rng.pick(cands);
        let ts = w.in_hours(d);
        if !w.explained(u, p, ts) || w.users[u as usize].patient == Some(p) {
            continue;
        }
        if d > leave {
            w.push(ts, u, p, LEAVER, 0);
            count!("LEAVER");
        } else {
            w.push(ts, u, p, 0, decoy("leaving_day"));
            count!("leaving_day");
        }
    }
    // AFTER_HOURS (explained and unexplained), the emergency-episode decoy, boundaries.
    for i in 0..per_kind * 8 {
        let u = *w.rng.pick(&gp_users);
        let Some(d) = w.plant_day(u, d0, d1) else {
            continue;
        };
        let team = w.users[u as usize].team;
        let cands = &team_day[team as usize][(d - d0) as usize];
        if cands.is_empty() {
            continue;
        }
        let p = *w.rng.pick(cands);
        if w.users[u as usize].patient == Some(p) || w.reserved.contains(&p) {
            continue;
        }
        match i % 5 {
            0 | 1 => {
                // 20:00:00 exactly, late evening, or early morning up to 06:59:59
                let ts = d * DAY
                    + match w.rng.below(4) {
                        0 => 20 * 3600,
                        1 => 7 * 3600 - 1,
                        2 => w.rng.range(20 * 3600, 23 * 3600),
                        _ => w.rng.range(5 * 3600, 6 * 3600),
                    };
                if !w.explained(u, p, ts) || w.active(p, ts) {
                    continue;
                }
                w.push(ts, u, p, AFTER_HOURS, 0);
                count!("AFTER_HOURS");
            }
            2 => {
                let ts = d * DAY + w.rng.range(21 * 3600, 23 * 3600);
                let Some(q) = w.unrelated_patient(u, ts) else {
                    continue;
                };
                if w.active(q, ts) {
                    continue;
                }
                w.push(ts, u, q, AFTER_HOURS | UNEXPLAINED, 0);
                count!("AFTER_HOURS_unexpl");
            }
            3 => {
                // another team's emergency episode active at ts suppresses AFTER_HOURS
                if ooh_teams.is_empty() {
                    continue;
                }
                let ts = d * DAY + w.rng.range(20 * 3600 + 600, 23 * 3600);
                if !w.explained(u, p, ts) || w.touched.contains(&p) {
                    continue;
                }
                let et = *w.rng.pick(&ooh_teams);
                w.add_ep(p, et, "emergency", ts - 3600, Some(ts + 7200));
                w.reserved.insert(p);
                w.push(
                    ts,
                    u,
                    p,
                    0,
                    decoy("night_active_emergency_episode_other_team"),
                );
                count!("night_decoy");
            }
            _ => {
                let ts = d * DAY + 7 * 3600;
                if !w.explained(u, p, ts) {
                    continue;
                }
                w.push(ts, u, p, 0, decoy("day_starts_boundary_0700"));
                count!("boundary_0700");
            }
        }
    }
    // Explained by a closed episode 13 days after its end (window edge), unexplained at 15.
    for i in 0..per_kind * 4 {
        let u = *w.rng.pick(&gp_users);
        let p = w.rand_patient();
        if w.reserved.contains(&p) || w.users[u as usize].patient == Some(p) {
            continue;
        }
        let team = w.users[u as usize].team;
        let Some(d) = w.plant_day(u, d0 + 20, d1) else {
            continue;
        };
        let ts = w.in_hours(d);
        if !w.unrelated(u, p, ts) || w.touched.contains(&p) {
            continue;
        }
        let end = if i % 2 == 0 {
            ts - 13 * DAY
        } else {
            ts - 15 * DAY
        };
        w.add_ep(p, team, "appointment", end - 1800, Some(end));
        w.reserved.insert(p);
        if i % 2 == 0 {
            w.push(ts, u, p, 0, decoy("explained_by_closed_episode_13_days"));
            count!("edge13");
        } else {
            w.push(ts, u, p, UNEXPLAINED, 0);
            count!("edge15");
        }
    }
    // Benign unexplained access (covering, admin): about 2.5% of the events.
    let benign = n_events as usize / 40;
    let mut k = 0;
    for _ in 0..benign * 3 {
        if k >= benign {
            break;
        }
        let u = *w.rng.pick(&gp_users);
        let Some(d) = w.plant_day(u, d0, d1) else {
            continue;
        };
        let ts = w.in_hours(d);
        let Some(p) = w.unrelated_patient(u, ts) else {
            continue;
        };
        w.push(ts, u, p, UNEXPLAINED, 0);
        k += 1;
    }
    count!("benign_unexplained");
    *planted.get_mut("benign_unexplained").expect("k") = k;
    // Snooping sprees: 0.2% of each role's user-days, on a day the user did not work.
    let mut sprees = 0;
    for (role, &bg_days) in bg_user_days.iter().enumerate().take(ROLES.len()) {
        let want = (bg_days / 500).max(2);
        let users_r: Vec<u32> = gp_users
            .iter()
            .copied()
            .filter(|&u| w.users[u as usize].role == role)
            .collect();
        if users_r.is_empty() {
            continue;
        }
        let mut made = 0;
        for _ in 0..want * 50 {
            if made >= want {
                break;
            }
            let u = *w.rng.pick(&users_r);
            let us = &w.users[u as usize];
            let lo = d0.max(us.start);
            let hi = d1.min(us.leave.unwrap_or(d1));
            if lo > hi {
                continue;
            }
            let d = w.rng.range(lo, hi);
            if w.ud_count.contains_key(&(u, d)) {
                continue;
            }
            let n = w.role_max[role] + 10 + w.rng.below(40) as u32;
            let mut got = Vec::new();
            for _ in 0..n * 3 {
                if got.len() >= n as usize {
                    break;
                }
                let ts = w.in_hours(d);
                if let Some(p) = w.unrelated_patient(u, ts) {
                    if !got.contains(&p) {
                        got.push(p);
                        w.push(ts, u, p, UNEXPLAINED, 0);
                    }
                }
            }
            w.ud_count.insert((u, d), got.len() as u32);
            w.spree_days.insert((u, d));
            made += 1;
            sprees += 1;
        }
    }

    // ---- VOLUME gold by the contract's formula; check it equals the planted sprees ------
    let role_of: Vec<usize> = w.users.iter().map(|u| u.role).collect();
    let mut keys: Vec<(u32, i64, u32)> = w
        .events
        .iter()
        .map(|e| (e.user, e.ts.div_euclid(DAY), e.patient))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut counts: HashMap<(u32, i64), u32> = HashMap::new();
    for (u, d, _) in &keys {
        *counts.entry((*u, *d)).or_default() += 1;
    }
    drop(keys);
    let mut per_role: Vec<Vec<u32>> = vec![Vec::new(); w.role_names.len()];
    for ((u, _), c) in &counts {
        per_role[role_of[*u as usize]].push(*c);
    }
    let thr: Vec<f64> = per_role
        .iter_mut()
        .map(|c| {
            if c.is_empty() {
                return f64::INFINITY;
            }
            c.sort_unstable();
            let h = (c.len() - 1) as f64 * 0.99;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(c.len() - 1);
            c[lo] as f64 + (h - lo as f64) * (c[hi] as f64 - c[lo] as f64)
        })
        .collect();
    let flagged: HashSet<(u32, i64)> = counts
        .iter()
        .filter(|((u, _), c)| **c as f64 > thr[role_of[*u as usize]])
        .map(|(k, _)| *k)
        .collect();
    let missed = w.spree_days.difference(&flagged).count();
    let extra = flagged.difference(&w.spree_days).count();
    for e in w.events.iter_mut() {
        if flagged.contains(&(e.user, e.ts.div_euclid(DAY))) {
            e.gold |= VOLUME;
        }
    }

    // ---- write -----------------------------------------------------------------------
    // Events in time order, ids in that order; ties keep generation order.
    let mut order: Vec<u32> = (0..w.events.len() as u32).collect();
    order.sort_by_key(|&i| (w.events[i as usize].ts, i));
    let f = |name: &str| -> anyhow::Result<BufWriter<File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(out.join(name))?,
        ))
    };
    {
        let mut o = f("teams.csv")?;
        writeln!(o, "team_id,team_name,specialty,organisation")?;
        for (i, t) in w.teams.iter().enumerate() {
            let spec = if t.ooh {
                "Urgent care"
            } else if i % 3 == 0 {
                "General practice"
            } else if i % 3 == 1 {
                "Practice nursing"
            } else {
                "Community care"
            };
            writeln!(o, "T{:04},{} team {},{},{}", i, spec, i, spec, ORGS[t.org])?;
        }
        let mut o = f("patients.csv")?;
        writeln!(
            o,
            "patient_id,nhs_number,given,family,dob,address_line,town,postcode,deceased_date,vip"
        )?;
        for (i, p) in w.pats.iter().enumerate() {
            let s = &w.streets[p.street];
            // 999 prefix: synthetic NHS numbers
            writeln!(
                o,
                "P{:07},999{:07},{},{},{},{} {},{},{},{},{}",
                i,
                i,
                p.given,
                p.family,
                fmt_date(p.dob),
                p.number,
                s.name,
                s.town,
                s.postcode,
                p.deceased.map(fmt_date).unwrap_or_default(),
                if p.vip { "true" } else { "false" }
            )?;
        }
        let mut o = f("users.csv")?;
        writeln!(o, "user_id,given,family,role,team_id,organisation,start_date,leave_date,home_address_line,home_postcode,patient_id")?;
        for (i, u) in w.users.iter().enumerate() {
            writeln!(
                o,
                "U{:05},{},{},{},T{:04},{},{},{},{},{},{}",
                i,
                u.given,
                u.family,
                w.role_names[u.role],
                u.team,
                ORGS[u.org],
                fmt_date(u.start),
                u.leave.map(fmt_date).unwrap_or_default(),
                u.home.0,
                u.home.1,
                u.patient.map(|p| format!("P{p:07}")).unwrap_or_default()
            )?;
        }
        let mut o = f("care_episodes.csv")?;
        writeln!(
            o,
            "episode_id,patient_id,team_id,episode_type,start_ts,end_ts"
        )?;
        for (i, e) in w.eps.iter().enumerate() {
            writeln!(
                o,
                "C{:08},P{:07},T{:04},{},{},{}",
                i,
                e.patient,
                e.team,
                e.kind,
                fmt_ts(e.start),
                e.end.map(fmt_ts).unwrap_or_default()
            )?;
        }
        let mut o = f("events.csv")?;
        let mut g = f("gold.csv")?;
        let mut dc = f("decoys.csv")?;
        writeln!(o, "event_id,ts,user_id,patient_id,action,workstation")?;
        writeln!(g, "event_id,rule")?;
        writeln!(dc, "event_id,decoy,not_rule")?;
        let actions = [
            "view", "view", "view", "view", "view", "edit", "edit", "print", "view", "search",
        ];
        for (n, &i) in order.iter().enumerate() {
            let e = &w.events[i as usize];
            let u = &w.users[e.user as usize];
            writeln!(
                o,
                "E{:09},{},U{:05},P{:07},{},WS-{:04}-{}",
                n,
                fmt_ts(e.ts),
                e.user,
                e.patient,
                actions[e.action as usize],
                u.team,
                e.user % 7
            )?;
            for (b, name) in RULE_NAMES.iter().enumerate() {
                if e.gold & (1 << b) != 0 {
                    writeln!(g, "E{n:09},{name}")?;
                }
            }
            if e.decoy != 0 {
                let (dn, nr) = DECOYS[e.decoy as usize];
                writeln!(dc, "E{n:09},{dn},{nr}")?;
            }
        }
        o.flush()?;
        g.flush()?;
        dc.flush()?;
    }
    let mut summary: Vec<_> = planted.into_iter().collect();
    summary.sort();
    eprintln!(
        "audit-synth: {} events, {} patients, {} users, {} teams, {} episodes; planted {:?}; sprees {}; VOLUME user-days by formula {} (missed sprees {}, extra {})",
        w.events.len(), w.pats.len(), w.users.len(), w.teams.len(), w.eps.len(), summary, sprees, flagged.len(), missed, extra
    );
    if missed + extra > 0 {
        eprintln!("audit-synth: warning: the VOLUME gold (contract formula) differs from the planted sprees");
    }
    Ok(())
}
