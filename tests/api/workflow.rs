//! The editorial workflow end to end: review, four-eyes, leave cover for a publisher,
//! takedown gone at once from every read, department takedown.

use crate::both_backends;
use crate::helpers::Backend;
use crate::rights::{Who, city};
use chrono::{Duration, Offset, Utc};
use serde_json::{Value, json};

const CREATE: &str = "mutation($d: ID!, $t: String!) { createNewsArticle(input: {departmentId: $d, title: $t}) { id slug publication { version } } }";
const MOVE: &str = "mutation($id: ID!, $v: Int!) { publish(kind: NEWS_ARTICLE, id: $id, expectedVersion: $v) { ... on NewsArticle { publication { status version publishedAt } } } }";

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

both_backends!(review_four_eyes_and_takedown, |b: Backend| async move {
    let city = city(b).await;
    let app = &city.app;
    let publisher = city.token(Who::Publisher).unwrap();
    let manager = city.token(Who::Manager).unwrap();
    // Culture works under four-eyes.
    app.query_as(
        city.token(Who::Admin).unwrap(),
        "mutation($id: ID!) { updateDepartment(id: $id, expectedVersion: 1, input: {name: \"Culture\", slug: \"culture\", reviewPolicy: FOUR_EYES}) { reviewPolicy } }",
        json!({ "id": city.culture }),
    )
    .await;

    // The publisher writes an article: they cannot publish their own version.
    let created = app
        .query_as(
            publisher,
            CREATE,
            json!({ "d": city.culture, "t": "Logo de la ville" }),
        )
        .await;
    let id = created["createNewsArticle"]["id"].clone();
    let slug = created["createNewsArticle"]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, body) = app
        .post_as(Some(publisher), MOVE, json!({ "id": id, "v": 1 }), None)
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("four-eyes")
    );

    // Submitted for review; the author still cannot approve; the manager (another
    // publisher) can.
    let submitted = app.query_as(publisher, "mutation($id: ID!) { submitForReview(kind: NEWS_ARTICLE, id: $id, expectedVersion: 1) { ... on NewsArticle { publication { status version } } } }", json!({ "id": id })).await;
    assert_eq!(
        submitted["submitForReview"]["publication"]["status"],
        "IN_REVIEW"
    );
    let approve = "mutation($id: ID!, $v: Int!) { approve(kind: NEWS_ARTICLE, id: $id, expectedVersion: $v) { ... on NewsArticle { publication { status version } } } }";
    let (_, body) = app
        .post_as(Some(publisher), approve, json!({ "id": id, "v": 2 }), None)
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    // An editor is not a publisher.
    let (_, body) = app
        .post_as(
            city.token(Who::Editor),
            approve,
            json!({ "id": id, "v": 2 }),
            None,
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("publisher on department culture")
    );
    let approved = app
        .query_as(manager, approve, json!({ "id": id, "v": 2 }))
        .await;
    assert_eq!(approved["approve"]["publication"]["status"], "PUBLISHED");

    // Public at once.
    let read = "query($s: String!) { newsArticle(slug: $s) { title } }";
    let seen = app.query(read, json!({ "s": slug })).await;
    assert_eq!(seen["newsArticle"]["title"], "Logo de la ville");

    // A transition from the wrong state names the state.
    let (_, body) = app
        .post_as(Some(manager), approve, json!({ "id": id, "v": 3 }), None)
        .await;
    assert_eq!(code(&body), "CONFLICT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("published"),
        "{body}"
    );

    // A wrong logo: taken down in one call, with a reason required.
    let takedown = "mutation($id: ID!, $r: String!) { unpublish(kind: NEWS_ARTICLE, id: $id, reason: $r) { ... on NewsArticle { publication { status } } } }";
    let (_, body) = app
        .post_as(
            Some(publisher),
            takedown,
            json!({ "id": id, "r": " " }),
            None,
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert_eq!(body["errors"][0]["extensions"]["field"], "reason");
    let (_, body) = app
        .post_as(
            city.token(Who::Editor),
            takedown,
            json!({ "id": id, "r": "mauvais logo" }),
            None,
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN");
    let down = app
        .query_as(
            publisher,
            takedown,
            json!({ "id": id, "r": "mauvais logo" }),
        )
        .await;
    assert_eq!(down["unpublish"]["publication"]["status"], "UNPUBLISHED");
    let (_, body) = app.post(read, json!({ "s": slug }), None).await;
    assert_eq!(
        code(&body),
        "NOT_FOUND",
        "gone from GraphQL at once: {body}"
    );
    let list = app
        .query(
            "{ news(first: 100) { edges { node { slug } } } }",
            json!({}),
        )
        .await;
    assert!(!list.to_string().contains(&slug));

    // The outbox tells the workers, with the reason.
    let rows = app.store.outbox_after(0, 10_000).await.unwrap();
    let last = rows
        .iter()
        .rev()
        .find(|r| r.aggregate == "news_article")
        .unwrap();
    assert_eq!(last.change, "unpublished");
    assert_eq!(last.payload["note"], "mauvais logo");
    assert_eq!(last.actor_id, Some(city.ids[&Who::Publisher]));
});

both_backends!(
    a_delegated_publisher_publishes_until_the_loan_ends,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let colleague = city.token(Who::OtherContributor).unwrap();
        let until = Utc::now() + Duration::seconds(2);
        app.query_as(
        city.token(Who::Manager).unwrap(),
        "mutation($u: ID!, $d: ID!, $until: DateTime!) { delegateRole(userId: $u, departmentId: $d, role: PUBLISHER, validUntil: $until) { id } }",
        json!({ "u": city.ids[&Who::OtherContributor], "d": city.culture, "until": until.to_rfc3339() }),
    )
    .await;
        let first = city.draft("news", city.culture, 1).await;
        let second = city.draft("news", city.culture, 2).await;
        let published = app
            .query_as(colleague, MOVE, json!({ "id": first.id(), "v": 1 }))
            .await;
        assert_eq!(published["publish"]["publication"]["status"], "PUBLISHED");
        tokio::time::sleep(
            (until - Utc::now()).to_std().unwrap_or_default()
                + std::time::Duration::from_millis(300),
        )
        .await;
        let (_, body) = app
            .post_as(
                Some(colleague),
                MOVE,
                json!({ "id": second.id(), "v": 1 }),
                None,
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "{body}");
        // The outbox names who published under the loan.
        let rows = app.store.outbox_after(0, 10_000).await.unwrap();
        let publish = rows
            .iter()
            .find(|r| r.aggregate_id == first.id() && r.change == "published")
            .unwrap();
        assert_eq!(publish.actor_id, Some(city.ids[&Who::OtherContributor]));
    }
);

both_backends!(
    a_department_is_taken_down_in_one_call,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let admin = city.token(Who::Admin).unwrap();
        let mut ids = Vec::new();
        for (n, kind) in ["news", "event", "association", "service"]
            .into_iter()
            .enumerate()
        {
            let item = city.draft(kind, city.culture, n).await;
            let kind_name = match kind {
                "news" => "NEWS_ARTICLE",
                "event" => "EVENT",
                "association" => "ASSOCIATION",
                _ => "PUBLIC_SERVICE",
            };
            // Admin created them; the manager publishes (no four-eyes here anyway).
            app.query_as(
            city.token(Who::Manager).unwrap(),
            &format!("mutation($id: ID!) {{ publish(kind: {kind_name}, id: $id, expectedVersion: 1) {{ __typename }} }}"),
            json!({ "id": item.id() }),
        )
        .await;
            ids.push(item.id());
        }
        let sports = city.draft("news", city.sports, 9).await;
        app.query_as(
        city.token(Who::OtherManager).unwrap(),
        "mutation($id: ID!) { publish(kind: NEWS_ARTICLE, id: $id, expectedVersion: 1) { __typename } }",
        json!({ "id": sports.id() }),
    )
    .await;
        let takedown = "mutation($d: ID!) { takedownDepartment(departmentId: $d, reason: \"compte compromis\") { count } }";
        let (_, body) = app
            .post_as(
                city.token(Who::Manager),
                takedown,
                json!({ "d": city.culture }),
                None,
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN", "admins only");
        let done = app
            .query_as(admin, takedown, json!({ "d": city.culture }))
            .await;
        assert_eq!(done["takedownDepartment"]["count"], 4);
        let news = app
            .query(
                "{ news(first: 100) { edges { node { title } } } }",
                json!({}),
            )
            .await;
        let titles = news.to_string();
        assert!(
            titles.contains("Brouillon news 9"),
            "Sports stays: {titles}"
        );
        assert!(!titles.contains("Brouillon news 0"), "{titles}");
        // Reverted item by item.
        let back = app
        .query_as(
            city.token(Who::Manager).unwrap(),
            "mutation($id: ID!) { publish(kind: NEWS_ARTICLE, id: $id, expectedVersion: 3) { ... on NewsArticle { publication { status } } } }",
            json!({ "id": ids[0] }),
        )
        .await;
        assert_eq!(back["publish"]["publication"]["status"], "PUBLISHED");
    }
);

both_backends!(
    every_saved_version_is_kept_and_restorable,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let editor = city.token(Who::Editor).unwrap();
        let created = app
            .query_as(
                editor,
                CREATE,
                json!({ "d": city.culture, "t": "Horaires" }),
            )
            .await;
        let id = created["createNewsArticle"]["id"].clone();
        app.query_as(
        editor,
        "mutation($id: ID!, $d: ID!) { updateNewsArticle(id: $id, expectedVersion: 1, input: {departmentId: $d, title: \"Horaires d'été\", featured: true}) { id } }",
        json!({ "id": id, "d": city.culture }),
    )
    .await;
        let diff = app
        .query_as(
            editor,
            "query($id: ID!) { revisionDiff(kind: NEWS_ARTICLE, id: $id, from: 1, to: 2) { field before after } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(
            diff["revisionDiff"],
            json!([
                { "field": "featured", "before": false, "after": true },
                { "field": "title", "before": "Horaires", "after": "Horaires d'été" },
            ])
        );
        // Restoring version 1 makes version 3; history is not rewritten.
        let restored = app
        .query_as(
            editor,
            "mutation($id: ID!) { restoreRevision(kind: NEWS_ARTICLE, id: $id, version: 1, expectedVersion: 2) { ... on NewsArticle { title featured publication { version } } } }",
            json!({ "id": id }),
        )
        .await;
        assert_eq!(restored["restoreRevision"]["title"], "Horaires");
        assert_eq!(restored["restoreRevision"]["publication"]["version"], 3);
        let list = app
        .query_as(editor, "query($id: ID!) { revisions(kind: NEWS_ARTICLE, id: $id) { version label savedBy } }", json!({ "id": id }))
        .await;
        let labels: Vec<(i64, &str)> = list["revisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["version"].as_i64().unwrap(), r["label"].as_str().unwrap()))
            .collect();
        assert_eq!(
            labels,
            vec![(1, "Horaires"), (2, "Horaires d'été"), (3, "Horaires")]
        );
        // Someone who may not read the drafts may not read their history.
        let (_, body) = app
            .post_as(
                city.token(Who::OtherEditor),
                "query($id: ID!) { revisions(kind: NEWS_ARTICLE, id: $id) { version } }",
                json!({ "id": id }),
                None,
            )
            .await;
        assert_eq!(code(&body), "FORBIDDEN");
        let (_, body) = app
        .post_as(Some(editor), "query($id: ID!) { revisionDiff(kind: NEWS_ARTICLE, id: $id, from: 1, to: 9) { field } }", json!({ "id": id }), None)
        .await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
    }
);

both_backends!(
    a_scheduled_item_appears_within_one_tick,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let item = city.draft("news", city.culture, 1).await;
        let slug = item.slug().to_owned();
        let at = Utc::now() + Duration::seconds(2);
        let scheduled = app
        .query_as(
            city.token(Who::Publisher).unwrap(),
            "mutation($id: ID!, $at: DateTime!) { schedule(kind: NEWS_ARTICLE, id: $id, expectedVersion: 1, publishAt: $at) { ... on NewsArticle { publication { status publishAt publishAtLocal } } } }",
            json!({ "id": item.id(), "at": at.to_rfc3339() }),
        )
        .await;
        assert_eq!(scheduled["schedule"]["publication"]["status"], "DRAFT");
        // Shown on the department's clock (Culture is in Europe/Paris).
        let local = scheduled["schedule"]["publication"]["publishAtLocal"]
            .as_str()
            .unwrap();
        let parsed = chrono::DateTime::parse_from_rfc3339(local).unwrap();
        let paris = at.with_timezone(&chrono_tz::Europe::Paris);
        assert_eq!(
            parsed.offset().local_minus_utc(),
            paris.offset().fix().local_minus_utc()
        );
        assert!((parsed.with_timezone(&Utc) - at).abs() < Duration::milliseconds(1));
        let read = "query($s: String!) { newsArticle(slug: $s) { title } }";
        // Not before its time (the test servers tick every second).
        let (_, body) = app.post(read, json!({ "s": slug }), None).await;
        assert_eq!(code(&body), "NOT_FOUND");
        tokio::time::sleep((at - Utc::now()).to_std().unwrap_or_default()).await;
        let deadline = at + Duration::milliseconds(2_500); // one tick, and slack for slow CI
        loop {
            let (_, body) = app.post(read, json!({ "s": slug }), None).await;
            if body.get("errors").is_none() {
                break;
            }
            assert!(Utc::now() < deadline, "not published within a tick: {body}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let rows = app.store.outbox_after(0, 10_000).await.unwrap();
        let published: Vec<_> = rows
            .iter()
            .filter(|r| r.aggregate_id == item.id() && r.change == "published")
            .collect();
        assert_eq!(published.len(), 1, "exactly once");
        assert!(published[0].occurred_at >= at);
        // Running the schedule again (a second process, a restart) does nothing more.
        assert_eq!(app.store.run_schedule(Utc::now()).await.unwrap(), 0);
    }
);

both_backends!(
    a_wrong_image_on_the_homepage_is_taken_down_in_one_call,
    |b: Backend| async move {
        let city = city(b).await;
        let app = &city.app;
        let publisher = city.token(Who::Publisher).unwrap();
        let curator = city.token(Who::Editor).unwrap();
        let logo = city.draft("news", city.culture, 1).await;
        let other = city.draft("news", city.culture, 2).await;
        app.query_as(publisher, MOVE, json!({ "id": logo.id(), "v": 1 }))
            .await;
        let set = "mutation($s: ID!, $id: ID!) { setSlot(siteId: $s, name: \"homepage\", items: [{kind: NEWS_ARTICLE, id: $id}]) { position } }";
        let vars = json!({ "s": city.site, "id": logo.id() });
        // Only the site's curators (and admins) change its slots.
        let (_, body) = app.post_as(Some(curator), set, vars.clone(), None).await;
        assert_eq!(code(&body), "FORBIDDEN");
        app.query_as(
            city.token(Who::Admin).unwrap(),
            "mutation($s: ID!, $u: ID!) { setSiteCurator(siteId: $s, userId: $u, curator: true) }",
            json!({ "s": city.site, "u": city.ids[&Who::Editor] }),
        )
        .await;
        let curator = &crate::rights::login_again(app, Who::Editor).await;
        app.query_as(curator, set, vars).await;
        // Only published content can be placed.
        let (_, body) = app
            .post_as(
                Some(curator),
                set,
                json!({ "s": city.site, "id": other.id() }),
                None,
            )
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT");
        assert_eq!(body["errors"][0]["extensions"]["field"], "items.0.id");

        let homepage = "{ site(slug: \"culture-site\") { slots(name: \"homepage\") { item { ... on NewsArticle { title } } } } }";
        let shown = app.query(homepage, json!({})).await;
        assert_eq!(
            shown["site"]["slots"][0]["item"]["title"],
            "Brouillon news 1"
        );
        // The takedown: one call, gone from the slot at once.
        app.query_as(
        publisher,
        "mutation($id: ID!) { unpublish(kind: NEWS_ARTICLE, id: $id, reason: \"mauvais logo\") { __typename } }",
        json!({ "id": logo.id() }),
    )
    .await;
        let shown = app.query(homepage, json!({})).await;
        assert_eq!(shown["site"]["slots"], json!([]));
        assert!(
            app.store
                .slot(city.site, "homepage")
                .await
                .unwrap()
                .is_empty(),
            "removed, not hidden"
        );
    }
);
