//! Loading: the four reference tables into memory (they fit), the events table resolved and
//! checked but left on disk to be streamed.

use crate::config::Mapping;
use crate::table::{parse_bool, Kind, Prefer, RowReader, Table, TableSource};
use crate::time::{day_of, Ts};
use anyhow::{bail, Result};
use rustc_hash::FxHashMap;
use std::path::Path;

/// A row that was skipped (or kept with a caveat), by file and line, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Issues kept in full; beyond this only counted (a broken 50M-row file must not exhaust memory).
pub const MAX_ISSUES: usize = 10_000;

#[derive(Debug, Default, Clone)]
pub struct Issues {
    pub list: Vec<Issue>,
    pub total: u64,
}

impl Issues {
    pub fn push(&mut self, file: &str, line: u64, reason: String) {
        self.total += 1;
        if self.list.len() < MAX_ISSUES {
            self.list.push(Issue {
                file: file.to_string(),
                line,
                reason,
            });
        }
    }
}

/// Contract: "Addresses are compared normalised: trimmed, spaces collapsed, upper-case".
/// Surnames are compared the same way.
pub fn norm_text(s: &str) -> String {
    // already normalised (the common case): one copy
    let b = s.as_bytes();
    if b.iter().all(|&c| {
        c.is_ascii() && !c.is_ascii_lowercase() && (c == b' ' || !c.is_ascii_whitespace())
    }) && !s.contains("  ")
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
    {
        return s.to_string();
    }
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Contract: "postcodes without spaces" (and upper-case).
pub fn norm_postcode(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Contract: "House number = the leading digits of the address line; street = the rest."
/// The rest is trimmed of spaces and commas ("12, HIGH STREET" -> "HIGH STREET").
pub fn house_and_street(addr_norm: &str) -> (Option<u32>, String) {
    let digits = addr_norm.bytes().take_while(|b| b.is_ascii_digit()).count();
    let num = if digits == 0 {
        None
    } else {
        addr_norm[..digits.min(9)].parse().ok()
    };
    let street = addr_norm[digits..]
        .trim_start_matches([' ', ','])
        .trim()
        .to_string();
    (num, street)
}

#[derive(Debug, Clone)]
pub struct Patient {
    pub id: String,
    pub given: String,
    pub family: String,
    pub family_norm: String,
    pub address_line: String,
    pub addr_norm: String,
    pub postcode_norm: String,
    pub house_no: Option<u32>,
    pub street: String,
    pub deceased_day: Option<i64>,
    pub vip: bool,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub given: String,
    pub family: String,
    pub family_norm: String,
    pub role: u32,
    pub team: Option<u32>,
    pub org: String,
    pub leave_day: Option<i64>,
    pub home_addr_norm: String,
    pub home_postcode_norm: String,
    pub house_no: Option<u32>,
    pub street: String,
    pub patient: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub specialty: String,
    pub org: String,
}

#[derive(Debug, Clone)]
pub struct Episode {
    pub id: String,
    pub patient: u32,
    pub team: u32,
    pub kind: String,
    pub start: Ts,
    /// None = still open.
    pub end: Option<Ts>,
}

/// Id -> index. Ids of up to 15 bytes (nearly all) are packed into a `u128` key: a lookup
/// hashes and compares one integer, with no pointer chase to the key's bytes (the events pass
/// does two lookups per event, and 100,000 patients do not stay in cache).
#[derive(Debug, Default, Clone)]
pub struct IdIndex {
    short: std::collections::HashMap<u128, u32, MixBuild>,
    long: FxHashMap<Box<[u8]>, u32>,
    /// Set by `build_dense` when every id is one prefix followed by a fixed number of digits
    /// ("P0000123"): a lookup is then a prefix compare, a digit parse and an array index.
    dense: Option<Dense>,
}

/// Ids of one shape `PREFIX` + `digits` decimal digits: index by the number.
#[derive(Debug, Clone)]
struct Dense {
    prefix: Box<[u8]>,
    digits: usize,
    /// number -> index (`u32::MAX`: no such id)
    table: Vec<u32>,
}

/// Hash of a packed id. FxHash of a `u128` leaves the low bits (hashbrown's bucket index)
/// depending on the first bytes of the id only ("P0...", the same for every id): measured as
/// 21% of a 10M-event run in `IdIndex::get`. This mixes both halves into every bit.
#[derive(Debug, Default, Clone, Copy)]
pub struct MixBuild;

#[derive(Debug, Default, Clone, Copy)]
pub struct MixHasher(u64);

impl std::hash::BuildHasher for MixBuild {
    type Hasher = MixHasher;
    #[inline]
    fn build_hasher(&self) -> MixHasher {
        MixHasher(0)
    }
}

impl std::hash::Hasher for MixHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    #[inline]
    fn write_u64(&mut self, x: u64) {
        // splitmix64's finaliser over the running state
        let mut z = (self.0 ^ x).wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        self.0 = z ^ (z >> 31);
    }
    #[inline]
    fn write_u128(&mut self, x: u128) {
        self.write_u64(x as u64 ^ ((x >> 64) as u64).rotate_left(29));
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[inline]
fn pack(k: &[u8]) -> Option<u128> {
    if k.len() > 15 {
        return None;
    }
    let mut b = [0u8; 16];
    b[..k.len()].copy_from_slice(k);
    b[15] = k.len() as u8;
    Some(u128::from_le_bytes(b))
}

impl IdIndex {
    #[inline]
    pub fn get(&self, k: &[u8]) -> Option<&u32> {
        if let Some(d) = &self.dense {
            if k.len() != d.prefix.len() + d.digits
                || k.iter().zip(d.prefix.iter()).any(|(a, b)| a != b)
            {
                return None;
            }
            let mut n = 0usize;
            for &c in &k[d.prefix.len()..] {
                if !c.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + (c - b'0') as usize;
            }
            return d.table.get(n).filter(|&&v| v != u32::MAX);
        }
        match pack(k) {
            Some(x) => self.short.get(&x),
            None => self.long.get(k),
        }
    }
    /// Makes room for `n` more ids.
    pub fn reserve(&mut self, n: usize) {
        self.short.reserve(n.min(1 << 26));
    }

    /// Inserts; false when the id is already there.
    pub fn insert_new(&mut self, k: &[u8], v: u32) -> bool {
        use std::collections::hash_map::Entry;
        if self.dense.is_some() {
            if self.get(k).is_some() {
                return false;
            }
            self.dense = None;
        }
        match pack(k) {
            // one probe: found or inserted
            Some(x) => match self.short.entry(x) {
                Entry::Occupied(_) => false,
                Entry::Vacant(e) => {
                    e.insert(v);
                    true
                }
            },
            None => {
                if self.long.contains_key(k) {
                    return false;
                }
                self.long.insert(k.into(), v);
                true
            }
        }
    }
    pub fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }

    /// Every id, packed, with its index (None when an id is longer than 15 bytes).
    fn short_entries(&self) -> Option<Vec<([u8; 16], u32)>> {
        if !self.long.is_empty() {
            return None;
        }
        Some(
            self.short
                .iter()
                .map(|(&x, &v)| (x.to_le_bytes(), v))
                .collect(),
        )
    }

    /// Switches lookups to a dense table when every id is the same prefix followed by the same
    /// number of decimal digits (at most 18), and the numbers are not too sparse (the table at
    /// most 8 entries per id, plus 1024). Otherwise lookups stay hashed. Exact either way: with
    /// a fixed width, the digits of an id and its number are one-to-one.
    pub fn build_dense(&mut self) {
        self.dense = None;
        let Some(packed) = self.short_entries() else {
            return;
        };
        let ids: Vec<(&[u8], u32)> = packed
            .iter()
            .map(|(b, v)| (&b[..b[15] as usize], *v))
            .collect();
        let Some(&(first, _)) = ids.first() else {
            return;
        };
        let len = first.len();
        // the prefix ends where the trailing digits of every id begin
        let mut p = 0;
        for (k, _) in &ids {
            if k.len() != len {
                return;
            }
            let digits = k.iter().rev().take_while(|c| c.is_ascii_digit()).count();
            p = p.max(len - digits);
        }
        let digits = len - p;
        if digits == 0 || digits > 18 || ids.iter().any(|(k, _)| k[..p] != first[..p]) {
            return;
        }
        let num = |k: &[u8]| {
            k[p..]
                .iter()
                .fold(0usize, |n, &c| n * 10 + (c - b'0') as usize)
        };
        let max = ids.iter().map(|(k, _)| num(k)).max().unwrap_or(0);
        if max >= 8 * ids.len() + 1024 {
            return;
        }
        let mut table = vec![u32::MAX; max + 1];
        for (k, v) in &ids {
            table[num(k)] = *v;
        }
        self.dense = Some(Dense {
            prefix: first[..p].into(),
            digits,
            table,
        });
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The fields of an episode the rules read, packed (24 bytes) and in the same order as
/// `Reference::episodes`, so that scanning a patient's episodes stays in one or two cache lines.
#[derive(Debug, Clone, Copy)]
pub struct EpHot {
    pub team: u32,
    /// Index of the episode's type in `Reference::episode_kinds`.
    pub kind: u32,
    pub start: Ts,
    /// `Ts::MAX` when open.
    pub end: Ts,
}

/// The reference tables, indexed.
#[derive(Debug, Default)]
pub struct Reference {
    pub patients: Vec<Patient>,
    pub users: Vec<User>,
    pub teams: Vec<Team>,
    /// The episodes sorted by (patient, start, episode id); those of patient p are
    /// `ep_index[p]..ep_index[p+1]` (in `ep_hot` and `episode_id`).
    pub ep_index: Vec<u32>,
    pub roles: Vec<String>,
    pub ep_hot: Vec<EpHot>,
    /// The episode ids, one after the other in the order of `ep_hot`; id i ends at
    /// `ep_id_end[i]` (one arena instead of a `String` each: 7.8 million episodes at 100M events).
    pub ep_ids: Vec<u8>,
    pub ep_id_end: Vec<u32>,
    /// The distinct episode types (normalised), indexed by `EpHot::kind`.
    pub episode_kinds: Vec<String>,
    pub patient_ix: IdIndex,
    pub user_ix: IdIndex,
    pub team_ix: IdIndex,
    /// patient -> users who are that patient (staff who are also patients; COWORKER).
    pub users_as_patient: FxHashMap<u32, Vec<u32>>,
}

impl Reference {
    /// The positions (in `ep_hot`, `episode`, `episode_id`) of the episodes of patient p.
    #[inline]
    pub fn episode_range(&self, p: u32) -> std::ops::Range<usize> {
        self.ep_index[p as usize] as usize..self.ep_index[p as usize + 1] as usize
    }

    /// The id of the episode at position i.
    #[inline]
    pub fn episode_id(&self, i: usize) -> &str {
        let a = if i == 0 {
            0
        } else {
            self.ep_id_end[i - 1] as usize
        };
        std::str::from_utf8(&self.ep_ids[a..self.ep_id_end[i] as usize]).unwrap_or("")
    }

    /// The episode at position i, in full.
    pub fn episode(&self, i: usize) -> Episode {
        let h = self.ep_hot[i];
        Episode {
            id: self.episode_id(i).to_string(),
            patient: self
                .ep_index
                .partition_point(|&x| x as usize <= i)
                .saturating_sub(1) as u32,
            team: h.team,
            kind: self.episode_kinds[h.kind as usize].clone(),
            start: h.start,
            end: (h.end != Ts::MAX).then_some(h.end),
        }
    }

    /// The episodes of patient p, in full.
    pub fn episodes_of(&self, p: u32) -> Vec<Episode> {
        self.episode_range(p).map(|i| self.episode(i)).collect()
    }
    #[inline]
    pub fn hot_of(&self, p: u32) -> &[EpHot] {
        let (a, b) = (
            self.ep_index[p as usize] as usize,
            self.ep_index[p as usize + 1] as usize,
        );
        &self.ep_hot[a..b]
    }
}

/// A loaded data set: reference tables in memory, the events file checked and ready to stream.
pub struct Dataset {
    pub reference: Reference,
    pub events: TableSource,
    /// Rows of the reference tables that were skipped or kept with a caveat.
    pub issues: Issues,
    /// For each table found both as CSV and as Parquet: which file was read.
    pub chosen: Vec<String>,
}

/// Parses the date/timestamp columns of the current row. `Err` = the file does not map (the
/// column's first value matches none of the formats); `Ok(Err(reason))` = a bad row.
pub(crate) fn parse_dates(
    src: &TableSource,
    r: &RowReader,
    seen_valid: &mut [bool],
    out: &mut [Option<Ts>],
) -> Result<std::result::Result<(), String>> {
    for (i, col) in src.table.columns().iter().enumerate() {
        if !matches!(col.kind, Kind::Date | Kind::Ts) {
            continue;
        }
        let v = r.get(i);
        if v.is_empty() {
            out[i] = None;
            continue;
        }
        let p = src.parsers[i].as_ref().expect("date column has parser");
        match p.parse(v) {
            Some(t) => {
                seen_valid[i] = true;
                out[i] = Some(t);
            }
            None => {
                let msg = format!(
                    "{} {:?} matches none of the formats [{}]",
                    col.name,
                    String::from_utf8_lossy(v),
                    p.describe()
                );
                if !seen_valid[i] {
                    bail!(
                        "{}:{}: unknown date format: {msg}; the file does not map: set `formats` for {}.{} in the mapping file",
                        r.file, r.line(), src.table.name(), col.name
                    );
                }
                return Ok(Err(msg));
            }
        }
    }
    Ok(Ok(()))
}

/// Checks that the events file maps: columns present and the first timestamps parse.
pub fn check_events(src: &TableSource) -> Result<()> {
    let mut r = src.open()?;
    let ncols = src.table.columns().len();
    let mut seen = vec![false; ncols];
    let mut out = vec![None; ncols];
    let ts = Table::Events.col("ts");
    let mut rows = 0;
    while rows < 1000 && r.next_row()? {
        rows += 1;
        if r.malformed().is_some() {
            continue;
        }
        let _ = parse_dates(src, &r, &mut seen, &mut out)?;
        if seen[ts] {
            break;
        }
    }
    Ok(())
}

fn intern(ix: &mut IdIndex, key: &[u8], next: u32) -> Option<u32> {
    ix.insert_new(key, next).then_some(next)
}

/// Loads a data folder (canonical file names, or as named by the mapping). A folder holding
/// both `TABLE.csv` and `TABLE.parquet` is read from Parquet (`load_with` to choose);
/// `Dataset::chosen` says so.
pub fn load(dir: &Path, mapping: Option<&Mapping>) -> Result<Dataset> {
    load_with(dir, mapping, Prefer::default())
}

/// As `load`, with the format to read when a table is there both as CSV and as Parquet.
pub fn load_with(dir: &Path, mapping: Option<&Mapping>, prefer: Prefer) -> Result<Dataset> {
    let mut issues = Issues::default();
    let mut rf = Reference::default();
    let srcs: Vec<TableSource> = Table::ALL
        .iter()
        .map(|t| TableSource::resolve_with(dir, mapping, *t, prefer))
        .collect::<Result<_>>()?;
    let chosen: Vec<String> = srcs.iter().filter_map(|s| s.chosen.clone()).collect();
    let [patients, users, teams, episodes, events] =
        <[TableSource; 5]>::try_from(srcs).map_err(|_| anyhow::anyhow!("internal: five tables"))?;
    // Refuse a non-mapping events file before loading anything else.
    check_events(&events)?;

    // teams
    {
        let t = Table::Teams;
        let mut r = teams.open()?;
        let (id, name, spec, org) = (
            t.col("team_id"),
            t.col("team_name"),
            t.col("specialty"),
            t.col("organisation"),
        );
        while r.next_row()? {
            if let Some(m) = r.malformed() {
                issues.push(&r.file, r.line(), m.to_string());
                continue;
            }
            if r.get(id).is_empty() {
                issues.push(&r.file, r.line(), "empty team_id".into());
                continue;
            }
            if intern(&mut rf.team_ix, r.get(id), rf.teams.len() as u32).is_none() {
                issues.push(
                    &r.file,
                    r.line(),
                    format!("duplicate team_id {:?}", r.get_str(id)),
                );
                continue;
            }
            rf.teams.push(Team {
                id: r.get_str(id),
                name: r.get_str(name),
                specialty: r.get_str(spec),
                org: norm_text(&r.get_str(org)),
            });
        }
    }
    rf.team_ix.build_dense();
    // patients
    {
        let t = Table::Patients;
        let mut r = patients.open()?;
        let n = t.columns().len();
        let (mut seen, mut dates) = (vec![false; n], vec![None; n]);
        let c = |s| t.col(s);
        while r.next_row()? {
            if let Some(m) = r.malformed() {
                issues.push(&r.file, r.line(), m.to_string());
                continue;
            }
            if let Err(e) = parse_dates(&patients, &r, &mut seen, &mut dates)? {
                issues.push(&r.file, r.line(), e);
                continue;
            }
            let Some(vip) = parse_bool(r.get(c("vip"))) else {
                issues.push(
                    &r.file,
                    r.line(),
                    format!("vip {:?} is not a boolean", r.get_str(c("vip"))),
                );
                continue;
            };
            let pid = r.get(c("patient_id"));
            if pid.is_empty() {
                issues.push(&r.file, r.line(), "empty patient_id".into());
                continue;
            }
            if intern(&mut rf.patient_ix, pid, rf.patients.len() as u32).is_none() {
                issues.push(
                    &r.file,
                    r.line(),
                    format!("duplicate patient_id {:?}", r.get_str(c("patient_id"))),
                );
                continue;
            }
            let address_line = r.get_str(c("address_line"));
            let addr_norm = norm_text(&address_line);
            let (house_no, street) = house_and_street(&addr_norm);
            let family = r.get_str(c("family"));
            rf.patients.push(Patient {
                id: r.get_str(c("patient_id")),
                given: r.get_str(c("given")),
                family_norm: norm_text(&family),
                family,
                address_line,
                addr_norm,
                postcode_norm: norm_postcode(&r.get_str(c("postcode"))),
                house_no,
                street,
                deceased_day: dates[c("deceased_date")].map(day_of),
                vip,
            });
        }
    }
    rf.patient_ix.build_dense();
    // users
    {
        let t = Table::Users;
        let mut r = users.open()?;
        let n = t.columns().len();
        let (mut seen, mut dates) = (vec![false; n], vec![None; n]);
        let c = |s| t.col(s);
        let mut role_ix: FxHashMap<String, u32> = FxHashMap::default();
        while r.next_row()? {
            if let Some(m) = r.malformed() {
                issues.push(&r.file, r.line(), m.to_string());
                continue;
            }
            if let Err(e) = parse_dates(&users, &r, &mut seen, &mut dates)? {
                issues.push(&r.file, r.line(), e);
                continue;
            }
            let uid = r.get(c("user_id"));
            if uid.is_empty() {
                issues.push(&r.file, r.line(), "empty user_id".into());
                continue;
            }
            let idx = rf.users.len() as u32;
            if intern(&mut rf.user_ix, uid, idx).is_none() {
                issues.push(
                    &r.file,
                    r.line(),
                    format!("duplicate user_id {:?}", r.get_str(c("user_id"))),
                );
                continue;
            }
            let team_raw = r.get(c("team_id"));
            let team = rf.team_ix.get(team_raw).copied();
            if team.is_none() {
                issues.push(&r.file, r.line(), format!(
                    "user kept, but team_id {:?} is not in teams: none of this user's accesses can be explained",
                    r.get_str(c("team_id"))));
            }
            let pat_raw = r.get(c("patient_id"));
            let patient = if pat_raw.is_empty() {
                None
            } else {
                let p = rf.patient_ix.get(pat_raw).copied();
                if p.is_none() {
                    issues.push(
                        &r.file,
                        r.line(),
                        format!(
                            "user kept, but patient_id {:?} is not in patients (SELF/COWORKER cannot match it)",
                            r.get_str(c("patient_id"))
                        ),
                    );
                }
                p
            };
            let role_name = norm_text(&r.get_str(c("role")));
            let next_role = role_ix.len() as u32;
            let role = *role_ix.entry(role_name.clone()).or_insert_with(|| {
                rf.roles.push(role_name);
                next_role
            });
            let home = norm_text(&r.get_str(c("home_address_line")));
            let (house_no, street) = house_and_street(&home);
            let family = r.get_str(c("family"));
            if let Some(p) = patient {
                rf.users_as_patient.entry(p).or_default().push(idx);
            }
            rf.users.push(User {
                id: r.get_str(c("user_id")),
                given: r.get_str(c("given")),
                family_norm: norm_text(&family),
                family,
                role,
                team,
                org: norm_text(&r.get_str(c("organisation"))),
                leave_day: dates[c("leave_date")].map(day_of),
                home_addr_norm: home,
                home_postcode_norm: norm_postcode(&r.get_str(c("home_postcode"))),
                house_no,
                street,
                patient,
            });
        }
    }
    rf.user_ix.build_dense();
    load_episodes(&episodes, &mut rf, &mut issues)?;
    Ok(Dataset {
        reference: rf,
        events,
        issues,
        chosen,
    })
}

/// Loads the care episodes into `rf` (compactly: `EpHot`, the ids in one arena), sorted by
/// (patient, start, episode id). Rows are checked in file order, as the other tables: a row
/// with an unknown patient or team, or no start, is skipped; of rows with the same episode id
/// the first is kept and the later ones are reported as duplicates. Duplicate ids are found by
/// sorting the ids once at the end (not a hash probe per row); the issues of the file are then
/// reported in line order.
fn load_episodes(src: &TableSource, rf: &mut Reference, issues: &mut Issues) -> Result<()> {
    let t = Table::CareEpisodes;
    let mut r = src.open()?;
    let n = t.columns().len();
    let (mut seen, mut dates) = (vec![false; n], vec![None; n]);
    let (k_patient_id, k_team_id, k_start_ts, k_episode_id, k_episode_type, k_end_ts) = (
        t.col("patient_id"),
        t.col("team_id"),
        t.col("start_ts"),
        t.col("episode_id"),
        t.col("episode_type"),
        t.col("end_ts"),
    );
    let hint = std::fs::metadata(&src.path)
        .map(|m| m.len() / 64)
        .unwrap_or(0)
        .min(1 << 26) as usize;
    // per kept row, in file order
    let mut hot: Vec<EpHot> = Vec::with_capacity(hint);
    let mut patient: Vec<u32> = Vec::with_capacity(hint);
    let mut line: Vec<u64> = Vec::with_capacity(hint);
    let mut ids: Vec<u8> = Vec::with_capacity(hint * 10);
    let mut id_end: Vec<usize> = Vec::with_capacity(hint);
    // issues of this file: (line, reason), in line order
    let mut found: Vec<(u64, String)> = Vec::new();
    // episode types repeat: normalised once each (raw -> index of the normalised type)
    let mut kinds: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
    let mut kind_ix: FxHashMap<String, u32> = FxHashMap::default();
    let file = r.file.clone();
    while r.next_row()? {
        if let Some(m) = r.malformed() {
            found.push((r.line(), m.to_string()));
            continue;
        }
        if let Err(e) = parse_dates(src, &r, &mut seen, &mut dates)? {
            found.push((r.line(), e));
            continue;
        }
        let Some(&p) = rf.patient_ix.get(r.get(k_patient_id)) else {
            found.push((
                r.line(),
                format!("unknown patient_id {:?}", r.get_str(k_patient_id)),
            ));
            continue;
        };
        let Some(&team) = rf.team_ix.get(r.get(k_team_id)) else {
            found.push((
                r.line(),
                format!("unknown team_id {:?}", r.get_str(k_team_id)),
            ));
            continue;
        };
        let Some(start) = dates[k_start_ts] else {
            found.push((r.line(), "empty start_ts".into()));
            continue;
        };
        let raw = r.get(k_episode_type);
        let kind = match kinds.get(raw) {
            Some(&k) => k,
            None => {
                let norm = norm_text(&String::from_utf8_lossy(raw));
                let next = kind_ix.len() as u32;
                let k = *kind_ix.entry(norm).or_insert(next);
                kinds.insert(raw.to_vec(), k);
                k
            }
        };
        hot.push(EpHot {
            team,
            kind,
            start,
            end: dates[k_end_ts].unwrap_or(Ts::MAX),
        });
        patient.push(p);
        line.push(r.line());
        ids.extend_from_slice(r.get(k_episode_id));
        id_end.push(ids.len());
    }
    let id_of = |i: usize| -> &[u8] {
        let a = if i == 0 { 0 } else { id_end[i - 1] };
        &ids[a..id_end[i]]
    };
    // duplicate ids: the rows after the first of each id
    let rows = hot.len();
    let mut dup = vec![false; rows];
    let mut any_dup = false;
    {
        let mut short: Vec<(u128, u32)> = Vec::with_capacity(rows);
        let mut long: FxHashMap<&[u8], ()> = FxHashMap::default();
        for (i, d) in dup.iter_mut().enumerate() {
            let k = id_of(i);
            if k.len() <= 15 {
                let mut b = [0u8; 16];
                b[..k.len()].copy_from_slice(k);
                b[15] = k.len() as u8;
                short.push((u128::from_le_bytes(b), i as u32));
            } else if long.insert(k, ()).is_some() {
                *d = true;
                any_dup = true;
            }
        }
        short.sort_unstable();
        for w in short.windows(2) {
            if w[0].0 == w[1].0 {
                dup[w[1].1 as usize] = true;
                any_dup = true;
            }
        }
    }
    if any_dup {
        for (i, d) in dup.iter().enumerate() {
            if *d {
                found.push((
                    line[i],
                    format!(
                        "duplicate episode_id {:?}",
                        String::from_utf8_lossy(id_of(i)).into_owned()
                    ),
                ));
            }
        }
        found.sort_by_key(|f| f.0);
    }
    for (l, reason) in found {
        issues.push(&file, l, reason);
    }
    drop(line);
    // the order: (patient, start, id); the keys are distinct (ids are)
    let mut order: Vec<(u32, Ts, u32)> = (0..rows)
        .filter(|&i| !dup[i])
        .map(|i| (patient[i], hot[i].start, i as u32))
        .collect();
    drop(dup);
    // ids compared as the text kept (lossy UTF-8), as the episode ids are read back
    let text = |i: u32| String::from_utf8_lossy(id_of(i as usize));
    order.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| text(a.2).cmp(&text(b.2)))
    });
    rf.ep_hot = order.iter().map(|&(_, _, i)| hot[i as usize]).collect();
    drop(hot);
    rf.ep_ids = Vec::with_capacity(ids.len());
    rf.ep_id_end = Vec::with_capacity(order.len());
    for &(_, _, i) in &order {
        rf.ep_ids.extend_from_slice(text(i).as_bytes());
        let Ok(end) = u32::try_from(rf.ep_ids.len()) else {
            bail!(
                "{}: the episode ids take more than 4 GiB",
                src.path.display()
            );
        };
        rf.ep_id_end.push(end);
    }
    let mut names: Vec<(String, u32)> = kind_ix.into_iter().collect();
    names.sort_by_key(|k| k.1);
    rf.episode_kinds = names.into_iter().map(|(k, _)| k).collect();
    rf.ep_index = vec![0; rf.patients.len() + 1];
    for &(p, _, _) in &order {
        rf.ep_index[p as usize + 1] += 1;
    }
    for i in 1..rf.ep_index.len() {
        rf.ep_index[i] += rf.ep_index[i - 1];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::IdIndex;

    fn index(ids: &[&str]) -> IdIndex {
        let mut ix = IdIndex::default();
        for (i, id) in ids.iter().enumerate() {
            assert!(ix.insert_new(id.as_bytes(), i as u32));
        }
        ix.build_dense();
        ix
    }

    #[test]
    fn prefix_and_fixed_digits_ids_are_looked_up_densely_and_exactly() {
        let ix = index(&["P0000007", "P0000001", "P0000100"]);
        assert!(ix.dense.is_some());
        assert_eq!(ix.get(b"P0000007"), Some(&0));
        assert_eq!(ix.get(b"P0000100"), Some(&2));
        for miss in [
            "P0000002",
            "P000007",
            "P00000007",
            "Q0000007",
            "P00000x7",
            "",
            "P0100000",
        ] {
            assert_eq!(ix.get(miss.as_bytes()), None, "{miss}");
        }
        // digits-only ids, and a shared prefix that ends in digits
        let ix = index(&["12", "07", "99"]);
        assert!(ix.dense.is_some());
        assert_eq!(ix.get(b"07"), Some(&1));
        assert_eq!(ix.get(b"7"), None);
        let ix = index(&["WARD1-001", "WARD1-002"]);
        assert!(ix.dense.is_some());
        assert_eq!(ix.get(b"WARD1-002"), Some(&1));
        assert_eq!(ix.get(b"WARD2-002"), None);
    }

    #[test]
    fn other_ids_stay_hashed() {
        for ids in [
            &["P1", "P22"][..],
            &["A1", "B2"][..],
            &["P1", "P9999999"][..],
            &["alpha", "beta"][..],
            &[
                "a-very-long-identifier-00001",
                "a-very-long-identifier-00002",
            ][..],
        ] {
            let ix = index(ids);
            assert!(ix.dense.is_none(), "{ids:?}");
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(ix.get(id.as_bytes()), Some(&(i as u32)));
            }
            assert_eq!(ix.get(b"P3"), None);
        }
        // an insert after the dense table was built falls back to hashing
        let mut ix = index(&["P01", "P02"]);
        assert!(ix.insert_new(b"X", 2));
        assert!(ix.dense.is_none());
        assert_eq!(ix.get(b"P02"), Some(&1));
        assert_eq!(ix.get(b"X"), Some(&2));
    }
}
