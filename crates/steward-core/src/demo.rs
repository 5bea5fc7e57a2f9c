//! A fictional demo cluster: a DPO service for five GP practices and one trust.
//! Every person and organisation here is invented; no real patient or staff data.

use chrono::{Duration, NaiveDate};

use crate::actions::ActionInput;
use crate::auth::new_totp_secret;
use crate::error::CoreResult;
use crate::known::OrganisationDetailsInput;
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
        self.seed_demo_letterheads(&orgs, &dpo).await?;
        Ok(Demo {
            cluster_id: cluster,
            organisations: orgs,
            sign_ins,
        })
    }

    /// Each organisation's letterhead (address, telephone, e-mail) and, for Harbour View and
    /// Castle Hill, a staff list: what a redaction run keeps. Fictional throughout: the TR99
    /// postcode district does not exist, the numbers are Ofcom's drama range (01632 960xxx)
    /// and the e-mail domains are reserved (.example).
    async fn seed_demo_letterheads(
        &self,
        orgs: &[(String, String)],
        dpo: &Caller,
    ) -> CoreResult<()> {
        for (i, (name, id)) in orgs.iter().enumerate() {
            let Some((address, postcode, slug)) = LETTERHEADS.get(i) else {
                continue;
            };
            let caller = Caller {
                current_organisation_id: id.clone(),
                ..dpo.clone()
            };
            self.change_organisation_details(
                &caller,
                id,
                &OrganisationDetailsInput {
                    address: address.replace(", ", "\n"),
                    postcode: (*postcode).into(),
                    phones: format!("01632 960 {}01\n01632 960 {}02", i + 1, i + 1),
                    emails: format!("reception@{slug}.example"),
                },
            )
            .await?;
            let staff = match i {
                1 => HARBOUR_STAFF,
                2 => "name,job title\nDr Lowenna Carbis,GP partner\nPiran Rosewarne,Practice manager\n",
                _ => continue,
            };
            self.replace_staff_list(&caller, id, &format!("{name} staff.csv"), staff.as_bytes())
                .await?;
        }
        Ok(())
    }
}

/// Address lines and postcode of each demo organisation, in the order they are created (the
/// DPO service, the five practices, the trust), and the e-mail domain's first label.
const LETTERHEADS: [(&str, &str, &str); 7] = [
    (
        "Unit 4, Wharf House, Penmarrow",
        "TR99 7DP",
        "wessexcoast-dpo",
    ),
    (
        "14 Quayside Road, Penmarrow",
        "TR99 1HV",
        "harbourview-surgery",
    ),
    (
        "Castle Hill, Trevose Street, Penmarrow",
        "TR99 2CH",
        "castlehill-medical",
    ),
    (
        "2 Mill Leat, Riverside, St Wenna",
        "TR99 3RF",
        "riverside-family",
    ),
    (
        "Meadowbank Road, Polwithen",
        "TR99 4MB",
        "meadowbank-health",
    ),
    (
        "The Old Custom House, Quay Street, Porthgwidden",
        "TR99 5OQ",
        "oldquay-surgery",
    ),
    (
        "Trelawny House, Penmarrow",
        "TR99 6WC",
        "wessexcoast-community",
    ),
];

/// Harbour View Surgery's staff list as its IG lead would upload it: people who work there
/// without a Steward account.
pub const HARBOUR_STAFF: &str = "name,job title\n\
Dr Anita Marchetti,GP partner\n\
Ama Boateng,Practice nurse\n\
Tamsin Gwavas,Practice nurse\n\
Kieran Boscawen,Healthcare assistant\n\
Demelza King,Practice pharmacist\n";
