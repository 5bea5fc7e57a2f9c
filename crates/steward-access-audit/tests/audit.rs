//! Acceptance tests of the access-audit engine on small hand-written tables: every rule of
//! shared/reference/access-audit-rules.md and every decoy kind, order independence, bad input,
//! mappings, Parquet, and streaming within a memory bound. One test binary (see ENGINEERING.md).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use steward_access_audit::{load, load_with_mapping_file, run, Mapping, Rules};

const TEAMS: &str = "team_id,team_name,specialty,organisation
T1,GP team,General practice,North Park Surgery
T2,Nursing,Practice nursing,north park  surgery
T9,Out of hours,Urgent care,OOH Service
";

// P1 is user U1's own record; U1 lives at 12 High Street ZZ1 1AA.
const PATIENTS: &str =
    "patient_id,nhs_number,given,family,dob,address_line,town,postcode,deceased_date,vip
P1,9990000001,Ann,Smith,1980-01-01,12 High Street,Town,ZZ1 1AA,,false
P2,9990000002,Bob,SMITH,1982-01-01,12  high street ,Town,zz11aa,,false
P3,9990000003,Cat,Jones,1990-01-01,12 High Street,Town,ZZ1 1AA,,false
P4,9990000004,Dan,Smith,1970-01-01,40 Low Road,Town,ZZ9 9ZZ,,false
P5,9990000005,Bob,Smith,1982-01-01,7 Other Lane,Town,ZZ8 8AA,,false
P6,9990000006,Eve,Brown,1975-01-01,16 High Street,Town,ZZ1 1AA,,false
P7,9990000007,Fay,Green,1975-01-01,17 High Street,Town,ZZ1 1AA,,false
P8,9990000008,Gus,White,1975-01-01,14 High Street,Town,ZZ1 1AA,,false
P9,9990000009,Hal,Black,1985-01-01,1 Far Road,Town,ZZ7 7AA,,false
P10,9990000010,Ivy,Gray,1985-01-01,2 Far Road,Town,ZZ7 7AB,,false
P11,9990000011,Kim,Star,1960-01-01,1 Palace Row,Town,ZZ6 6AA,,true
P12,9990000012,Lou,Late,1930-01-01,5 Hill Road,Town,ZZ5 5AA,2025-05-10,false
P13,9990000013,Max,Plain,1950-01-01,9 Mill Lane,Town,ZZ4 4AA,,false
P14,9990000014,Ned,Night,1950-01-01,3 Mill Lane,Town,ZZ4 4AB,,false
P15,9990000015,Oli,Open,1950-01-01,4 Mill Lane,Town,ZZ4 4AC,,false
";

const USERS: &str = "user_id,given,family,role,team_id,organisation,start_date,leave_date,home_address_line,home_postcode,patient_id
U1,Ann,Smith,GP,T1,North Park Surgery,2020-01-01,,12 High Street,ZZ1 1AA,P1
U2,Hal,Black,Nurse,T2,North Park Surgery,2020-01-01,,1 Far Road,ZZ7 7AA,P9
U3,Ivy,Gray,GP,T9,OOH Service,2020-01-01,,2 Far Road,ZZ7 7AB,P10
U4,Leo,Lee,Admin,T1,North Park Surgery,2020-01-01,2025-05-15,3 Staff Row,ZY1 1AA,
";

const EPISODES: &str = "episode_id,patient_id,team_id,episode_type,start_ts,end_ts
C1,P8,T1,appointment,2025-05-20 09:00:00,2025-05-20 09:30:00
C2,P14,T9,emergency,2025-05-20 21:00:00,2025-05-20 23:00:00
C3,P13,T1,referral,2025-05-01 10:00:00,2025-05-10 10:00:00
C4,P15,T2,referral,2025-01-01 08:00:00,
C5,P11,T1,appointment,2025-06-01 09:00:00,2025-06-01 09:30:00
C6,P14,T1,appointment,2025-05-15 10:00:00,2025-05-15 10:30:00
";

/// (event_id, ts, user, patient, expected rules)
const CASES: &[(&str, &str, &str, &str, &[&str])] = &[
    // SELF, regardless of episodes
    (
        "self",
        "2025-05-20 10:00:00",
        "U1",
        "P1",
        &["SELF", "UNEXPLAINED"],
    ),
    // FAMILY: same normalised address and postcode, same surname (case and spaces differ)
    (
        "family",
        "2025-05-20 10:01:00",
        "U1",
        "P2",
        &["FAMILY", "UNEXPLAINED"],
    ),
    // decoy: same household, other surname (lodger)
    (
        "lodger",
        "2025-05-20 10:02:00",
        "U1",
        "P3",
        &["UNEXPLAINED"],
    ),
    // decoy: same surname in another household is not FAMILY
    (
        "surname",
        "2025-05-20 10:03:00",
        "U1",
        "P4",
        &["UNEXPLAINED"],
    ),
    // decoy: namesake (same given and family name as P2) elsewhere
    (
        "namesake",
        "2025-05-20 10:04:00",
        "U1",
        "P5",
        &["UNEXPLAINED"],
    ),
    // NEIGHBOUR: 16 vs 12, exactly 4 apart
    (
        "neighbour",
        "2025-05-20 10:05:00",
        "U1",
        "P6",
        &["NEIGHBOUR", "UNEXPLAINED"],
    ),
    // decoy: same street 5 apart
    ("far", "2025-05-20 10:06:00", "U1", "P7", &["UNEXPLAINED"]),
    // decoy: neighbour who is the treating clinician's patient with an episode: explained
    ("treating", "2025-05-20 10:07:00", "U1", "P8", &[]),
    // COWORKER: P9 is user U2 of the same organisation (normalised)
    (
        "coworker",
        "2025-05-20 10:08:00",
        "U1",
        "P9",
        &["COWORKER", "UNEXPLAINED"],
    ),
    // decoy: colleague of another organisation
    (
        "other_org",
        "2025-05-20 10:09:00",
        "U1",
        "P10",
        &["UNEXPLAINED"],
    ),
    // VIP, and VIP with a care relationship (C5 window 2025-05-31 09:00 .. 2025-06-15 09:30)
    (
        "vip",
        "2025-05-20 10:10:00",
        "U1",
        "P11",
        &["VIP", "UNEXPLAINED"],
    ),
    ("vip_explained", "2025-06-02 10:00:00", "U1", "P11", &[]),
    // DECEASED: day of death not flagged, the day after is
    (
        "death_day",
        "2025-05-10 15:00:00",
        "U1",
        "P12",
        &["UNEXPLAINED"],
    ),
    (
        "deceased",
        "2025-05-11 09:00:00",
        "U1",
        "P12",
        &["DECEASED", "UNEXPLAINED"],
    ),
    // LEAVER: the leaving day is not flagged, the day after is (explained by C3 either way)
    ("leaving_day", "2025-05-15 12:00:00", "U4", "P13", &[]),
    ("leaver", "2025-05-16 12:00:00", "U4", "P13", &["LEAVER"]),
    // AFTER_HOURS boundaries: explained by C3 (ended 2025-05-10), no active episode
    (
        "ah_0659",
        "2025-05-12 06:59:59",
        "U1",
        "P13",
        &["AFTER_HOURS"],
    ),
    ("ah_0700", "2025-05-12 07:00:00", "U1", "P13", &[]),
    ("ah_1959", "2025-05-12 19:59:59", "U1", "P13", &[]),
    (
        "ah_2000",
        "2025-05-12 20:00:00",
        "U1",
        "P13",
        &["AFTER_HOURS"],
    ),
    // AFTER_HOURS suppressed by another team's active emergency episode (C2, team T9); the
    // access is explained by C6 of the user's own team
    ("ah_emergency", "2025-05-20 22:00:00", "U1", "P14", &[]),
    // ... and by an open episode (C4) of any team; U1 has no episode for P15
    (
        "ah_open",
        "2025-12-01 23:00:00",
        "U1",
        "P15",
        &["UNEXPLAINED"],
    ),
    // Explained window edges of C3: [2025-04-30 10:00:00, 2025-05-24 10:00:00]
    (
        "win_before",
        "2025-04-30 09:59:59",
        "U1",
        "P13",
        &["UNEXPLAINED"],
    ),
    ("win_start", "2025-04-30 10:00:00", "U1", "P13", &[]),
    ("win_end", "2025-05-24 10:00:00", "U1", "P13", &[]),
    (
        "win_after",
        "2025-05-24 10:00:01",
        "U1",
        "P13",
        &["UNEXPLAINED"],
    ),
    // open episode: no upper bound (U2's team T2 has C4)
    ("open", "2025-12-01 10:00:00", "U2", "P15", &[]),
];

fn events_csv(rows: &[(&str, &str, &str, &str)]) -> String {
    let mut s = String::from("event_id,ts,user_id,patient_id,action,workstation\n");
    for (id, ts, u, p) in rows {
        s.push_str(&format!("{id},{ts},{u},{p},view,WS1\n"));
    }
    s
}

fn write_dir(dir: &Path, events: &str) {
    fs::write(dir.join("teams.csv"), TEAMS).unwrap();
    fs::write(dir.join("patients.csv"), PATIENTS).unwrap();
    fs::write(dir.join("users.csv"), USERS).unwrap();
    fs::write(dir.join("care_episodes.csv"), EPISODES).unwrap();
    fs::write(dir.join("events.csv"), events).unwrap();
}

fn fixture_events() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    CASES.iter().map(|c| (c.0, c.1, c.2, c.3)).collect()
}

/// The default rules without VOLUME: on these tiny tables U1's busiest day is, correctly, above
/// the 99th percentile of U1's role; VOLUME has its own test.
fn no_volume() -> Rules {
    let mut r = Rules::default();
    r.enabled[steward_access_audit::Rule::Volume.index()] = false;
    r
}

fn flags_of(dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let ds = load(dir, None).unwrap();
    let res = run(&ds, &no_volume(), &mut |_| {}).unwrap();
    let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in res.flags {
        m.entry(f.event_id)
            .or_default()
            .insert(f.rule.name().to_string());
    }
    m
}

fn assert_cases(got: &BTreeMap<String, BTreeSet<String>>) {
    for (id, _, _, _, want) in CASES {
        let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
        let have = got.get(*id).cloned().unwrap_or_default();
        assert_eq!(have, want, "event {id}");
    }
}

#[test]
fn every_rule_and_decoy_on_hand_written_tables() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let got = flags_of(dir.path());
    assert_cases(&got);
}

#[test]
fn evidence_names_the_relationship_and_the_nearest_episode() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let ds = load(dir.path(), None).unwrap();
    let res = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
    let ev = |id: &str, rule: &str| {
        res.flags
            .iter()
            .find(|f| f.event_id == id && f.rule.name() == rule)
            .unwrap_or_else(|| panic!("{id} {rule}"))
            .evidence
            .clone()
    };
    let fam = ev("family", "FAMILY");
    assert!(
        fam.contains("same household")
            && fam.contains("12 HIGH STREET")
            && fam.contains("ZZ11AA")
            && fam.contains("SMITH"),
        "{fam}"
    );
    let nb = ev("neighbour", "NEIGHBOUR");
    assert!(
        nb.contains("no. 12") && nb.contains("no. 16") && nb.contains("4 apart"),
        "{nb}"
    );
    let cw = ev("coworker", "COWORKER");
    assert!(cw.contains("user U2"), "{cw}");
    let un = ev("win_after", "UNEXPLAINED");
    assert!(
        un.contains("nearest episode of the user's team: C3")
            && un.contains("ended 14.0 days before"),
        "{un}"
    );
    let vol_free = ev("ah_open", "UNEXPLAINED");
    assert!(vol_free.contains("another team: C4"), "{vol_free}");
    let d = ev("deceased", "DECEASED");
    assert!(
        d.contains("died 2025-05-10") && d.contains("1 day(s) after"),
        "{d}"
    );
    // statistics: share explained and per-rule counts
    let n = CASES.len() as u64;
    assert_eq!(res.stats.events, n);
    let explained = CASES
        .iter()
        .filter(|c| !c.4.contains(&"UNEXPLAINED"))
        .count() as u64;
    assert_eq!(res.stats.explained, explained);
    assert!((res.stats.explained_share - explained as f64 / n as f64).abs() < 1e-12);
    assert_eq!(res.stats.per_rule["FAMILY"], 1);
    // cases: per user and patient, ranked by severity (VIP is the most severe in rules.toml)
    let top = &res.cases[0];
    assert_eq!(top.rank, 1);
    assert_eq!(top.patient_id.as_deref(), Some("P11"));
    assert!(res.cases.windows(2).all(|w| w[0].severity >= w[1].severity));
    let leaver = res.cases.iter().find(|c| c.user_id == "U4").unwrap();
    assert_eq!(leaver.events, 1);
}

#[test]
fn self_is_flagged_even_with_an_episode() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(
        dir.path(),
        &events_csv(&[("s", "2025-05-20 10:00:00", "U1", "P1")]),
    );
    let eps = format!("{EPISODES}C7,P1,T1,appointment,2025-05-20 09:00:00,2025-05-20 09:15:00\n");
    fs::write(dir.path().join("care_episodes.csv"), eps).unwrap();
    let got = flags_of(dir.path());
    assert_eq!(got["s"], BTreeSet::from(["SELF".to_string()]));
}

#[test]
fn volume_uses_linear_interpolation_of_the_99th_percentile() {
    use steward_access_audit::engine::percentile_linear;
    assert!((percentile_linear(&[1, 2, 3, 4, 5], 0.99) - 4.96).abs() < 1e-9);
    assert_eq!(percentile_linear(&[7], 0.99), 7.0);
    // 51 user-days of role CLERK: 49 with one patient, one with 10, one with 20.
    // Position 50 * 0.99 = 49.5: threshold 10 + 0.5 * (20 - 10) = 15. The day with 20 is
    // flagged, the day with 10 is not (nearest-rank would give 20 and flag nothing).
    let dir = tempfile::tempdir().unwrap();
    let mut patients = String::from(PATIENTS);
    for i in 0..20 {
        patients.push_str(&format!(
            "Q{i},,Q,Q{i},2000-01-01,{i} Q Street,T,ZQ{i} 1AA,,false\n"
        ));
    }
    let mut users = String::from(USERS);
    users.push_str("K1,Kay,Clerk,Clerk,T1,North Park Surgery,2020-01-01,,,,\n");
    users.push_str("K2,Kit,Clerk,clerk ,T1,North Park Surgery,2020-01-01,,,,\n");
    let mut ev = Vec::new();
    for d in 0..49 {
        // two events for the same patient count once
        let day = 20_089 + d; // 2025-01-01 onwards
        let date = steward_access_audit::time::fmt_date(day);
        ev.push((
            format!("a{d}"),
            format!("{date} 10:00:00"),
            "K1".to_string(),
            "Q0".to_string(),
        ));
        ev.push((
            format!("b{d}"),
            format!("{date} 11:00:00"),
            "K1".to_string(),
            "Q0".to_string(),
        ));
    }
    for i in 0..10 {
        ev.push((
            format!("ten{i}"),
            "2025-03-01 10:00:00".into(),
            "K2".into(),
            format!("Q{i}"),
        ));
    }
    for i in 0..20 {
        ev.push((
            format!("twenty{i}"),
            "2025-03-02 10:00:00".into(),
            "K2".into(),
            format!("Q{i}"),
        ));
    }
    let mut s = String::from("event_id,ts,user_id,patient_id,action,workstation\n");
    for (a, b, c, d) in &ev {
        s.push_str(&format!("{a},{b},{c},{d},view,W\n"));
    }
    write_dir(dir.path(), &s);
    fs::write(dir.path().join("patients.csv"), patients).unwrap();
    fs::write(dir.path().join("users.csv"), users).unwrap();
    let ds = load(dir.path(), None).unwrap();
    let res = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
    let vol: BTreeSet<&str> = res
        .flags
        .iter()
        .filter(|f| f.rule.name() == "VOLUME")
        .map(|f| f.event_id.as_str())
        .collect();
    let want: BTreeSet<String> = (0..20).map(|i| format!("twenty{i}")).collect();
    assert_eq!(vol, want.iter().map(|s| s.as_str()).collect());
    let t = res
        .stats
        .volume_thresholds
        .iter()
        .find(|t| t.role == "CLERK")
        .unwrap();
    assert_eq!(
        (t.user_days, t.threshold, t.flagged_user_days),
        (51, 15.0, 1)
    );
    let e = &res
        .flags
        .iter()
        .find(|f| f.rule.name() == "VOLUME")
        .unwrap()
        .evidence;
    assert!(
        e.contains("20 distinct patients on 2025-03-02") && e.contains("= 15.00"),
        "{e}"
    );
    // one case per user-day for VOLUME
    let c: Vec<_> = res.cases.iter().filter(|c| c.day.is_some()).collect();
    assert_eq!(c.len(), 1);
    assert_eq!((c[0].events, c[0].day.as_deref()), (20, Some("2025-03-02")));
}

#[test]
fn rules_file_parameters_are_used() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let text = steward_access_audit::config::DEFAULT_RULES_TOML
        .replace("max_house_number_gap = 4", "max_house_number_gap = 5")
        .replace("day_ends = \"20:00\"", "day_ends = \"21:00\"")
        .replace(
            "[rules.UNEXPLAINED]\nenabled = true",
            "[rules.UNEXPLAINED]\nenabled = false",
        );
    let rules = Rules::from_toml(&text).unwrap();
    let ds = load(dir.path(), None).unwrap();
    let res = run(&ds, &rules, &mut |_| {}).unwrap();
    let has = |id: &str, r: &str| {
        res.flags
            .iter()
            .any(|f| f.event_id == id && f.rule.name() == r)
    };
    assert!(has("far", "NEIGHBOUR"));
    assert!(!has("ah_2000", "AFTER_HOURS"));
    assert!(!res.flags.iter().any(|f| f.rule.name() == "UNEXPLAINED"));
    assert!(Rules::from_toml("[explained]\n").is_err());
}

#[test]
fn missing_column_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let p = PATIENTS
        .replace(",vip\n", "\n")
        .replace(",false\n", "\n")
        .replace(",true\n", "\n");
    fs::write(dir.path().join("patients.csv"), p).unwrap();
    let err = format!("{:#}", load(dir.path(), None).err().expect("must refuse"));
    assert!(
        err.contains("patients.csv: missing column \"vip\""),
        "{err}"
    );
}

#[test]
fn unknown_date_format_refuses_to_start_and_a_mapping_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<(String, String, String, String)> = CASES
        .iter()
        .map(|c| {
            let (d, t) = c.1.split_once(' ').unwrap();
            let (y, m, dd) = (&d[0..4], &d[5..7], &d[8..10]);
            (
                c.0.to_string(),
                format!("{dd}/{m}/{y} {t}"),
                c.2.to_string(),
                c.3.to_string(),
            )
        })
        .collect();
    let mut s = String::from("event_id,ts,user_id,patient_id,action,workstation\n");
    for (a, b, c, d) in &rows {
        s.push_str(&format!("{a},{b},{c},{d},view,W\n"));
    }
    write_dir(dir.path(), &s);
    let err = format!("{:#}", load(dir.path(), None).err().expect("must refuse"));
    assert!(err.contains("events.csv:2: unknown date format"), "{err}");
    let map = dir.path().join("map.toml");
    fs::write(
        &map,
        "[tables.events]\nformats = { ts = [\"%d/%m/%Y %H:%M:%S\"] }\n",
    )
    .unwrap();
    let ds = load_with_mapping_file(dir.path(), Some(&map)).unwrap();
    let res = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
    assert_eq!(res.stats.events, CASES.len() as u64);
    // an unknown specifier in a mapping is refused when loaded
    assert!(Mapping::from_toml("[tables.events]\nformats = { ts = [\"%d %b %Y\"] }\n").is_err());
}

#[test]
fn bad_rows_are_reported_by_file_and_line_and_not_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let mut ev = events_csv(&fixture_events());
    ev.push_str("x1,2025-05-20 10:00:00,NOBODY,P1,view,W\n");
    ev.push_str("x2,2025-05-20 10:00:00,U1,P404,view,W\n");
    ev.push_str("x3,2025-13-45 10:00:00,U1,P1,view,W\n");
    ev.push_str("x4,2025-05-20 10:00:00,U1\n");
    write_dir(dir.path(), &ev);
    let ds = load(dir.path(), None).unwrap();
    let res = run(&ds, &no_volume(), &mut |_| {}).unwrap();
    let n = CASES.len() as u64;
    assert_eq!(res.stats.events, n);
    assert_eq!(res.stats.rejected, 4);
    let msgs: Vec<String> = res.issues.list.iter().map(|i| i.to_string()).collect();
    assert!(
        msgs.contains(&format!(
            "events.csv:{}: event \"x1\": unknown user_id \"NOBODY\" (not in users): not evaluated",
            n + 2
        )),
        "{msgs:?}"
    );
    assert!(
        msgs.iter().any(|m| m.starts_with(&format!(
            "events.csv:{}: event \"x2\": unknown patient_id",
            n + 3
        ))),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with(&format!("events.csv:{}: event \"x3\": ts", n + 4))),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m == &format!("events.csv:{}: 3 fields where the header has 6", n + 5)),
        "{msgs:?}"
    );
    assert!(!res.flags.iter().any(|f| f.event_id.starts_with('x')));
    assert_cases(&{
        let mut m: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in &res.flags {
            m.entry(f.event_id.clone())
                .or_default()
                .insert(f.rule.name().into());
        }
        m
    });
    // a bad reference row: reported, the rest loads
    let p = format!(
        "{PATIENTS}P99,1,A,B,1990-02-31,1 X,T,ZZ1,,false\nP98,1,A,B,1990-01-01,1 X,T,ZZ1,,maybe\n"
    );
    fs::write(dir.path().join("patients.csv"), p).unwrap();
    let ds = load(dir.path(), None).unwrap();
    let m: Vec<String> = ds.issues.list.iter().map(|i| i.to_string()).collect();
    assert!(
        m[0].starts_with("patients.csv:17: dob \"1990-02-31\" matches none"),
        "{m:?}"
    );
    assert_eq!(m[1], "patients.csv:18: vip \"maybe\" is not a boolean");
}

#[test]
fn a_mapping_turns_a_system_export_into_the_canonical_tables() {
    let canon = tempfile::tempdir().unwrap();
    write_dir(canon.path(), &events_csv(&fixture_events()));
    let want = flags_of(canon.path());
    // the same data as another system exports it
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "");
    fs::remove_file(dir.path().join("events.csv")).unwrap();
    let mut s = String::from("AuditId;When;Login;PatientRef;Verb\n");
    for (id, ts, u, p, _) in CASES {
        let (d, t) = ts.split_once(' ').unwrap();
        s.push_str(&format!(
            "{id};{}/{}/{} {t};{u};{p};V\n",
            &d[8..10],
            &d[5..7],
            &d[0..4]
        ));
    }
    fs::write(dir.path().join("audit_trail.csv"), s).unwrap();
    let pats = PATIENTS
        .replace(",false\n", ",N\n")
        .replace(",true\n", ",Y\n");
    fs::write(dir.path().join("patients.csv"), pats).unwrap();
    let map = dir.path().join("pas.toml");
    fs::write(
        &map,
        r#"system = "Example PAS"
[tables.events]
file = "audit_trail.csv"
delimiter = ";"
columns = { event_id = "AuditId", ts = "When", user_id = "Login", patient_id = "PatientRef", action = "Verb" }
absent = ["workstation"]
formats = { ts = ["%d/%m/%Y %H:%M:%S"] }
[tables.events.values.action]
"V" = "view"
[tables.patients.values.vip]
"Y" = "true"
"N" = "false"
"#,
    )
    .unwrap();
    let ds = load_with_mapping_file(dir.path(), Some(&map)).unwrap();
    let res = run(&ds, &no_volume(), &mut |_| {}).unwrap();
    let mut got: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in res.flags {
        got.entry(f.event_id)
            .or_default()
            .insert(f.rule.name().into());
    }
    assert_eq!(got, want);
    // an unknown canonical column in a mapping is refused
    assert!(Mapping::from_toml("[tables.events]\ncolumns = { when = \"When\" }\n").is_err());
}

#[test]
fn a_parquet_folder_gives_the_same_flags_as_the_csv_folder() {
    let csv_dir = tempfile::tempdir().unwrap();
    write_dir(csv_dir.path(), &events_csv(&fixture_events()));
    let pq_dir = tempfile::tempdir().unwrap();
    for t in ["patients", "users", "teams", "care_episodes", "events"] {
        steward_access_audit::table::csv_to_parquet(
            &csv_dir.path().join(format!("{t}.csv")),
            &pq_dir.path().join(format!("{t}.parquet")),
        )
        .unwrap();
    }
    let a = load(csv_dir.path(), None).unwrap();
    let b = load(pq_dir.path(), None).unwrap();
    assert!(b.events.parquet);
    let ra = run(&a, &Rules::default(), &mut |_| {}).unwrap();
    let rb = run(&b, &Rules::default(), &mut |_| {}).unwrap();
    assert!(!ra.flags.is_empty());
    assert_eq!(ra.flags, rb.flags);
    assert_eq!(ra.cases, rb.cases);
    assert_eq!(ra.stats, rb.stats);
}

#[test]
fn monthly_sample_is_reproducible_and_order_independent() {
    let dir = tempfile::tempdir().unwrap();
    let mut ev = fixture_events();
    write_dir(dir.path(), &events_csv(&ev));
    let ds = load(dir.path(), None).unwrap();
    let rules = Rules::default();
    let (a, _) = steward_access_audit::sample(&ds, &rules, "2025-05", 3, 42).unwrap();
    let (b, _) = steward_access_audit::sample(&ds, &rules, "2025-05", 3, 42).unwrap();
    assert_eq!(a, b);
    // at most 3 per user, all in May 2025
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &a {
        *per.entry(r.user_id.as_str()).or_default() += 1;
        assert!(steward_access_audit::time::fmt_ts(r.ts).starts_with("2025-05"));
    }
    assert_eq!(per["U1"], 3);
    assert_eq!(per["U4"], 2); // U4 has only two accesses in May
    assert!(!per.contains_key("U2")); // U2's only access is in December
    ev.reverse();
    write_dir(dir.path(), &events_csv(&ev));
    let ds = load(dir.path(), None).unwrap();
    let (c, _) = steward_access_audit::sample(&ds, &rules, "2025-05", 3, 42).unwrap();
    assert_eq!(a, c);
    let (d, _) = steward_access_audit::sample(&ds, &rules, "2025-05", 3, 7).unwrap();
    assert_eq!(d.len(), a.len());
    assert!(steward_access_audit::sample::parse_period("2025-13").is_err());
}

#[test]
fn cli_run_writes_flags_cases_and_report() {
    use steward_access_audit::cli::{run as cli_run, AuditCommand, RunArgs, SampleArgs};
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let out = dir.path().join("flags.csv");
    let cases = dir.path().join("cases.csv");
    let report = dir.path().join("report.pdf");
    cli_run(AuditCommand::Run(RunArgs {
        prefer: Default::default(),
        mapping: None,
        data: dir.path().to_path_buf(),
        output: out.clone(),
        cases: Some(cases.clone()),
        report: Some(report),
        rules: None,
        issues: None,
        quiet: true,
    }))
    .unwrap();
    let flags = fs::read_to_string(&out).unwrap();
    assert!(flags.starts_with("event_id,rule,evidence\n"));
    assert!(flags.contains("\nfamily,FAMILY,"));
    let expected: usize = CASES.iter().map(|c| c.4.len()).sum();
    let volume = flags.lines().filter(|l| l.contains(",VOLUME,")).count();
    assert!(flags.contains("\nself,VOLUME,")); // U1's busiest day on these tiny tables
    assert_eq!(flags.lines().count() - volume, expected + 1);
    assert!(fs::read_to_string(&cases)
        .unwrap()
        .starts_with("rank,kind,user_id"));
    if cfg!(feature = "pdf") {
        let pdf = fs::read(dir.path().join("report.pdf")).unwrap();
        assert!(pdf.starts_with(b"%PDF"));
    } else {
        // built without the document stack: the summary goes to report.md beside it
        assert!(dir.path().join("report.md").exists());
    }
    let md_path = dir.path().join("report.md");
    cli_run(AuditCommand::Run(RunArgs {
        prefer: Default::default(),
        mapping: None,
        data: dir.path().to_path_buf(),
        output: out.clone(),
        cases: None,
        report: Some(md_path.clone()),
        rules: None,
        issues: None,
        quiet: true,
    }))
    .unwrap();
    let md = fs::read_to_string(md_path).unwrap();
    assert!(md.contains("# Access audit report") && md.contains("| FAMILY | 80 | 1 |"));
    let sample = dir.path().join("sample.csv");
    cli_run(AuditCommand::Sample(SampleArgs {
        prefer: Default::default(),
        mapping: None,
        data: dir.path().to_path_buf(),
        per_user: 2,
        period: "2025-05".into(),
        seed: 1,
        output: sample.clone(),
        rules: None,
    }))
    .unwrap();
    let s = fs::read_to_string(sample).unwrap();
    assert_eq!(s.lines().count(), 1 + 2 + 2); // U1: 2, U4: 2
}

mod order {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Shuffling the events (and the reference rows) changes no flag, case or statistic.
        #[test]
        fn shuffling_the_input_does_not_change_the_flags(seed in any::<u64>()) {
            let base = tempfile::tempdir().unwrap();
            let mut ev: Vec<(String, String, String, String)> = fixture_events().iter().map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string())).collect();
            // a VOLUME user-day too: 30 accesses by U2 on one day to distinct patients
            for i in 0..15 { ev.push((format!("v{i}"), "2025-07-01 11:00:00".into(), "U2".into(), format!("P{}", i + 1))); }
            for d in 1..=9 { ev.push((format!("w{d}"), format!("2025-07-1{d} 11:00:00"), "U2".into(), "P15".into())); }
            let write = |dir: &Path, ev: &[(String, String, String, String)], rot: usize| {
                let mut s = String::from("event_id,ts,user_id,patient_id,action,workstation\n");
                for (a, b, c, d) in ev { s.push_str(&format!("{a},{b},{c},{d},view,W\n")); }
                write_dir(dir, &s);
                // reference rows in another order too
                let mut p: Vec<&str> = PATIENTS.lines().skip(1).collect();
                let k = rot % p.len();
                p.rotate_left(k);
                fs::write(dir.join("patients.csv"), format!("{}\n{}\n", PATIENTS.lines().next().unwrap(), p.join("\n"))).unwrap();
                let mut e: Vec<&str> = EPISODES.lines().skip(1).collect();
                let k = rot % e.len();
                e.rotate_left(k);
                fs::write(dir.join("care_episodes.csv"), format!("{}\n{}\n", EPISODES.lines().next().unwrap(), e.join("\n"))).unwrap();
            };
            write(base.path(), &ev, 0);
            let ds = load(base.path(), None).unwrap();
            let a = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
            // Fisher-Yates with the proptest seed
            let mut x = seed | 1;
            for i in (1..ev.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                ev.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let shuffled = tempfile::tempdir().unwrap();
            write(shuffled.path(), &ev, (seed % 7) as usize);
            let ds = load(shuffled.path(), None).unwrap();
            let b = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
            let key = |f: &steward_access_audit::Flag| (f.event_id.clone(), f.rule, f.evidence.clone());
            let mut fa: Vec<_> = a.flags.iter().map(key).collect();
            let mut fb: Vec<_> = b.flags.iter().map(key).collect();
            fa.sort();
            fb.sort();
            prop_assert!(fa.iter().any(|f| f.1.name() == "VOLUME"));
            prop_assert_eq!(fa, fb);
            prop_assert_eq!(a.cases, b.cases);
            prop_assert_eq!(a.stats, b.stats);
        }
    }
}

/// A large events file streams: peak memory stays far below the file's size (Linux only).
#[test]
fn a_large_events_file_streams_within_a_memory_bound() {
    // The peak is the process's: measured in a process of its own (this test binary run again
    // for this test alone), so that the other tests' allocations, running beside it in this
    // process, do not count against the bound.
    if std::env::var_os("AUDIT_STREAM_ALONE").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "a_large_events_file_streams_within_a_memory_bound",
                "--exact",
                "--test-threads",
                "1",
            ])
            .env("AUDIT_STREAM_ALONE", "1")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("1 passed"),
            "the test did not run alone: {text}"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), "");
    let n: u64 = std::env::var("AUDIT_STREAM_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400_000);
    {
        use std::io::Write;
        let mut w =
            std::io::BufWriter::new(fs::File::create(dir.path().join("events.csv")).unwrap());
        writeln!(w, "event_id,ts,user_id,patient_id,action,workstation").unwrap();
        let pad = "x".repeat(200); // wide rows: a 100 MB file at the default size
        for i in 0..n {
            let day = 1 + (i % 28);
            writeln!(
                w,
                "E{i:09},2025-05-{day:02} 1{}:00:00,U{},P{},view,{pad}",
                i % 10,
                1 + i % 4,
                1 + i % 15
            )
            .unwrap();
        }
    }
    let size = fs::metadata(dir.path().join("events.csv")).unwrap().len();
    let hwm = || -> Option<u64> {
        let s = fs::read_to_string("/proc/self/status").ok()?;
        let l = s.lines().find(|l| l.starts_with("VmHWM:"))?;
        l.split_whitespace()
            .nth(1)?
            .parse::<u64>()
            .ok()
            .map(|kb| kb * 1024)
    };
    let before = hwm();
    let ds = load(dir.path(), None).unwrap();
    let mut flags = 0u64;
    let mut last = 0u64;
    let (_cases, stats, _issues) = steward_access_audit::run_streaming(
        &ds,
        &Rules::default(),
        &mut |p| last = p.events,
        &mut |_f| {
            flags += 1;
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(stats.events, n);
    assert_eq!(last, n);
    assert!(flags > 0);
    if let (Some(b), Some(a)) = (before, hwm()) {
        let grew = a.saturating_sub(b);
        assert!(
            // a fixed cost, not a share of the file: two reading threads (the two halves of
            // the CSV) each with up to four batches of 4,096 rows in flight, 1 MB buffers
            grew < size / 3 && grew < 48 << 20,
            "peak memory grew by {grew} bytes for a {size}-byte file"
        );
    }
}

/// Writes the fixture folder's five tables as Parquet into `to`.
fn fixture_as_parquet(
    from: &Path,
    to: &Path,
    compression: parquet::basic::Compression,
    typed: bool,
    row_group_rows: usize,
) {
    for t in ["patients", "users", "teams", "care_episodes", "events"] {
        steward_access_audit::table::csv_to_parquet_with(
            &from.join(format!("{t}.csv")),
            &to.join(format!("{t}.parquet")),
            compression,
            typed,
            row_group_rows,
        )
        .unwrap();
    }
}

#[test]
fn zstd_and_typed_parquet_give_the_same_flags_as_csv_in_the_same_order() {
    use parquet::basic::{Compression, ZstdLevel};
    let csv_dir = tempfile::tempdir().unwrap();
    write_dir(csv_dir.path(), &events_csv(&fixture_events()));
    let a = load(csv_dir.path(), None).unwrap();
    let ra = run(&a, &Rules::default(), &mut |_| {}).unwrap();
    assert!(!ra.flags.is_empty());
    // zstd (the default of pyarrow and DuckDB) and snappy; text or typed (DATE, TIMESTAMP)
    // date columns; row groups of 3 rows, so that several row groups are decoded in parallel
    // and must come back in file order.
    for (compression, typed, group) in [
        (Compression::ZSTD(ZstdLevel::default()), false, 1 << 17),
        (Compression::ZSTD(ZstdLevel::default()), true, 3),
        (Compression::SNAPPY, true, 3),
        (Compression::UNCOMPRESSED, true, 1),
    ] {
        let pq_dir = tempfile::tempdir().unwrap();
        fixture_as_parquet(csv_dir.path(), pq_dir.path(), compression, typed, group);
        let b = load(pq_dir.path(), None).unwrap();
        assert!(b.events.parquet);
        let rb = run(&b, &Rules::default(), &mut |_| {}).unwrap();
        let ctx = format!("{compression:?} typed={typed} group={group}");
        assert_eq!(ra.flags, rb.flags, "{ctx}");
        assert_eq!(ra.cases, rb.cases, "{ctx}");
        assert_eq!(ra.stats, rb.stats, "{ctx}");
        // the monthly sample reads every column, also from typed Parquet
        let rules = Rules::default();
        let (sa, _) = steward_access_audit::sample(&a, &rules, "2025-05", 3, 42).unwrap();
        let (sb, _) = steward_access_audit::sample(&b, &rules, "2025-05", 3, 42).unwrap();
        assert_eq!(sa, sb, "{ctx}");
    }
}

#[test]
fn a_folder_with_both_csv_and_parquet_reads_the_preferred_one_and_says_so() {
    use steward_access_audit::{load_with, Prefer};
    let dir = tempfile::tempdir().unwrap();
    let ev = fixture_events();
    // events.csv: every event; events.parquet: the first three only (to tell them apart)
    write_dir(dir.path(), &events_csv(&ev[..3]));
    steward_access_audit::table::csv_to_parquet(
        &dir.path().join("events.csv"),
        &dir.path().join("events.parquet"),
    )
    .unwrap();
    write_dir(dir.path(), &events_csv(&ev));
    let csv_only = tempfile::tempdir().unwrap();
    write_dir(csv_only.path(), &events_csv(&ev));
    let all = run(
        &load(csv_only.path(), None).unwrap(),
        &Rules::default(),
        &mut |_| {},
    )
    .unwrap();

    // default preference: Parquet, then CSV
    let ds = load(dir.path(), None).unwrap();
    assert!(ds.events.parquet);
    assert_eq!(ds.chosen.len(), 1, "{:?}", ds.chosen);
    assert!(
        ds.chosen[0].contains("read events.parquet, not events.csv"),
        "{:?}",
        ds.chosen
    );
    let r = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
    assert_eq!(r.stats.events, 3);

    // --prefer csv
    let ds = load_with(dir.path(), None, Prefer::Csv).unwrap();
    assert!(!ds.events.parquet);
    assert!(ds.chosen[0].contains("read events.csv, not events.parquet"));
    let r = run(&ds, &Rules::default(), &mut |_| {}).unwrap();
    assert_eq!(r.stats.events, all.stats.events);
    assert_eq!(r.flags, all.flags);

    // a folder with one format only says nothing
    assert!(load(csv_only.path(), None).unwrap().chosen.is_empty());
    assert_eq!("csv".parse::<Prefer>().unwrap(), Prefer::Csv);
    assert!("xlsx".parse::<Prefer>().is_err());

    // the CLI flag
    use steward_access_audit::cli::{run as cli_run, AuditCommand, RunArgs};
    let out = dir.path().join("flags.csv");
    cli_run(AuditCommand::Run(RunArgs {
        prefer: Prefer::Csv,
        mapping: None,
        data: dir.path().to_path_buf(),
        output: out.clone(),
        cases: None,
        report: None,
        rules: None,
        issues: None,
        quiet: true,
    }))
    .unwrap();
    let flags = fs::read_to_string(&out).unwrap();
    assert_eq!(flags.lines().count(), all.flags.len() + 1);
}

/// Everything a run returns, with the given options.
fn run_with(
    ds: &steward_access_audit::Dataset,
    rules: &Rules,
    opts: &steward_access_audit::RunOptions,
) -> (
    Vec<steward_access_audit::Flag>,
    Vec<steward_access_audit::Case>,
    steward_access_audit::Stats,
    Vec<String>,
) {
    let mut flags = Vec::new();
    let (cases, stats, issues) =
        steward_access_audit::run_streaming_with(ds, rules, opts, &mut |_| {}, &mut |f| {
            flags.push(f.clone());
            Ok(())
        })
        .unwrap();
    let issues = issues.list.iter().map(|i| i.to_string()).collect();
    (flags, cases, stats, issues)
}

/// Events that exercise the decoder: quoted fields with line breaks and commas, an empty event
/// id (flagged as `<line N>`), an unknown user.
fn tricky_events() -> String {
    let mut ev = events_csv(&fixture_events());
    ev.push_str("q1,2025-05-20 23:10:00,U1,P2,view,\"WS\nwith a line break\"\n");
    ev.push_str(",2025-05-20 23:00:00,U1,P2,view,W\n");
    ev.push_str("x1,2025-05-20 10:00:00,NOBODY,P1,view,W\n");
    ev.push_str("q2,2025-05-21 23:30:00,U1,P2,view,\"a,\"\"b\"\"\nc\nd\"\n");
    for (id, ts, u, p) in fixture_events() {
        ev.push_str(&format!("r{id},{ts},{u},{p},view,WS1\n"));
    }
    ev
}

#[test]
fn csv_decoded_in_small_blocks_and_spilled_gives_the_same_result() {
    let dir = tempfile::tempdir().unwrap();
    let mut ev = tricky_events();
    ev.push_str("x4,2025-05-20 10:00:00,U1\n");
    write_dir(dir.path(), &ev);
    let ds = load(dir.path(), None).unwrap();
    let rules = Rules::default();
    let one = steward_access_audit::RunOptions {
        memory_chunks: 1 << 30,
        csv_block: 1 << 30,
        memory_keys: 1 << 30,
    };
    let want = run_with(&ds, &rules, &one);
    assert!(want.0.iter().any(|f| f.event_id == "q2"), "{:?}", want.0);
    assert!(want.0.iter().any(|f| f.event_id.starts_with("<line ")));
    assert_eq!(want.2.rejected, 2);
    assert!(
        want.3.iter().any(|m| m.contains("\"x1\": unknown user_id")),
        "{:?}",
        want.3
    );
    // blocks cut everywhere, also inside the quoted line breaks; everything spilled or kept
    for block in [1, 5, 17, 40, 64, 101, 333] {
        for memory_chunks in [0, 1 << 30] {
            let opts = steward_access_audit::RunOptions {
                memory_chunks,
                csv_block: block,
                // VOLUME keys spread over spill files too, when the events are spilled
                memory_keys: memory_chunks,
            };
            let got = run_with(&ds, &rules, &opts);
            assert_eq!(got, want, "block {block}, memory {memory_chunks}");
        }
    }
}

#[test]
fn parquet_zstd_and_snappy_spilled_give_the_same_result_as_csv() {
    use parquet::basic::{Compression, ZstdLevel};
    let csv_dir = tempfile::tempdir().unwrap();
    write_dir(csv_dir.path(), &tricky_events());
    let a = load(csv_dir.path(), None).unwrap();
    let rules = Rules::default();
    let want = run_with(&a, &rules, &Default::default());
    for (compression, typed, group) in [
        (Compression::ZSTD(ZstdLevel::default()), true, 2),
        (Compression::ZSTD(ZstdLevel::default()), false, 1 << 17),
        (Compression::SNAPPY, true, 5),
        (Compression::SNAPPY, false, 1),
    ] {
        let pq_dir = tempfile::tempdir().unwrap();
        fixture_as_parquet(csv_dir.path(), pq_dir.path(), compression, typed, group);
        let b = load(pq_dir.path(), None).unwrap();
        assert!(b.events.parquet);
        for memory_chunks in [0, 1 << 30] {
            let opts = steward_access_audit::RunOptions {
                memory_chunks,
                csv_block: 1 << 20,
                memory_keys: memory_chunks,
            };
            let got = run_with(&b, &rules, &opts);
            let ctx = format!("{compression:?} typed={typed} group={group} memory={memory_chunks}");
            // flags (the empty id names its line, which differs: Parquet counts rows), cases
            // and statistics
            let strip = |fs: &[steward_access_audit::Flag]| {
                fs.iter()
                    .map(|f| {
                        let mut f = f.clone();
                        if f.event_id.starts_with("<line ") {
                            f.event_id = "<line>".into();
                        }
                        f
                    })
                    .collect::<Vec<_>>()
            };
            assert_eq!(strip(&got.0), strip(&want.0), "{ctx}");
            assert_eq!(got.2, want.2, "{ctx}");
            assert_eq!(got.1.len(), want.1.len(), "{ctx}");
        }
    }
}

/// The events file read through the arrow reader: user_id and patient_id dictionary-encoded,
/// plain-encoded, or dictionary then plain within one column chunk, zstd and snappy, ts as text
/// and typed: the same flags, cases, statistics and issues as from CSV, kept or spilled.
#[test]
fn dictionary_and_plain_encoded_parquet_give_the_same_results_as_csv() {
    use parquet::basic::{Compression, ZstdLevel};
    use steward_access_audit::table::StringEncoding;
    let csv_dir = tempfile::tempdir().unwrap();
    write_dir(csv_dir.path(), &tricky_events());
    let a = load(csv_dir.path(), None).unwrap();
    let rules = Rules::default();
    let want = run_with(&a, &rules, &Default::default());
    assert!(!want.0.is_empty());
    let strip = |fs: &[steward_access_audit::Flag]| {
        fs.iter()
            .map(|f| {
                let mut f = f.clone();
                if f.event_id.starts_with("<line ") {
                    f.event_id = "<line>".into();
                }
                f
            })
            .collect::<Vec<_>>()
    };
    let cases = |cs: &[steward_access_audit::Case]| {
        cs.iter()
            .map(|c| {
                let mut c = c.clone();
                for id in &mut c.event_ids {
                    if id.starts_with("<line ") {
                        *id = "<line>".into();
                    }
                }
                c
            })
            .collect::<Vec<_>>()
    };
    // issues name a line (CSV) or a row (Parquet): compared without the place
    let what = |is: &[String]| {
        is.iter()
            .map(|i| i.split_once(": ").map_or(i.clone(), |(_, m)| m.to_string()))
            .collect::<Vec<_>>()
    };
    for encoding in [
        StringEncoding::Dictionary,
        StringEncoding::Plain,
        StringEncoding::DictionaryThenPlain,
    ] {
        for compression in [Compression::ZSTD(ZstdLevel::default()), Compression::SNAPPY] {
            for (typed, group) in [(true, 7), (false, 1 << 17)] {
                let pq_dir = tempfile::tempdir().unwrap();
                for t in ["patients", "users", "teams", "care_episodes"] {
                    let f = format!("{t}.csv");
                    fs::copy(csv_dir.path().join(&f), pq_dir.path().join(&f)).unwrap();
                }
                steward_access_audit::table::csv_to_parquet_encoded(
                    &csv_dir.path().join("events.csv"),
                    &pq_dir.path().join("events.parquet"),
                    compression,
                    typed,
                    group,
                    encoding,
                )
                .unwrap();
                let b = load(pq_dir.path(), None).unwrap();
                assert!(b.events.parquet);
                for memory_chunks in [0, 1 << 30] {
                    let opts = steward_access_audit::RunOptions {
                        memory_chunks,
                        csv_block: 1 << 20,
                        memory_keys: memory_chunks,
                    };
                    let got = run_with(&b, &rules, &opts);
                    let ctx = format!(
                        "{encoding:?} {compression:?} typed={typed} memory={memory_chunks}"
                    );
                    assert_eq!(strip(&got.0), strip(&want.0), "{ctx}");
                    assert_eq!(cases(&got.1), cases(&want.1), "{ctx}");
                    assert_eq!(got.2, want.2, "{ctx}");
                    assert_eq!(what(&got.3), what(&want.3), "{ctx}");
                }
            }
        }
    }
}

/// `run_csv` (the CLI's path: flags formatted on several threads, chunk by chunk, written in
/// order) writes exactly the bytes of `run_streaming_with` with `report::write_flag`, and
/// returns the same cases, statistics and issues, whatever the chunking and spilling.
#[test]
fn run_csv_writes_the_bytes_of_the_sink_path_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut ev = tricky_events();
    // more events, some with a leading '=' (neutralised by the CSV writer)
    for i in 0..300 {
        let (u, p) = if i % 3 == 0 {
            ("U1", "P2")
        } else {
            ("U2", "P1")
        };
        let id = if i % 7 == 0 {
            format!("=e{i}")
        } else {
            format!("e{i:04}")
        };
        ev.push_str(&format!(
            "{id},2025-05-2{} {:02}:{:02}:00,{u},{p},view,W\n",
            i % 3,
            i % 24,
            i % 60
        ));
    }
    write_dir(dir.path(), &ev);
    let ds = load(dir.path(), None).unwrap();
    for rules in [Rules::default(), no_volume()] {
        for (block, memory) in [(1 << 30, 1 << 30), (64, 0), (333, 1 << 30), (17, 0)] {
            let opts = steward_access_audit::RunOptions {
                memory_chunks: memory,
                csv_block: block,
                memory_keys: memory,
            };
            let mut w = steward_csv::Writer::from_writer(Vec::new());
            let (cases, stats, issues) = steward_access_audit::run_streaming_with(
                &ds,
                &rules,
                &opts,
                &mut |_| {},
                &mut |f| steward_access_audit::report::write_flag(&mut w, f),
            )
            .unwrap();
            let want = w.into_inner().unwrap();
            let mut got = Vec::new();
            let (cases2, stats2, issues2) =
                steward_access_audit::run_csv(&ds, &rules, &opts, &mut |_| {}, &mut got).unwrap();
            assert!(!want.is_empty());
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap(),
                "block {block}, memory {memory}"
            );
            assert_eq!(cases2, cases);
            assert_eq!(stats2, stats);
            assert_eq!(issues2.list, issues.list);
        }
    }
}

/// The episodes are held compactly and sorted by (patient, start, id); of rows with one
/// episode id the first is kept and the later ones are reported, in line order with the
/// file's other issues (short ids and ids longer than 15 bytes alike).
#[test]
fn episodes_load_compactly_with_duplicates_reported_in_line_order() {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), &events_csv(&fixture_events()));
    let long = "EPISODE-WITH-A-LONG-ID-0001";
    let mut ep = EPISODES.to_string();
    let first = ep.lines().count() as u64 + 1; // line of the first row added
    ep.push_str(&format!("{long},P8,T1,Referral ,2025-04-01 09:00:00,\n"));
    ep.push_str("C1,P8,T2,appointment,2025-01-01 09:00:00,2025-01-02 09:00:00\n");
    ep.push_str("Z9,P404,T1,appointment,2025-01-01 09:00:00,\n");
    ep.push_str(&format!("{long},P9,T1,referral,2025-04-01 09:00:00,\n"));
    ep.push_str("B0,P8,T1,REFERRAL,2025-05-20 09:00:00,\n");
    ep.push_str("A0,P8,T2,appointment,2025-05-20 09:00:00,\n");
    fs::write(dir.path().join("care_episodes.csv"), &ep).unwrap();
    let ds = load(dir.path(), None).unwrap();
    let m: Vec<String> = ds.issues.list.iter().map(|i| i.to_string()).collect();
    assert_eq!(
        m,
        vec![
            format!(
                "care_episodes.csv:{}: duplicate episode_id \"C1\"",
                first + 1
            ),
            format!(
                "care_episodes.csv:{}: unknown patient_id \"P404\"",
                first + 2
            ),
            format!(
                "care_episodes.csv:{}: duplicate episode_id \"{long}\"",
                first + 3
            ),
        ]
    );
    let rf = &ds.reference;
    let p8 = *rf.patient_ix.get(b"P8").unwrap();
    let eps = rf.episodes_of(p8);
    let ids: Vec<&str> = eps.iter().map(|e| e.id.as_str()).collect();
    // by start, the two at 2025-05-20 09:00 by id; the first C1 kept (team T1)
    assert_eq!(ids, vec![long, "A0", "B0", "C1"]);
    assert_eq!(eps[0].kind, "REFERRAL");
    assert_eq!(eps[2].kind, "REFERRAL");
    assert_eq!(eps[0].end, None);
    assert_eq!(rf.teams[eps[3].team as usize].id, "T1");
    assert!(eps.iter().all(|e| e.patient == p8));
    for (i, e) in rf.episode_range(p8).zip(&eps) {
        assert_eq!(rf.episode_id(i), e.id);
        assert_eq!(rf.ep_hot[i].start, e.start);
    }
    assert_eq!(rf.ep_hot.len(), rf.ep_id_end.len());
}
