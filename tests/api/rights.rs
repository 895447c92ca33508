//! Rights end to end: the authorization matrix (every mutation × every kind of caller),
//! token attacks, leave cover that ends by itself, site keys, drafts, concurrent edits.

use crate::both_backends;
use crate::helpers::{Backend, TEST_JWT_SECRET, TestApp, fresh_database, spawn_app_on};
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use silo_api::admin;
use silo_domain::association::AssociationInput;
use silo_domain::audit::Actor;
use silo_domain::content::Publication;
use silo_domain::event::{Event, EventInput};
use silo_domain::item::ContentItem;
use silo_domain::news::NewsInput;
use silo_domain::public_service::PublicServiceInput;
use silo_domain::rights::{Allowance, Grant, Role};
use std::collections::HashMap;
use uuid::Uuid;

/// Every kind of caller the matrix checks. "Culture" owns the content; "Other" roles are
/// held on Sports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Who {
    Anonymous,
    SiteKey,
    Contributor,
    Editor,
    Publisher,
    Manager,
    OtherContributor,
    OtherEditor,
    OtherPublisher,
    OtherManager,
    /// Editor on Culture by an active delegation.
    Delegated,
    /// Editor on Culture by a delegation that ended yesterday.
    Expired,
    /// A Culture manager whose account was disabled after signing in.
    Disabled,
    Admin,
}

const EVERYONE: [Who; 14] = [
    Who::Anonymous,
    Who::SiteKey,
    Who::Contributor,
    Who::Editor,
    Who::Publisher,
    Who::Manager,
    Who::OtherContributor,
    Who::OtherEditor,
    Who::OtherPublisher,
    Who::OtherManager,
    Who::Delegated,
    Who::Expired,
    Who::Disabled,
    Who::Admin,
];

impl Who {
    fn email(self) -> String {
        format!("{self:?}@ville.fr").to_lowercase()
    }

    /// The role in force on Culture, delegations included.
    fn culture_role(self) -> Option<Role> {
        match self {
            Who::Contributor => Some(Role::Contributor),
            Who::Editor | Who::Delegated => Some(Role::Editor),
            Who::Publisher => Some(Role::Publisher),
            Who::Manager => Some(Role::Manager),
            _ => None,
        }
    }

    /// The role held on Culture as one's own membership.
    fn own_culture_role(self) -> Option<Role> {
        if self == Who::Delegated {
            None
        } else {
            self.culture_role()
        }
    }

    /// Holds some role in force somewhere.
    fn member(self) -> bool {
        self.culture_role().is_some()
            || matches!(
                self,
                Who::OtherContributor | Who::OtherEditor | Who::OtherPublisher | Who::OtherManager
            )
    }
}

const PASSWORD: &str = "a long enough password";

pub(crate) struct City {
    pub(crate) app: TestApp,
    pub(crate) culture: Uuid,
    pub(crate) sports: Uuid,
    pub(crate) site: Uuid,
    pub(crate) tokens: HashMap<Who, String>,
    pub(crate) ids: HashMap<Who, Uuid>,
    pub(crate) bystander: Uuid,
    pub(crate) site_key: String,
}

/// A fresh access token for `who` (after their rights changed).
pub(crate) async fn login_again(app: &TestApp, who: Who) -> String {
    login(app, &who.email()).await
}

async fn login(app: &TestApp, email: &str) -> String {
    let data = app
        .query(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": email, "p": PASSWORD }),
        )
        .await;
    data["login"]["accessToken"].as_str().unwrap().to_owned()
}

/// Culture (with Libraries below it) and Sports, one user per kind of caller, a site
/// showing Culture with a key.
pub(crate) async fn city(backend: Backend) -> City {
    city_on(spawn_app_on(fresh_database(backend).await).await).await
}

/// The same city, built through `app` (a server over a fresh database).
pub(crate) async fn city_on(app: TestApp) -> City {
    let store = &app.store;
    let culture = admin::create_department(store, "Culture", Some("culture".into()), None, false)
        .await
        .unwrap()
        .id;
    admin::create_department(
        store,
        "Bibliothèques",
        Some("libraries".into()),
        Some("culture"),
        false,
    )
    .await
    .unwrap();
    let sports = admin::create_department(store, "Sports", Some("sports".into()), None, false)
        .await
        .unwrap()
        .id;
    let mut ids = HashMap::new();
    for who in EVERYONE {
        if matches!(who, Who::Anonymous | Who::SiteKey) {
            continue;
        }
        let user = admin::create_user(store, &who.email(), PASSWORD.into(), who == Who::Admin)
            .await
            .unwrap();
        ids.insert(who, user.id);
    }
    let bystander = admin::create_user(store, "bystander@ville.fr", PASSWORD.into(), false)
        .await
        .unwrap()
        .id;
    for (who, department, role) in [
        (Who::Contributor, "culture", "contributor"),
        (Who::Editor, "culture", "editor"),
        (Who::Publisher, "culture", "publisher"),
        (Who::Manager, "culture", "manager"),
        (Who::Disabled, "culture", "manager"),
        (Who::OtherContributor, "sports", "contributor"),
        (Who::OtherEditor, "sports", "editor"),
        (Who::OtherPublisher, "sports", "publisher"),
        (Who::OtherManager, "sports", "manager"),
    ] {
        admin::grant(store, &who.email(), department, role)
            .await
            .unwrap();
    }
    let mut tokens = HashMap::new();
    for (who, _) in ids.iter() {
        tokens.insert(*who, login(&app, &who.email()).await);
    }
    // Leave cover through the API: the Culture manager lends the editor role for a week.
    let data = app
        .query_as(
            &tokens[&Who::Manager],
            "mutation($u: ID!, $d: ID!, $until: DateTime!) {
                delegateRole(userId: $u, departmentId: $d, role: EDITOR, validUntil: $until) {
                    role active delegatedBy { email }
                }
            }",
            json!({
                "u": ids[&Who::Delegated],
                "d": culture,
                "until": (Utc::now() + Duration::days(7)).to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(data["delegateRole"]["active"], true);
    assert_eq!(
        data["delegateRole"]["delegatedBy"]["email"],
        "manager@ville.fr"
    );
    // An ended delegation, as it stands the day after.
    store
        .grant_membership(
            ids[&Who::Expired],
            &Grant {
                membership_id: Uuid::now_v7(),
                department_id: culture,
                role: Role::Editor,
                valid_from: Some(Utc::now() - Duration::days(10)),
                valid_until: Some(Utc::now() - Duration::days(1)),
                delegated_by: Some(ids[&Who::Manager]),
            },
            &Actor::operator(),
        )
        .await
        .unwrap();
    admin::set_disabled(store, &Who::Disabled.email(), true)
        .await
        .unwrap();
    let site = admin::create_site(
        store,
        "Culture",
        Some("culture-site".into()),
        "https://culture.ville.fr",
        &["culture".into()],
    )
    .await
    .unwrap()
    .id;
    let (site_key, _) = admin::create_site_key(store, "culture-site", "test")
        .await
        .unwrap();
    City {
        app,
        culture,
        sports,
        site,
        tokens,
        ids,
        bystander,
        site_key,
    }
}

impl City {
    pub(crate) fn token(&self, who: Who) -> Option<&str> {
        match who {
            Who::Anonymous => None,
            Who::SiteKey => Some(&self.site_key),
            _ => Some(&self.tokens[&who]),
        }
    }

    pub(crate) fn admin(&self) -> Uuid {
        self.ids[&Who::Admin]
    }

    /// A draft of `kind` owned by `department`, created by the admin.
    pub(crate) async fn draft(&self, kind: &str, department: Uuid, n: usize) -> ContentItem {
        let mut publication = Publication::draft(Utc::now());
        publication.created_by = Some(self.admin());
        let id = Uuid::now_v7();
        let title = format!("Brouillon {kind} {n}");
        let item = match kind {
            "event" => ContentItem::Event(Event {
                id,
                publication,
                fields: EventInput {
                    department_id: department,
                    title,
                    starts_at: Utc::now() + Duration::days(3),
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            }),
            "association" => ContentItem::Association(silo_domain::association::Association {
                id,
                publication,
                fields: AssociationInput {
                    department_id: department,
                    name: title,
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            }),
            "news" => ContentItem::NewsArticle(silo_domain::news::NewsArticle {
                id,
                publication,
                fields: NewsInput {
                    department_id: department,
                    title,
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            }),
            _ => ContentItem::PublicService(silo_domain::public_service::PublicService {
                id,
                publication,
                fields: PublicServiceInput {
                    department_id: department,
                    name: title,
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            }),
        };
        self.app
            .store
            .create_content(
                &item,
                &Actor::user(self.admin(), Allowance::Admin),
                Utc::now() + Duration::days(400),
            )
            .await
            .unwrap();
        item
    }

    /// Runs one mutation as `admin` and returns its data.
    async fn as_admin(&self, query: &str, variables: Value) -> Value {
        self.app
            .query_as(&self.tokens[&Who::Admin], query, variables)
            .await
    }
}

impl TestApp {
    /// A query as `token`, expected to succeed: returns `data`.
    pub async fn query_as(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post_as(Some(token), query, variables, None).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }
}

/// One row of the matrix: a mutation, how to prepare its arguments, who may run it.
struct Case {
    name: &'static str,
    query: &'static str,
    allowed: fn(Who) -> bool,
}

fn culture_at_least(role: Role) -> fn(Who) -> bool {
    match role {
        Role::Contributor => |w| w.culture_role().is_some(),
        Role::Editor => |w| w.culture_role() >= Some(Role::Editor),
        Role::Publisher => |w| w.culture_role() >= Some(Role::Publisher),
        Role::Manager => |w| w.culture_role() >= Some(Role::Manager),
    }
}

fn cases() -> Vec<Case> {
    let admin_only: fn(Who) -> bool = |_| false;
    vec![
        Case {
            name: "createEvent",
            query: "mutation($d: ID!, $t: String!) { createEvent(input: {departmentId: $d, title: $t, startsAt: \"2026-12-01T19:00:00Z\"}) { id } }",
            allowed: culture_at_least(Role::Contributor),
        },
        Case {
            name: "updateEvent",
            query: "mutation($id: ID!, $d: ID!, $t: String!) { updateEvent(id: $id, expectedVersion: 1, input: {departmentId: $d, title: $t, startsAt: \"2026-12-01T19:00:00Z\"}) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "deleteEvent",
            query: "mutation($id: ID!) { deleteEvent(id: $id, expectedVersion: 1) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "createAssociation",
            query: "mutation($d: ID!, $t: String!) { createAssociation(input: {departmentId: $d, name: $t}) { id } }",
            allowed: culture_at_least(Role::Contributor),
        },
        Case {
            name: "updateAssociation",
            query: "mutation($id: ID!, $d: ID!, $t: String!) { updateAssociation(id: $id, expectedVersion: 1, input: {departmentId: $d, name: $t}) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "deleteAssociation",
            query: "mutation($id: ID!) { deleteAssociation(id: $id, expectedVersion: 1) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "createNewsArticle",
            query: "mutation($d: ID!, $t: String!) { createNewsArticle(input: {departmentId: $d, title: $t}) { id } }",
            allowed: culture_at_least(Role::Contributor),
        },
        Case {
            name: "updateNewsArticle",
            query: "mutation($id: ID!, $d: ID!, $t: String!) { updateNewsArticle(id: $id, expectedVersion: 1, input: {departmentId: $d, title: $t}) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "deleteNewsArticle",
            query: "mutation($id: ID!) { deleteNewsArticle(id: $id, expectedVersion: 1) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "createPublicService",
            query: "mutation($d: ID!, $t: String!) { createPublicService(input: {departmentId: $d, name: $t, kind: OFFICE}) { id } }",
            allowed: culture_at_least(Role::Contributor),
        },
        Case {
            name: "updatePublicService",
            query: "mutation($id: ID!, $d: ID!, $t: String!) { updatePublicService(id: $id, expectedVersion: 1, input: {departmentId: $d, name: $t, kind: FACILITY}) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "deletePublicService",
            query: "mutation($id: ID!) { deletePublicService(id: $id, expectedVersion: 1) { id } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "createPlace",
            query: "mutation($t: String!) { createPlace(input: {name: $t, city: \"Villeneuve\"}) { id } }",
            allowed: Who::member,
        },
        Case {
            name: "updatePlace",
            query: "mutation($id: ID!, $t: String!) { updatePlace(id: $id, expectedVersion: 1, input: {name: $t, city: \"Villeneuve\"}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "deletePlace",
            query: "mutation($id: ID!) { deletePlace(id: $id, expectedVersion: 1) }",
            allowed: admin_only,
        },
        Case {
            name: "createTerm(tag)",
            query: "mutation($t: String!) { createTerm(input: {kind: TAG, name: $t}) { id } }",
            allowed: Who::member,
        },
        Case {
            name: "createTerm(category)",
            query: "mutation($t: String!) { createTerm(input: {kind: CATEGORY, name: $t}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "updateTerm",
            query: "mutation($id: ID!, $t: String!) { updateTerm(id: $id, expectedVersion: 1, input: {kind: TAG, name: $t}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "deleteTerm",
            query: "mutation($id: ID!) { deleteTerm(id: $id, expectedVersion: 1) }",
            allowed: admin_only,
        },
        Case {
            name: "createDepartment",
            query: "mutation($t: String!) { createDepartment(input: {name: $t}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "updateDepartment",
            query: "mutation($id: ID!, $t: String!) { updateDepartment(id: $id, expectedVersion: 1, input: {name: $t, reviewPolicy: FOUR_EYES}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "deleteDepartment",
            query: "mutation($id: ID!) { deleteDepartment(id: $id, expectedVersion: 1) }",
            allowed: admin_only,
        },
        Case {
            name: "createSite",
            query: "mutation($t: String!) { createSite(input: {name: $t, baseUrl: \"https://x.ville.fr\"}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "updateSite",
            query: "mutation($id: ID!, $t: String!) { updateSite(id: $id, expectedVersion: 1, input: {name: $t, baseUrl: \"https://y.ville.fr\"}) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "deleteSite",
            query: "mutation($id: ID!) { deleteSite(id: $id, expectedVersion: 1) }",
            allowed: admin_only,
        },
        Case {
            name: "createSiteKey",
            query: "mutation($site: ID!, $t: String!) { createSiteKey(siteId: $site, label: $t) { key } }",
            allowed: admin_only,
        },
        Case {
            name: "revokeSiteKey",
            query: "mutation($id: ID!) { revokeSiteKey(id: $id) }",
            allowed: admin_only,
        },
        Case {
            name: "setSiteCurator",
            query: "mutation($site: ID!, $u: ID!) { setSiteCurator(siteId: $site, userId: $u, curator: true) }",
            allowed: admin_only,
        },
        Case {
            name: "grantMembership",
            query: "mutation($u: ID!, $d: ID!) { grantMembership(userId: $u, departmentId: $d, role: EDITOR) { id } }",
            allowed: |w| w.own_culture_role() == Some(Role::Manager),
        },
        Case {
            name: "delegateRole",
            query: "mutation($u: ID!, $d: ID!, $until: DateTime!) { delegateRole(userId: $u, departmentId: $d, role: EDITOR, validUntil: $until) { id } }",
            allowed: |w| w.own_culture_role() >= Some(Role::Editor),
        },
        Case {
            name: "revokeMembership",
            query: "mutation($id: ID!) { revokeMembership(id: $id) }",
            allowed: |w| w.own_culture_role() == Some(Role::Manager),
        },
        Case {
            name: "createUser",
            query: "mutation($t: String!) { createUser(email: $t, password: \"a long enough password\") { id } }",
            allowed: admin_only,
        },
        Case {
            name: "updateUser",
            query: "mutation($u: ID!) { updateUser(id: $u, auditor: true) { id } }",
            allowed: admin_only,
        },
        Case {
            name: "auditLog",
            query: "{ auditLog(first: 1) { edges { node { seq } } } }",
            allowed: admin_only,
        },
        Case {
            name: "resetPassword",
            query: "mutation($u: ID!) { resetPassword(id: $u, password: \"another long password\") }",
            allowed: admin_only,
        },
        // Workflow, on a draft by someone else.
        Case {
            name: "submitForReview",
            query: "mutation($id: ID!) { submitForReview(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
            allowed: culture_at_least(Role::Editor),
        },
        Case {
            name: "publish",
            query: "mutation($id: ID!) { publish(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
            allowed: culture_at_least(Role::Publisher),
        },
        Case {
            name: "archive",
            query: "mutation($id: ID!) { archive(kind: EVENT, id: $id, expectedVersion: 1) { __typename } }",
            allowed: culture_at_least(Role::Publisher),
        },
        Case {
            name: "takedownDepartment",
            query: "mutation($d: ID!) { takedownDepartment(departmentId: $d, reason: \"test\") { count } }",
            allowed: admin_only,
        },
        // The reads reserved to managers and admins.
        Case {
            name: "users",
            query: "query { users { id } }",
            allowed: |w| w.own_culture_role() == Some(Role::Manager) || w == Who::OtherManager,
        },
        Case {
            name: "departmentMembers",
            query: "query($d: ID!) { departmentMembers(departmentId: $d) { id } }",
            allowed: |w| w.own_culture_role() == Some(Role::Manager),
        },
    ]
}

/// The arguments of one cell, with a fresh target where the mutation needs one (so that
/// every cell starts from the same state).
async fn arguments(city: &City, case: &str, n: usize) -> Value {
    let title = format!("Matrice {case} {n}");
    let target = |id: Uuid| json!({ "id": id, "d": city.culture, "t": title });
    let content_kind = ["Event", "Association", "NewsArticle", "PublicService"]
        .iter()
        .find(|k| case == format!("update{k}") || case == format!("delete{k}"));
    if matches!(case, "submitForReview" | "publish" | "archive") {
        return target(city.draft("event", city.culture, n).await.id());
    }
    if let Some(kind) = content_kind {
        let kind = match *kind {
            "Event" => "event",
            "Association" => "association",
            "NewsArticle" => "news",
            _ => "service",
        };
        return target(city.draft(kind, city.culture, n).await.id());
    }
    match case {
        "updatePlace" | "deletePlace" => {
            let data = city
                .as_admin(
                    "mutation($t: String!) { createPlace(input: {name: $t, city: \"Villeneuve\"}) { id } }",
                    json!({ "t": title }),
                )
                .await;
            json!({ "id": data["createPlace"]["id"], "t": title })
        }
        "updateTerm" | "deleteTerm" => {
            let data = city
                .as_admin(
                    "mutation($t: String!) { createTerm(input: {kind: TAG, name: $t}) { id } }",
                    json!({ "t": title }),
                )
                .await;
            json!({ "id": data["createTerm"]["id"], "t": format!("{title} renamed") })
        }
        "updateDepartment" | "deleteDepartment" => {
            let data = city
                .as_admin(
                    "mutation($t: String!) { createDepartment(input: {name: $t}) { id } }",
                    json!({ "t": title }),
                )
                .await;
            json!({ "id": data["createDepartment"]["id"], "t": format!("{title} renamed") })
        }
        "updateSite" | "deleteSite" => {
            let data = city
                .as_admin(
                    "mutation($t: String!) { createSite(input: {name: $t, baseUrl: \"https://z.ville.fr\"}) { id } }",
                    json!({ "t": title }),
                )
                .await;
            json!({ "id": data["createSite"]["id"], "t": title })
        }
        "revokeSiteKey" => {
            let data = city
                .as_admin(
                    "mutation($site: ID!) { createSiteKey(siteId: $site, label: \"spare\") { siteKey { id } } }",
                    json!({ "site": city.site }),
                )
                .await;
            json!({ "id": data["createSiteKey"]["siteKey"]["id"] })
        }
        "revokeMembership" => {
            let data = city
                .as_admin(
                    "mutation($u: ID!, $d: ID!) { grantMembership(userId: $u, departmentId: $d, role: CONTRIBUTOR) { id } }",
                    json!({ "u": city.bystander, "d": city.culture }),
                )
                .await;
            json!({ "id": data["grantMembership"]["id"] })
        }
        "createUser" => json!({ "t": format!("new-{n}@ville.fr") }),
        _ => json!({
            "d": city.culture,
            "t": title,
            "u": city.bystander,
            "site": city.site,
            "until": (Utc::now() + Duration::days(3)).to_rfc3339(),
        }),
    }
}

both_backends!(authorization_matrix, |b: Backend| async move {
    let city = city(b).await;
    let mut cells = 0;
    let mut failures = Vec::new();
    for case in cases() {
        for who in EVERYONE {
            let vars = arguments(&city, case.name, cells).await;
            // Only the variables the operation declares may be sent.
            let vars = only_declared(case.query, vars);
            let (status, body) = city
                .app
                .post_as(city.token(who), case.query, vars, None)
                .await;
            assert!(status < 500, "{} as {who:?}: {status} {body}", case.name);
            let expected_allowed = who == Who::Admin || (case.allowed)(who);
            let code = body["errors"][0]["extensions"]["code"].as_str();
            let outcome_ok = if expected_allowed {
                code.is_none() && status == 200
            } else {
                let expected = match who {
                    Who::Anonymous | Who::Disabled => "UNAUTHENTICATED",
                    _ => "FORBIDDEN",
                };
                code == Some(expected)
            };
            if !outcome_ok {
                failures.push(format!(
                    "{} as {who:?}: expected {}, got {status} {body}",
                    case.name,
                    if expected_allowed { "allow" } else { "deny" }
                ));
            }
            cells += 1;
        }
    }
    println!("authorization matrix ({b:?}): {cells} cells checked");
    assert!(
        failures.is_empty(),
        "{} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, cases().len() * EVERYONE.len());
});

/// Keeps the variables `query` declares (`$name`).
fn only_declared(query: &str, vars: Value) -> Value {
    let Value::Object(map) = vars else {
        return vars;
    };
    Value::Object(
        map.into_iter()
            .filter(|(k, _)| query.contains(&format!("${k}:")))
            .collect(),
    )
}

both_backends!(
    a_culture_editor_edits_culture_but_not_sports,
    |b: Backend| async move {
        let city = city(b).await;
        let editor = city.token(Who::Editor).unwrap();
        let create = "mutation($d: ID!) { createEvent(input: {departmentId: $d, title: \"Nuit des musées\", startsAt: \"2026-12-01T19:00:00Z\"}) { id publication { status version createdBy } department { slug } } }";
        let data = city
            .app
            .query_as(editor, create, json!({ "d": city.culture }))
            .await;
        assert_eq!(data["createEvent"]["publication"]["status"], "DRAFT");
        assert_eq!(data["createEvent"]["publication"]["version"], 1);
        assert_eq!(
            data["createEvent"]["publication"]["createdBy"],
            city.ids[&Who::Editor].to_string()
        );
        let (status, body) = city
            .app
            .post_as(Some(editor), create, json!({ "d": city.sports }), None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("contributor on department sports"),
            "{message}"
        );
        // Moving Culture's item to Sports needs rights on Sports too.
        let id = data["createEvent"]["id"].clone();
        let (_, body) = city
        .app
        .post_as(
            Some(editor),
            "mutation($id: ID!, $d: ID!) { updateEvent(id: $id, expectedVersion: 1, input: {departmentId: $d, title: \"x\", startsAt: \"2026-12-01T19:00:00Z\"}) { id } }",
            json!({ "id": id, "d": city.sports }),
            None,
        )
        .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
        // A role on Culture reaches its sub-department.
        let libraries = city
            .app
            .store
            .departments()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.slug == "libraries")
            .unwrap()
            .id;
        city.app
            .query_as(editor, create, json!({ "d": libraries }))
            .await;
    }
);

both_backends!(leave_cover_works_until_it_ends, |b: Backend| async move {
    let city = city(b).await;
    let editor = city.token(Who::Editor).unwrap();
    let cover = city.token(Who::OtherContributor).unwrap();
    let until = Utc::now() + Duration::seconds(2);
    city.app
        .query_as(
            editor,
            "mutation($u: ID!, $d: ID!, $until: DateTime!) { delegateRole(userId: $u, departmentId: $d, role: CONTRIBUTOR, validUntil: $until) { id } }",
            json!({ "u": city.ids[&Who::OtherContributor], "d": city.culture, "until": until.to_rfc3339() }),
        )
        .await;
    // Never above one's own role.
    let (_, body) = city
        .app
        .post_as(
            Some(editor),
            "mutation($u: ID!, $d: ID!, $until: DateTime!) { delegateRole(userId: $u, departmentId: $d, role: PUBLISHER, validUntil: $until) { id } }",
            json!({ "u": city.ids[&Who::OtherContributor], "d": city.culture, "until": until.to_rfc3339() }),
            None,
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    // Visible in `me`, on both sides.
    let me = city
        .app
        .query_as(cover, "{ me { delegationsReceived { role active delegatedBy { email } } effectiveRights { department { slug } role delegatedBy } } }", json!({}))
        .await;
    assert_eq!(
        me["me"]["delegationsReceived"][0]["delegatedBy"]["email"],
        "editor@ville.fr"
    );
    let rights = me["me"]["effectiveRights"].as_array().unwrap();
    assert!(
        rights
            .iter()
            .any(|r| r["department"]["slug"] == "culture" && r["role"] == "CONTRIBUTOR")
    );
    let given = city
        .app
        .query_as(
            editor,
            "{ me { delegationsGiven { role user { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        given["me"]["delegationsGiven"][0]["user"]["email"],
        "othercontributor@ville.fr"
    );

    let create = "mutation($d: ID!) { createNewsArticle(input: {departmentId: $d, title: \"Horaires d'été\"}) { id } }";
    city.app
        .query_as(cover, create, json!({ "d": city.culture }))
        .await;
    tokio::time::sleep(
        (until - Utc::now()).to_std().unwrap_or_default() + std::time::Duration::from_millis(300),
    )
    .await;
    let (_, body) = city
        .app
        .post_as(Some(cover), create, json!({ "d": city.culture }), None)
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    // The cover's own department is untouched.
    city.app
        .query_as(cover, create, json!({ "d": city.sports }))
        .await;
});

both_backends!(token_attacks_are_refused, |b: Backend| async move {
    let city = city(b).await;
    let me = "{ me { user { email } } }";
    let refused = |(status, body): (u16, Value)| {
        assert_eq!(status, 401, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
            "{body}"
        );
    };
    let good = city.token(Who::Editor).unwrap().to_owned();
    assert_eq!(
        city.app.query_as(&good, me, json!({})).await["me"]["user"]["email"],
        "editor@ville.fr"
    );
    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    // Tampered payload: another user's id under the editor's signature.
    let mut claims: Value = serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!(city.admin());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    refused(city.app.post_as(Some(&tampered), me, json!({}), None).await);
    // Signature bytes changed.
    let flipped = format!(
        "{}.{}.{}x",
        parts[0],
        parts[1],
        &parts[2][..parts[2].len() - 1]
    );
    refused(city.app.post_as(Some(&flipped), me, json!({}), None).await);
    // alg: none.
    let header: Value = serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
    let none = format!(
        "{}.{}.",
        b64.encode(json!({ "alg": "none", "typ": "JWT", "kid": header["kid"] }).to_string()),
        b64.encode(claims.to_string())
    );
    refused(city.app.post_as(Some(&none), me, json!({}), None).await);
    // Expired, signed with the real secret.
    let keys = silo_api::identity::Keyring::new(TEST_JWT_SECRET, &[]).unwrap();
    let editor = city.ids[&Who::Editor];
    let live_session: Uuid = claims["sid"].as_str().unwrap().parse().unwrap();
    let fresh = keys.issue(editor, live_session, Utc::now(), Duration::minutes(15));
    city.app.query_as(&fresh, me, json!({})).await;
    let expired = keys.issue(
        editor,
        live_session,
        Utc::now() - Duration::hours(2),
        Duration::minutes(15),
    );
    refused(city.app.post_as(Some(&expired), me, json!({}), None).await);
    // Signed with a key the server does not know.
    let stranger =
        silo_api::identity::Keyring::new("another-secret-of-thirty-two-bytes-or-more", &[])
            .unwrap();
    let unknown = stranger.issue(editor, live_session, Utc::now(), Duration::minutes(15));
    refused(city.app.post_as(Some(&unknown), me, json!({}), None).await);
    // A disabled user's still-unexpired token.
    refused(
        city.app
            .post_as(city.token(Who::Disabled), me, json!({}), None)
            .await,
    );
    // And a disabled user cannot sign in again.
    let (_, body) = city
        .app
        .post(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }",
            json!({ "e": Who::Disabled.email(), "p": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // Refresh tokens: rotated on use; replaying a spent one revokes the whole family.
    let login = city.app.query(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken } }",
        json!({ "e": "editor@ville.fr", "p": PASSWORD }),
    ).await;
    let first = login["login"]["refreshToken"].as_str().unwrap().to_owned();
    assert!(first.starts_with("silo_rt_"));
    let refresh =
        "mutation($r: String!) { refresh(refreshToken: $r) { refreshToken accessToken } }";
    let second = city.app.query(refresh, json!({ "r": first })).await["refresh"]["refreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = city.app.post(refresh, json!({ "r": first }), None).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let (_, body) = city.app.post(refresh, json!({ "r": second }), None).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "the family is revoked: {body}"
    );
    // Stored hashed: the token itself is nowhere in the database.
    use sea_orm::{ConnectionTrait, Statement};
    let db = city.app.store.connection();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT token_hash FROM refresh_tokens",
        ))
        .await
        .unwrap();
    assert!(!rows.is_empty());
    for row in rows {
        let hash: String = row.try_get("", "token_hash").unwrap();
        assert_eq!(hash.len(), 64);
        assert_ne!(hash, first);
    }
    // Logout revokes.
    let login = city.app.query(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { refreshToken accessToken } }",
        json!({ "e": "editor@ville.fr", "p": PASSWORD }),
    ).await;
    let token = login["login"]["refreshToken"].as_str().unwrap().to_owned();
    let access = login["login"]["accessToken"].as_str().unwrap().to_owned();
    city.app.query_as(&access, me, json!({})).await;
    let out = city
        .app
        .query(
            "mutation($r: String!) { logout(refreshToken: $r) }",
            json!({ "r": token }),
        )
        .await;
    assert_eq!(out["logout"], true);
    let (_, body) = city.app.post(refresh, json!({ "r": token }), None).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    // The sign-in's access token ends with it.
    refused(city.app.post_as(Some(&access), me, json!({}), None).await);
    // A password reset ends every sign-in, access tokens included.
    let publisher = city.token(Who::Publisher).unwrap().to_owned();
    city.app.query_as(&publisher, me, json!({})).await;
    city.app
        .query_as(
            city.token(Who::Admin).unwrap(),
            "mutation($u: ID!) { resetPassword(id: $u, password: \"a brand new password\") }",
            json!({ "u": city.ids[&Who::Publisher] }),
        )
        .await;
    refused(
        city.app
            .post_as(Some(&publisher), me, json!({}), None)
            .await,
    );
    // Changing one's own password needs the current one.
    let (_, body) = city
        .app
        .post_as(
            city.token(Who::Contributor),
            "mutation($u: ID!) { resetPassword(id: $u, password: \"a brand new password\") }",
            json!({ "u": city.ids[&Who::Contributor] }),
            None,
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["field"], "currentPassword",
        "{body}"
    );

    // A revoked site key is refused at once.
    let key = city.site_key.clone();
    city.app
        .query_as(&key, "{ departments { slug } }", json!({}))
        .await;
    let keys = city.app.store.site_keys(city.site).await.unwrap();
    admin::revoke_site_key(&city.app.store, &keys[0].id.to_string())
        .await
        .unwrap();
    refused(
        city.app
            .post_as(Some(&key), "{ departments { slug } }", json!({}), None)
            .await,
    );
    refused(
        city.app
            .post_as(
                Some("silo_sk_made_up"),
                "{ departments { slug } }",
                json!({}),
                None,
            )
            .await,
    );
});

both_backends!(sign_in_is_throttled, |b: Backend| async move {
    let city = city(b).await;
    let login =
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken } }";
    for _ in 0..5 {
        let (_, body) = city
            .app
            .post(
                login,
                json!({ "e": "editor@ville.fr", "p": "wrong password!!" }),
                None,
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    // Even the right password waits now.
    let (_, body) = city
        .app
        .post(
            login,
            json!({ "e": "editor@ville.fr", "p": PASSWORD }),
            None,
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "TOO_MANY_REQUESTS",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("retry in")
    );
    // Another account from the same address is not locked out by five failures.
    let (_, body) = city
        .app
        .post(
            login,
            json!({ "e": "publisher@ville.fr", "p": PASSWORD }),
            None,
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
});

both_backends!(
    site_keys_apply_their_channel_and_drafts_stay_private,
    |b: Backend| async move {
        let city = city(b).await;
        // One published news article per department, one Culture draft.
        for (department, title) in [
            (city.culture, "Culture publiée"),
            (city.sports, "Sports publiée"),
        ] {
            let mut publication = Publication::published(Utc::now());
            publication.created_by = Some(city.admin());
            let item = ContentItem::NewsArticle(silo_domain::news::NewsArticle {
                id: Uuid::now_v7(),
                publication,
                fields: NewsInput {
                    department_id: department,
                    title: title.into(),
                    ..Default::default()
                }
                .validate()
                .unwrap(),
            });
            city.app
                .store
                .create_content(&item, &Actor::operator(), Utc::now())
                .await
                .unwrap();
        }
        let draft = city.draft("news", city.culture, 1).await;
        let titles = |data: &Value| -> Vec<String> {
            data["news"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
                .collect()
        };
        let list = "{ news(first: 50) { edges { node { title } } } }";
        let all = city.app.query(list, json!({})).await;
        assert_eq!(
            titles(&all).len(),
            2,
            "anonymous sees both published, no draft"
        );
        let keyed = city.app.query_as(&city.site_key, list, json!({})).await;
        assert_eq!(titles(&keyed), vec!["Culture publiée".to_owned()]);

        let read = "query($id: ID!) { contentItem(kind: NEWS_ARTICLE, id: $id) { ... on NewsArticle { title } } }";
        let vars = json!({ "id": draft.id() });
        city.app
            .query_as(city.token(Who::Editor).unwrap(), read, vars.clone())
            .await;
        for who in [
            Who::Contributor,
            Who::OtherEditor,
            Who::Expired,
            Who::SiteKey,
        ] {
            let (_, body) = city
                .app
                .post_as(city.token(who), read, vars.clone(), None)
                .await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "FORBIDDEN",
                "{who:?}: {body}"
            );
        }
        let (_, body) = city.app.post(read, vars.clone(), None).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

        let drafts =
            "{ drafts(kind: NEWS_ARTICLE) { edges { node { ... on NewsArticle { title } } } } }";
        let count = |data: Value| data["drafts"]["edges"].as_array().unwrap().len();
        assert_eq!(
            count(
                city.app
                    .query_as(city.token(Who::Editor).unwrap(), drafts, json!({}))
                    .await
            ),
            1
        );
        assert_eq!(
            count(
                city.app
                    .query_as(city.token(Who::Contributor).unwrap(), drafts, json!({}))
                    .await
            ),
            0,
            "not their own draft"
        );
        assert_eq!(
            count(
                city.app
                    .query_as(city.token(Who::OtherManager).unwrap(), drafts, json!({}))
                    .await
            ),
            0
        );
        // A contributor sees their own drafts.
        let contributor = city.token(Who::Contributor).unwrap();
        city.app.query_as(contributor, "mutation($d: ID!) { createNewsArticle(input: {departmentId: $d, title: \"Le mien\"}) { id } }", json!({ "d": city.culture })).await;
        assert_eq!(
            count(city.app.query_as(contributor, drafts, json!({})).await),
            1
        );
    }
);

both_backends!(concurrent_updates_one_wins, |b: Backend| async move {
    let city = city(b).await;
    let update = "mutation($id: ID!, $d: ID!, $t: String!) { updateEvent(id: $id, expectedVersion: 1, input: {departmentId: $d, title: $t, startsAt: \"2026-12-01T19:00:00Z\"}) { title publication { version } } }";
    for round in 0..8 {
        let item = city.draft("event", city.culture, 100 + round).await;
        let attempts = [Who::Editor, Who::Publisher, Who::Manager, Who::Delegated].map(|who| {
            let app = &city.app;
            let token = city.token(who).unwrap().to_owned();
            let vars = json!({ "id": item.id(), "d": city.culture, "t": format!("par {who:?}") });
            async move { app.post_as(Some(&token), update, vars, None).await }
        });
        let answers = futures::future::join_all(attempts).await;
        let winners: Vec<&Value> = answers
            .iter()
            .filter(|(_, b)| b.get("errors").is_none())
            .map(|(_, b)| b)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {answers:?}");
        for (status, body) in &answers {
            assert_eq!(*status, 200);
            if body.get("errors").is_some() {
                assert_eq!(
                    body["errors"][0]["extensions"]["code"], "CONFLICT",
                    "{body}"
                );
            }
        }
        let stored = city
            .app
            .store
            .content_item(item.kind(), item.id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.publication().version, 2);
        assert_eq!(
            stored.label(),
            winners[0]["data"]["updateEvent"]["title"].as_str().unwrap()
        );
    }
    // Every successful write left exactly one outbox row, in order.
    let outbox = city.app.store.outbox_after(0, 10_000).await.unwrap();
    let updates = outbox
        .iter()
        .filter(|r| r.aggregate == "event" && r.change == "updated")
        .count();
    assert_eq!(updates, 8);
    assert!(outbox.windows(2).all(|w| w[0].id < w[1].id));
});

both_backends!(
    bad_input_on_mutations_names_the_fields,
    |b: Backend| async move {
        let city = city(b).await;
        let editor = city.token(Who::Editor).unwrap();
        let (status, body) = city.app.post_as(
        Some(editor),
        "mutation($d: ID!) { createEvent(input: {departmentId: $d, title: \"\", startsAt: \"2026-12-01T19:00:00Z\", endsAt: \"2026-11-01T19:00:00Z\", image: {url: \"ftp://x\"}}) { id } }",
        json!({ "d": city.culture }),
        None,
    ).await;
        assert_eq!(status, 200);
        let err = &body["errors"][0];
        assert_eq!(err["extensions"]["code"], "BAD_USER_INPUT");
        let fields: Vec<&str> = err["extensions"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        for f in ["title", "endsAt", "image.url", "image.alt"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        // Unknown department, unknown item, stale version.
        let (_, body) = city.app.post_as(Some(editor), "mutation { createPlace(input: {name: \"\", city: \"V\", postalCode: \"123\"}) { id } }", json!({}), None).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let (_, body) = city
            .app
            .post_as(
                Some(editor),
                "mutation($id: ID!) { deleteEvent(id: $id, expectedVersion: 1) { id } }",
                json!({ "id": Uuid::now_v7() }),
                None,
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
        let item = city.draft("event", city.culture, 1).await;
        let (_, body) = city
            .app
            .post_as(
                Some(editor),
                "mutation($id: ID!) { deleteEvent(id: $id, expectedVersion: 7) { id } }",
                json!({ "id": item.id() }),
                None,
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "CONFLICT");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("current version 1")
        );
        // A department still owning content cannot be deleted.
        let (_, body) = city
            .app
            .post_as(
                city.token(Who::Admin),
                "mutation($id: ID!) { deleteDepartment(id: $id, expectedVersion: 1) }",
                json!({ "id": city.culture }),
                None,
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{body}"
        );
    }
);

both_backends!(
    saving_an_event_rematerializes_it_and_fills_the_outbox,
    |b: Backend| async move {
        let city = city(b).await;
        let editor = city.token(Who::Editor).unwrap();
        let save = |rule: &str| json!({ "d": city.culture, "rule": rule });
        let created = city.app.query_as(
        editor,
        "mutation($d: ID!, $rule: String!) { createEvent(input: {departmentId: $d, title: \"Marché\", startsAt: \"2027-01-02T07:00:00Z\", endsAt: \"2027-01-02T12:00:00Z\", recurrence: {rule: $rule}}) { id slug } }",
        save("FREQ=WEEKLY;COUNT=3"),
    ).await;
        let id: Uuid = created["createEvent"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(city.app.store.occurrence_count(id).await.unwrap(), 3);
        let mut vars = save("FREQ=WEEKLY;COUNT=5");
        vars["id"] = json!(id);
        let updated = city.app.query_as(
        editor,
        "mutation($id: ID!, $d: ID!, $rule: String!) { updateEvent(id: $id, expectedVersion: 1, input: {departmentId: $d, title: \"Marché de producteurs\", startsAt: \"2027-01-02T07:00:00Z\", recurrence: {rule: $rule}}) { slug title publication { version updatedBy } } }",
        vars,
    ).await;
        assert_eq!(
            updated["updateEvent"]["slug"], created["createEvent"]["slug"],
            "the slug stays"
        );
        assert_eq!(updated["updateEvent"]["publication"]["version"], 2);
        assert_eq!(
            updated["updateEvent"]["publication"]["updatedBy"],
            city.ids[&Who::Editor].to_string()
        );
        assert_eq!(city.app.store.occurrence_count(id).await.unwrap(), 5);
        city.app
            .query_as(
                editor,
                "mutation($id: ID!) { deleteEvent(id: $id, expectedVersion: 2) { id } }",
                json!({ "id": id }),
            )
            .await;
        assert_eq!(city.app.store.occurrence_count(id).await.unwrap(), 0);
        let rows: Vec<(String, Option<i32>, Option<Uuid>)> = city
            .app
            .store
            .outbox_after(0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.aggregate_id == id)
            .map(|r| (r.change, r.version, r.actor_id))
            .collect();
        let editor_id = Some(city.ids[&Who::Editor]);
        assert_eq!(
            rows,
            vec![
                ("created".to_owned(), Some(1), editor_id),
                ("updated".to_owned(), Some(2), editor_id),
                ("deleted".to_owned(), Some(2), editor_id),
            ]
        );
    }
);
