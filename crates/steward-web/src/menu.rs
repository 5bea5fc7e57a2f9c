//! The header menu, from one place: a few top items, and sections (assurance, governance,
//! administration) whose landing page lists what is in them, so that the DPO's and the IG
//! lead's menu fits on one line. A section with one destination for a role links straight
//! to it. Every destination a role had in the flat menu is still one or two clicks away.

use crate::views::PageCtx;

/// One destination: a page of the application.
#[derive(Debug, Clone)]
pub struct MenuLink {
    pub label: &'static str,
    pub href: &'static str,
    /// What the page is for, on the section's landing page.
    pub hint: &'static str,
    /// The `nav` value of the pages under this destination.
    pub nav: &'static str,
}

/// A top item of the header: one destination, or a section of several.
#[derive(Debug, Clone)]
pub struct MenuItem {
    pub label: &'static str,
    /// The section's landing page, or the one destination's page.
    pub href: &'static str,
    pub children: Vec<MenuLink>,
    /// The section's name in `/section/{name}` (empty for a single destination).
    pub section: &'static str,
}

impl MenuItem {
    /// Whether the page being drawn is under this item.
    pub fn current(&self, nav: &str) -> bool {
        (!self.section.is_empty() && nav == self.section)
            || self.children.iter().any(|c| c.nav == nav)
    }
}

/// A section of the menu: its name, label and introduction.
pub struct Section {
    pub name: &'static str,
    pub label: &'static str,
    pub intro: &'static str,
}

pub const SECTIONS: [Section; 3] = [
    Section {
        name: "assurance",
        label: "Assurance",
        intro: "Incidents, risks, audits of the practices and the cluster's assurance.",
    },
    Section {
        name: "governance",
        label: "Governance",
        intro: "Data protection impact assessments, compliance and the registers.",
    },
    Section {
        name: "administration",
        label: "Administration",
        intro: "Organisations, the audit trail and the people who use Steward.",
    },
];

fn link(
    label: &'static str,
    href: &'static str,
    nav: &'static str,
    hint: &'static str,
) -> MenuLink {
    MenuLink {
        label,
        href,
        hint,
        nav,
    }
}

/// The destinations of a role, grouped: (section name or "" for a top item, link).
fn destinations(ctx: &PageCtx) -> Vec<(&'static str, MenuLink)> {
    let records = !ctx.can_manage_users;
    let mut d = vec![(
        "",
        link(
            "Dashboard",
            "/",
            "home",
            "What needs doing, in your organisation or across the cluster.",
        ),
    )];
    if records {
        d.push((
            "",
            link(
                "Requests",
                "/requests",
                "requests",
                "Subject access and other rights requests.",
            ),
        ));
        d.push((
            "",
            link("Actions", "/actions", "actions", "Who does what, by when."),
        ));
    }
    if ctx.can_review_access {
        d.push((
            "",
            link(
                "Access audit",
                "/access-audit",
                "audit",
                "Who looked at which patient's record, and why.",
            ),
        ));
        d.push((
            "assurance",
            link(
                "Incidents",
                "/incidents",
                "incidents",
                "Data security and protection incidents, their grading and lessons.",
            ),
        ));
    } else if ctx.can_write {
        d.push((
            "assurance",
            link(
                "Report an incident",
                "/incidents/report",
                "incidents",
                "Tell your IG lead about a data security or protection incident.",
            ),
        ));
    }
    if records {
        d.push((
            "assurance",
            link(
                "Risks",
                "/risks",
                "risks",
                "The information risk register and the risk appetite.",
            ),
        ));
    }
    if ctx.can_review_access {
        d.push((
            "assurance",
            link(
                "Audits",
                "/compliance-audits",
                "compliance-audits",
                "Compliance audits of the practices and action rounds.",
            ),
        ));
    }
    if ctx.can_switch {
        d.push((
            "assurance",
            link(
                "Cluster",
                "/assurance",
                "assurance",
                "Every practice's assurance at a glance, and updates to the cluster.",
            ),
        ));
    }
    if records {
        d.push((
            "governance",
            link(
                "DPIAs",
                "/dpias",
                "dpias",
                "Screening and data protection impact assessments.",
            ),
        ));
        d.push((
            "governance",
            link(
                "Compliance",
                "/compliance",
                "compliance",
                "The toolkit, training, policies, retention, continuity and the opt-out.",
            ),
        ));
        d.push((
            "governance",
            link(
                "Registers",
                "/registers",
                "registers",
                "Processing activities, information assets, sharing and privacy notices.",
            ),
        ));
    }
    if ctx.can_switch {
        d.push((
            "administration",
            link(
                "Organisations",
                "/organisations",
                "organisations",
                "The organisations of the cluster, and which one you work in.",
            ),
        ));
    }
    if ctx.can_read_trail {
        d.push((
            "administration",
            link(
                "Audit trail",
                "/audit-trail",
                "trail",
                "Every view and change of personal data, by whom and when.",
            ),
        ));
    }
    if ctx.can_manage_users {
        d.push((
            "administration",
            link(
                "Users",
                "/admin/users",
                "users",
                "Accounts, roles and password reset links.",
            ),
        ));
    }
    d
}

/// The header menu of the person whose page is being drawn.
pub fn menu(ctx: &PageCtx) -> Vec<MenuItem> {
    let all = destinations(ctx);
    let mut items: Vec<MenuItem> = Vec::new();
    for (_, l) in all.iter().filter(|(s, _)| s.is_empty()) {
        items.push(MenuItem {
            label: l.label,
            href: l.href,
            children: vec![l.clone()],
            section: "",
        });
    }
    for s in SECTIONS.iter() {
        let children: Vec<MenuLink> = all
            .iter()
            .filter(|(name, _)| *name == s.name)
            .map(|(_, l)| l.clone())
            .collect();
        match children.len() {
            0 => {}
            1 => items.push(MenuItem {
                label: children[0].label,
                href: children[0].href,
                children,
                section: "",
            }),
            _ => items.push(MenuItem {
                label: s.label,
                href: section_href(s.name),
                children,
                section: s.name,
            }),
        }
    }
    items
}

fn section_href(name: &str) -> &'static str {
    match name {
        "assurance" => "/section/assurance",
        "governance" => "/section/governance",
        _ => "/section/administration",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dpo() -> PageCtx {
        PageCtx {
            can_switch: true,
            can_read_trail: true,
            can_write: true,
            can_review_access: true,
            ..Default::default()
        }
    }

    #[test]
    fn the_dpos_menu_fits_and_keeps_every_destination() {
        let m = menu(&dpo());
        assert!(m.len() <= 7, "{m:?}");
        let hrefs: Vec<&str> = m
            .iter()
            .flat_map(|i| i.children.iter().map(|c| c.href))
            .collect();
        for h in [
            "/",
            "/requests",
            "/actions",
            "/access-audit",
            "/incidents",
            "/risks",
            "/compliance-audits",
            "/assurance",
            "/dpias",
            "/compliance",
            "/registers",
            "/organisations",
            "/audit-trail",
        ] {
            assert!(hrefs.contains(&h), "{h} missing");
        }
        assert!(m.iter().any(|i| i.href == "/section/assurance"));
        assert!(m.iter().any(|i| i.current("risks")));
    }

    #[test]
    fn a_section_of_one_links_straight_to_it() {
        let admin = PageCtx {
            can_manage_users: true,
            ..Default::default()
        };
        let m = menu(&admin);
        assert_eq!(
            m.iter().map(|i| i.href).collect::<Vec<_>>(),
            ["/", "/admin/users"]
        );
    }
}
