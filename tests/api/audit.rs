//! The audit log end to end: the governance scenario (a publisher's role lent for a week,
//! a wrong image on the portal's homepage taken down) traced entry by entry, and the
//! chain catching rows edited, deleted and inserted directly in SQL.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};
use crate::rights::{Who, city};
use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use silo_api::admin::{AuditReport, verify_audit_log};

const PUBLISH: &str = "mutation($id: ID!) { publish(kind: NEWS_ARTICLE, id: $id, expectedVersion: 1) { ... on NewsArticle { publication { status } } } }";
const HOMEPAGE: &str = "{ site(slug: \"culture-site\") { slots(name: \"homepage\") { item { ... on NewsArticle { title } } } } }";
const AUDIT: &str = "query($f: AuditLogFilter, $first: Int, $after: String) { auditLog(filter: $f, first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { seq at action targetKind targetId actor { email } right { kind description role delegatedBy { email } validUntil } before after hash prevHash } } } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

fn nodes(data: &Value) -> Vec<Value> {
    data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn verify(app: &TestApp) -> AuditReport {
    verify_audit_log(&app.store, None, |_| {}).await.unwrap()
}

async fn sql(app: &TestApp, statement: &str) {
    app.store
        .connection()
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

both_backends!(
    a_lent_right_and_a_takedown_are_traced_and_tampering_is_caught,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let colleague = city.token(Who::OtherContributor).unwrap();
        let publisher = city.token(Who::Publisher).unwrap();
        let admin = city.token(Who::Admin).unwrap();

        // The Culture manager lends `publisher` to a colleague for one week (a week that
        // ends in three seconds).
        let until = Utc::now() + Duration::seconds(3);
        let loan = app.query_as(
            city.token(Who::Manager).unwrap(),
            "mutation($u: ID!, $d: ID!, $from: DateTime!, $until: DateTime!) { delegateRole(userId: $u, departmentId: $d, role: PUBLISHER, validFrom: $from, validUntil: $until) { id } }",
            json!({
                "u": city.ids[&Who::OtherContributor],
                "d": city.culture,
                "from": (until - Duration::days(7)).to_rfc3339(),
                "until": until.to_rfc3339(),
            }),
        )
        .await;
        let loan = loan["delegateRole"]["id"].clone();

        // The colleague publishes; the article goes on the portal's homepage.
        let image = city.draft("news", city.culture, 1).await;
        let later = city.draft("news", city.culture, 2).await;
        let published = app
            .query_as(colleague, PUBLISH, json!({ "id": image.id() }))
            .await;
        assert_eq!(published["publish"]["publication"]["status"], "PUBLISHED");
        app.query_as(
            admin,
            "mutation($s: ID!, $id: ID!) { setSlot(siteId: $s, name: \"homepage\", items: [{kind: NEWS_ARTICLE, id: $id}]) { position } }",
            json!({ "s": city.site, "id": image.id() }),
        )
        .await;
        let shown = app.query(HOMEPAGE, json!({})).await;
        assert_eq!(
            shown["site"]["slots"][0]["item"]["title"],
            "Brouillon news 1"
        );

        // The wrong image is taken down by a publisher in one call: gone from GraphQL and
        // from the slot at once.
        app.query_as(
            publisher,
            "mutation($id: ID!) { unpublish(kind: NEWS_ARTICLE, id: $id, reason: \"mauvaise image\") { __typename } }",
            json!({ "id": image.id() }),
        )
        .await;
        let (_, body) = app
            .post(
                "query($s: String!) { newsArticle(slug: $s) { title } }",
                json!({ "s": image.slug() }),
                None,
            )
            .await;
        assert_eq!(code(&body), "NOT_FOUND", "{body}");
        let shown = app.query(HOMEPAGE, json!({})).await;
        assert_eq!(shown["site"]["slots"], json!([]));

        // When the week is over, the same call is refused.
        tokio::time::sleep(
            (until - Utc::now()).to_std().unwrap_or_default()
                + std::time::Duration::from_millis(300),
        )
        .await;
        let (_, body) = app
            .post_as(Some(colleague), PUBLISH, json!({ "id": later.id() }), None)
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");

        // The audit log is for auditors and admins.
        let (_, body) = app.post_as(Some(publisher), AUDIT, json!({}), None).await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        app.query_as(
            admin,
            "mutation($u: ID!) { updateUser(id: $u, auditor: true) { id } }",
            json!({ "u": city.ids[&Who::OtherEditor] }),
        )
        .await;
        let auditor = &crate::rights::login_again(app, Who::OtherEditor).await;

        // Who, when, on whose lent right: the article's history, newest first.
        let data = app
            .query_as(auditor, AUDIT, json!({ "f": { "targetId": image.id() } }))
            .await;
        let history = nodes(&data);
        let actions: Vec<&str> = history
            .iter()
            .map(|n| n["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            [
                "news_article.unpublished",
                "news_article.published",
                "news_article.created"
            ]
        );
        let (takedown, publication) = (&history[0], &history[1]);
        assert_eq!(takedown["actor"]["email"], "publisher@ville.fr");
        assert_eq!(takedown["right"]["kind"], "membership");
        assert_eq!(takedown["right"]["role"], "publisher");
        assert_eq!(takedown["before"]["status"], "published");
        assert_eq!(takedown["after"]["status"], "unpublished");
        assert_eq!(takedown["after"]["note"], "mauvaise image");
        assert_eq!(publication["actor"]["email"], "othercontributor@ville.fr");
        assert_eq!(publication["right"]["kind"], "delegation");
        assert_eq!(publication["right"]["role"], "publisher");
        assert_eq!(
            publication["right"]["delegatedBy"]["email"],
            "manager@ville.fr"
        );
        let description = publication["right"]["description"].as_str().unwrap();
        assert!(
            description.starts_with("publisher of Culture, lent by manager@ville.fr until "),
            "{description}"
        );
        assert_eq!(publication["before"]["status"], "draft");
        let at = chrono::DateTime::parse_from_rfc3339(publication["at"].as_str().unwrap()).unwrap();
        assert!(at < until && at > until - Duration::seconds(10), "{at}");

        // The loan itself, the slot change and the refused call: a refusal changes
        // nothing, so it is not an entry.
        let loans = app
            .query_as(
                auditor,
                AUDIT,
                json!({ "f": { "action": "membership.", "actorId": city.ids[&Who::Manager], "targetId": loan } }),
            )
            .await;
        let loans = nodes(&loans);
        assert_eq!(loans.len(), 1, "{loans:?}");
        assert_eq!(loans[0]["action"], "membership.created");
        assert_eq!(
            loans[0]["after"]["validUntil"],
            until.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        );
        assert_eq!(loans[0]["after"]["role"], "publisher");
        assert_eq!(loans[0]["right"]["kind"], "membership");
        assert_eq!(loans[0]["right"]["role"], "manager");
        let slots = app
            .query_as(
                auditor,
                AUDIT,
                json!({ "f": { "targetKind": "site_slot" } }),
            )
            .await;
        let slots = nodes(&slots);
        assert_eq!(slots.len(), 1);
        assert_eq!(slots[0]["right"]["kind"], "admin");
        assert_eq!(slots[0]["before"]["items"], json!([]));
        assert_eq!(slots[0]["after"]["items"], json!([image.id()]));
        let refused = app
            .query_as(auditor, AUDIT, json!({ "f": { "targetId": later.id() } }))
            .await;
        assert_eq!(nodes(&refused).len(), 1, "created only");

        // Paging walks the whole log back to entry 1, each entry linked to the one before.
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let page = app
                .query_as(auditor, AUDIT, json!({ "first": 7, "after": after }))
                .await;
            seen.extend(nodes(&page));
            if page["auditLog"]["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = page["auditLog"]["pageInfo"]["endCursor"].clone();
        }
        let seqs: Vec<i64> = seen.iter().map(|n| n["seq"].as_i64().unwrap()).collect();
        let head = seqs[0];
        assert_eq!(seqs, (1..=head).rev().collect::<Vec<_>>());
        for pair in seen.windows(2) {
            assert_eq!(pair[0]["prevHash"], pair[1]["hash"]);
        }

        // `silo audit verify` passes…
        let report = verify(app).await;
        assert!(report.intact(), "{report:?}");
        assert_eq!(report.verification.verified, head);
        let noted = format!("{}:{}", head, report.verification.head_hash);

        // …and fails after each kind of tampering, naming the first broken entry.
        let k = takedown["seq"].as_i64().unwrap();
        sql(
            app,
            "CREATE TABLE audit_backup AS SELECT * FROM audit_entries",
        )
        .await;
        let undo = |seq: i64| {
            format!(
                "DELETE FROM audit_entries WHERE seq = {seq}; \
                 INSERT INTO audit_entries SELECT * FROM audit_backup WHERE seq = {seq}"
            )
        };

        // An entry edited: its own hash no longer matches.
        sql(
            app,
            &format!(
                "UPDATE audit_entries SET after = '{{\"status\":\"published\"}}' WHERE seq = {k}"
            ),
        )
        .await;
        let broken = verify(app).await.verification.broken.unwrap();
        assert_eq!(broken.seq, k, "{broken}");
        assert!(broken.reason.contains("contents"), "{broken}");
        sql(app, &undo(k)).await;
        assert!(verify(app).await.intact());

        // The action changed, even with the hash recomputed by hand, breaks the next link.
        let forged = app.store.audit_entry(k).await.unwrap().unwrap();
        let mut record = forged.record.clone();
        record.action = "news_article.updated".to_owned();
        let rechained = record.chain(k - 1, &forged.prev_hash);
        sql(
            app,
            &format!(
                "UPDATE audit_entries SET action = 'news_article.updated', hash = '{}' WHERE seq = {k}",
                rechained.hash
            ),
        )
        .await;
        let broken = verify(app).await.verification.broken.unwrap();
        assert_eq!(broken.seq, k + 1, "{broken}");
        sql(app, &undo(k)).await;

        // An entry deleted: reported missing.
        sql(app, &format!("DELETE FROM audit_entries WHERE seq = {k}")).await;
        let broken = verify(app).await.verification.broken.unwrap();
        assert_eq!(broken.seq, k, "{broken}");
        assert!(broken.reason.contains("missing"), "{broken}");
        sql(app, &undo(k)).await;

        // The last entry deleted: the head still names it.
        sql(
            app,
            &format!("DELETE FROM audit_entries WHERE seq = {head}"),
        )
        .await;
        let broken = verify(app).await.verification.broken.unwrap();
        assert_eq!(broken.seq, head, "{broken}");
        sql(app, &undo(head)).await;

        // An entry inserted after the last one: it does not chain.
        sql(
            app,
            &format!(
                "INSERT INTO audit_entries SELECT seq + 1, at, actor_id, authority, action, \
                 target_kind, target_id, department_id, before, after, prev_hash, hash \
                 FROM audit_backup WHERE seq = {head}"
            ),
        )
        .await;
        let broken = verify(app).await.verification.broken.unwrap();
        assert_eq!(broken.seq, head + 1, "{broken}");
        sql(
            app,
            &format!("DELETE FROM audit_entries WHERE seq = {}", head + 1),
        )
        .await;

        // Everything put back: intact, and still holding the head noted earlier.
        let report = verify_audit_log(&app.store, Some(&noted), |_| {})
            .await
            .unwrap();
        assert!(report.intact(), "{report:?}");
        sql(app, "DROP TABLE audit_backup").await;
        let wrong = format!("{head}:{}", "f".repeat(64));
        let report = verify_audit_log(&app.store, Some(&wrong), |_| {})
            .await
            .unwrap();
        assert!(!report.intact());
    }
);

both_backends!(
    two_processes_keep_one_chain_and_publish_a_schedule_once,
    |b: Backend| async move {
        let city = city(b).await;
        let first = &city.app;
        // A second server process over the same database, its scheduler ticking too.
        let second = &crate::helpers::spawn_app_on(first.url.clone()).await;
        let publisher = city.token(Who::Publisher).unwrap();
        let at = Utc::now() + Duration::seconds(2);
        let mut scheduled = Vec::new();
        for n in 0..6 {
            let item = city.draft("news", city.culture, n).await;
            first
                .query_as(
                    publisher,
                    "mutation($id: ID!, $at: DateTime!) { schedule(kind: NEWS_ARTICLE, id: $id, expectedVersion: 1, publishAt: $at) { __typename } }",
                    json!({ "id": item.id(), "at": at.to_rfc3339() }),
                )
                .await;
            scheduled.push(item);
        }
        // Writers on both processes at once, while the schedulers run.
        let writes = (0..12).map(|n| {
            let app = if n % 2 == 0 { first } else { second };
            app.query_as(
                publisher,
                "mutation($d: ID!, $t: String!) { createNewsArticle(input: {departmentId: $d, title: $t}) { id } }",
                json!({ "d": city.culture, "t": format!("Article {n}") }),
            )
        });
        futures::future::join_all(writes).await;
        let deadline = at + Duration::seconds(4);
        loop {
            let rows = first.store.outbox_after(0, 100_000).await.unwrap();
            let published = |id| {
                rows.iter()
                    .filter(|r| r.aggregate_id == id && r.change == "published")
                    .count()
            };
            let counts: Vec<usize> = scheduled.iter().map(|i| published(i.id())).collect();
            if counts.iter().all(|&c| c >= 1) {
                assert!(counts.iter().all(|&c| c == 1), "exactly once: {counts:?}");
                break;
            }
            assert!(Utc::now() < deadline, "not all published: {counts:?}");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        // One more tick on each process does nothing more.
        assert_eq!(second.store.run_schedule(Utc::now()).await.unwrap(), 0);
        assert_eq!(first.store.run_schedule(Utc::now()).await.unwrap(), 0);

        // One chain, unbroken, with an entry for every recorded change.
        let report = verify(first).await;
        assert!(report.intact(), "{report:?}");
        let changes = first.store.outbox_after(0, 100_000).await.unwrap().len();
        assert_eq!(report.verification.verified, changes as i64);
    }
);
