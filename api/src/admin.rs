//! The operator's commands (`silo user …`, `silo department …`, `silo member …`,
//! `silo site …`): whoever holds the server's configuration and database acts as the
//! operator; writes are recorded in the outbox and the audit log as the operator's.

use crate::identity::sessions;
use anyhow::{Context, bail};
use silo_domain::audit::Actor;
use silo_domain::department::{DepartmentInput, ReviewPolicy};
use silo_domain::field::Email;
use silo_domain::rights::{Grant, Role};
use silo_domain::site::{Channel, SiteInput};
use silo_storage::{AccountFlags, Reference, Store, UserAccount};
use std::io::{BufRead, IsTerminal};
use uuid::Uuid;

/// Reads a password from the terminal (asked twice, never echoed) or, when stdin is not
/// a terminal, from its first line: never from the command line, where `ps` shows it.
pub fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12 characters at least): ")?;
        let again = rpassword::prompt_password("Password again: ")?;
        if first != again {
            bail!("the two passwords differ");
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

pub async fn user_by_email(store: &Store, email: &str) -> anyhow::Result<UserAccount> {
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    store
        .user_by_email(&email)
        .await?
        .with_context(|| format!("no user with email {}", email.as_str()))
}

pub async fn create_user(
    store: &Store,
    email: &str,
    password: String,
    admin: bool,
) -> anyhow::Result<UserAccount> {
    Ok(sessions::create_user(store, email, password, admin, &Actor::operator()).await?)
}

pub async fn set_disabled(
    store: &Store,
    email: &str,
    disabled: bool,
) -> anyhow::Result<UserAccount> {
    let user = user_by_email(store, email).await?;
    let flags = AccountFlags {
        disabled: Some(disabled),
        ..AccountFlags::default()
    };
    Ok(store
        .set_account_flags(user.id, flags, &Actor::operator())
        .await?)
}

pub async fn reset_password(store: &Store, email: &str, password: String) -> anyhow::Result<()> {
    let user = user_by_email(store, email).await?;
    Ok(sessions::reset_password(store, &user, password, &Actor::operator()).await?)
}

async fn department_id(store: &Store, slug: &str) -> anyhow::Result<Uuid> {
    store
        .departments()
        .await?
        .into_iter()
        .find(|d| d.slug == slug)
        .map(|d| d.id)
        .with_context(|| format!("no department `{slug}`"))
}

pub async fn create_department(
    store: &Store,
    name: &str,
    slug: Option<String>,
    parent: Option<&str>,
    four_eyes: bool,
) -> anyhow::Result<silo_domain::department::Department> {
    let parent_id = match parent {
        Some(slug) => Some(department_id(store, slug).await?),
        None => None,
    };
    let department = DepartmentInput {
        parent_id,
        slug,
        name: name.to_owned(),
        review_policy: if four_eyes {
            ReviewPolicy::FourEyes
        } else {
            ReviewPolicy::None
        },
        time_zone: None,
    }
    .validate(Uuid::now_v7())?;
    store
        .save_reference(Reference::Department(&department), &Actor::operator())
        .await?;
    Ok(department)
}

pub async fn grant(store: &Store, email: &str, department: &str, role: &str) -> anyhow::Result<()> {
    let user = user_by_email(store, email).await?;
    let role = Role::parse(role).with_context(|| {
        format!("role `{role}`: one of contributor, editor, publisher, manager")
    })?;
    let grant = Grant {
        membership_id: Uuid::now_v7(),
        department_id: department_id(store, department).await?,
        role,
        valid_from: None,
        valid_until: None,
        delegated_by: None,
    };
    Ok(store
        .grant_membership(user.id, &grant, &Actor::operator())
        .await?)
}

pub async fn create_site(
    store: &Store,
    name: &str,
    slug: Option<String>,
    base_url: &str,
    departments: &[String],
) -> anyhow::Result<silo_domain::site::Site> {
    let mut department_ids = Vec::new();
    for slug in departments {
        department_ids.push(department_id(store, slug).await?);
    }
    let site = SiteInput {
        slug,
        name: name.to_owned(),
        base_url: base_url.to_owned(),
        channel: Channel {
            department_ids,
            ..Channel::default()
        },
    }
    .validate(Uuid::now_v7(), 1)?;
    store
        .save_reference(Reference::Site(&site), &Actor::operator())
        .await?;
    Ok(site)
}

/// Issues a key for the site `slug`; returns the key, to show once.
pub async fn create_site_key(
    store: &Store,
    site: &str,
    label: &str,
) -> anyhow::Result<(String, Uuid)> {
    let site = store
        .site_by_slug(site)
        .await?
        .with_context(|| format!("no site `{site}`"))?;
    let (key, record) =
        sessions::create_site_key(store, site.id, label, &Actor::operator()).await?;
    Ok((key, record.id))
}

pub async fn revoke_site_key(store: &Store, id: &str) -> anyhow::Result<()> {
    let id = Uuid::parse_str(id).context("the key id is a UUID (see `silo site key list`)")?;
    Ok(store.revoke_site_key(id, &Actor::operator()).await?)
}

/// What `silo audit verify` reports.
#[derive(Debug)]
pub struct AuditReport {
    pub verification: silo_storage::Verification,
    /// The entry named by `--expect`, when it no longer has the hash noted earlier.
    pub expectation_failed: Option<String>,
}

impl AuditReport {
    pub fn intact(&self) -> bool {
        self.verification.broken.is_none() && self.expectation_failed.is_none()
    }
}

/// Checks the whole audit chain, and that the entry `expect` (`SEQ:HASH`, a head noted
/// earlier, kept off the server) is still there with that hash: what a rewrite of the
/// whole log, or of its end, could not hide.
pub async fn verify_audit_log(
    store: &Store,
    expect: Option<&str>,
    progress: impl FnMut(i64),
) -> anyhow::Result<AuditReport> {
    let expected = expect
        .map(|raw| {
            let (seq, hash) = raw
                .split_once(':')
                .context("--expect takes SEQ:HASH, as printed by an earlier verify")?;
            let seq: i64 = seq.parse().context("--expect: SEQ is a number")?;
            anyhow::Ok((seq, hash.to_owned()))
        })
        .transpose()?;
    let verification = store.verify_audit_log(progress).await?;
    let expectation_failed = match expected {
        None => None,
        Some((seq, hash)) => match store.audit_entry(seq).await? {
            Some(entry) if entry.hash == hash => None,
            Some(_) => Some(format!("entry {seq} no longer has the hash noted earlier")),
            None => Some(format!("entry {seq}, noted earlier, is gone")),
        },
    };
    Ok(AuditReport {
        verification,
        expectation_failed,
    })
}
