//! A fictional demo cluster: a DPO service for five GP practices and one trust.
//! Every person and organisation here is invented; no real patient or staff data.

use chrono::{Duration, NaiveDate};

use crate::actions::ActionInput;
use crate::auth::new_totp_secret;
use crate::error::CoreResult;
use crate::orgs::NewUser;
use crate::time::iso_date;
use crate::{Caller, Role, Steward};

pub const DEMO_PASSWORD: &str = "demo-password-2026";

pub struct DemoSignIn {
    pub email: String,
    pub role: Role,
    pub organisation: String,
    /// Base32 TOTP secret, for roles that must use a second factor.
    pub totp_secret: Option<String>,
}

pub struct Demo {
    pub cluster_id: String,
    pub organisations: Vec<(String, String)>,
    pub sign_ins: Vec<DemoSignIn>,
}

const PRACTICES: [(&str, &str); 5] = [
    ("Harbour View Surgery", "Y90001"),
    ("Castle Hill Medical Centre", "Y90002"),
    ("Riverside Family Practice", "Y90003"),
    ("Meadowbank Health Centre", "Y90004"),
    ("Old Quay Surgery", "Y90005"),
];

const ACTION_TITLES: [&str; 8] = [
    "Review the confidential waste contract and certificates of destruction",
    "Update the processing activities log for the diabetic eye screening service",
    "Complete annual IG training for new reception staff",
    "Sign the data sharing agreement for the community frailty project",
    "Check remote-working VPN access for locum GPs",
    "Run the monthly clinical-system access audit sample",
    "Publish the revised privacy notice on the practice website",
    "Review retention of scanned PCSE notes",
];

impl Steward {
    /// Whether this database holds the fictional demo (set when it was seeded).
    pub async fn is_demo(&self) -> CoreResult<bool> {
        let v: Option<String> =
            steward_db::query_scalar("SELECT value FROM instance_settings WHERE name = 'demo'")
                .fetch_optional(&self.db.pool)
                .await?;
        Ok(v.as_deref() == Some("1"))
    }

    /// Seeds the demo cluster. Returns the sign-ins to print. `extra_actions` adds that many
    /// more actions to the first practice (for load tests of list pages).
    pub async fn seed_demo(&self, today: NaiveDate, extra_actions: usize) -> CoreResult<Demo> {
        // This database holds the fictional demo: only then does `steward user totp-code`
        // print a live code.
        steward_db::query(
            "INSERT INTO instance_settings (name, value) VALUES ('demo', '1') ON CONFLICT (name) DO NOTHING",
        )
        .execute(&self.db.pool)
        .await?;
        let cluster = self
            .create_cluster("Wessex Coast Primary Care DPO Service")
            .await?;
        let dpo_org = self
            .create_organisation(
                &cluster,
                "Wessex Coast DPO Service",
                "dpo_service",
                "Y90000",
            )
            .await?;
        let mut orgs = vec![("Wessex Coast DPO Service".to_string(), dpo_org.clone())];
        for (name, ods) in PRACTICES {
            let id = self
                .create_organisation(&cluster, name, "gp_practice", ods)
                .await?;
            orgs.push((name.to_string(), id));
        }
        let trust = self
            .create_organisation(
                &cluster,
                "Wessex Coast Community NHS Trust",
                "trust",
                "RX900",
            )
            .await?;
        orgs.push(("Wessex Coast Community NHS Trust".to_string(), trust));

        let harbour = orgs[1].1.clone();
        let castle = orgs[2].1.clone();
        let people: [(&str, &str, Role, &str); 9] = [
            (
                "dpo@demo.steward.test",
                "Priya Castellano",
                Role::Dpo,
                dpo_org.as_str(),
            ),
            (
                "admin@demo.steward.test",
                "Sam Okafor",
                Role::SystemAdministrator,
                dpo_org.as_str(),
            ),
            (
                "iglead@harbour.demo.steward.test",
                "Morwenna Tregarthen",
                Role::IgLead,
                harbour.as_str(),
            ),
            (
                "siro@harbour.demo.steward.test",
                "Dr Idris Penhallow",
                Role::Siro,
                harbour.as_str(),
            ),
            (
                "caldicott@harbour.demo.steward.test",
                "Dr Ffion Abernethy",
                Role::CaldicottGuardian,
                harbour.as_str(),
            ),
            (
                "gp@harbour.demo.steward.test",
                "Dr Tobias Quennell",
                Role::Clinician,
                harbour.as_str(),
            ),
            (
                "reception@harbour.demo.steward.test",
                "Jasmine Oduya",
                Role::Staff,
                harbour.as_str(),
            ),
            (
                "auditor@harbour.demo.steward.test",
                "Malcolm Fairweather",
                Role::Auditor,
                harbour.as_str(),
            ),
            (
                "iglead@castlehill.demo.steward.test",
                "Rhiannon Kettleby",
                Role::IgLead,
                castle.as_str(),
            ),
        ];
        let mut sign_ins = Vec::new();
        let mut ids = Vec::new();
        for (email, name, role, org) in people {
            let u = self
                .add_user(
                    None,
                    &NewUser {
                        email: email.into(),
                        display_name: name.into(),
                        role: role.as_str().into(),
                        organisation_id: org.into(),
                        password: DEMO_PASSWORD.into(),
                    },
                )
                .await?;
            let totp_secret = if role.requires_second_factor() {
                let s = new_totp_secret();
                self.store_totp_secret(&u.id, &s).await?;
                Some(s)
            } else {
                None
            };
            let org_name = orgs
                .iter()
                .find(|(_, id)| id == org)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            sign_ins.push(DemoSignIn {
                email: email.into(),
                role,
                organisation: org_name,
                totp_secret,
            });
            ids.push(u.id);
        }

        // Actions: the DPO raises actions for each practice, some overdue, some due soon.
        let dpo = self
            .caller_for_user(&ids[0], "demo")
            .await?
            .expect("just created");
        let owners_by_org = |org: &str| -> Vec<String> {
            match org {
                o if o == harbour => vec![ids[2].clone(), ids[3].clone(), ids[5].clone()],
                o if o == castle => vec![ids[8].clone()],
                _ => vec![ids[0].clone()],
            }
        };
        let mut n = 0i64;
        for (_, org) in orgs.iter().skip(1) {
            let owners = owners_by_org(org);
            for (i, title) in ACTION_TITLES.iter().enumerate().take(5) {
                n += 1;
                let due = today + Duration::days((n * 7) % 60 - 20);
                self.create_action(
                    &Caller {
                        current_organisation_id: org.clone(),
                        ..dpo.clone()
                    },
                    org,
                    &ActionInput {
                        title: (*title).into(),
                        description:
                            "Raised at the cluster IG meeting; see the DPO's quarterly update."
                                .into(),
                        owner_id: owners[i % owners.len()].clone(),
                        due_date: iso_date(due),
                        status: None,
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
        for i in 0..extra_actions {
            let title = ACTION_TITLES[i % ACTION_TITLES.len()];
            self.create_action(
                &dpo,
                &harbour,
                &ActionInput {
                    title: format!("{title} (batch {})", i + 1),
                    description: String::new(),
                    owner_id: ids[2].clone(),
                    due_date: iso_date(today + Duration::days((i as i64 % 120) - 30)),
                    status: None,
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(Demo {
            cluster_id: cluster,
            organisations: orgs,
            sign_ins,
        })
    }
}
