//! Change notifications for satellites: the `contentChanged` subscription over graphql-ws
//! and signed webhooks, on one server and on two server processes sharing PostgreSQL.

use crate::both_backends;
use crate::helpers::*;
use crate::rights::{City, Who, city, city_on};
use crate::webhook_receiver::Receiver;
use crate::ws_client::{CONTENT_CHANGED, Heard, Subscriber};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_secs(1);

const CREATE: &str = "mutation($d: ID!, $t: String!) {
    createEvent(input: {departmentId: $d, title: $t, startsAt: \"2027-03-01T19:00:00Z\"}) { id slug }
}";
const PUBLISH: &str = "mutation($id: ID!, $v: Int!) { publish(kind: EVENT, id: $id, expectedVersion: $v) { __typename } }";
const TAKE_DOWN: &str = "mutation($id: ID!) { unpublish(kind: EVENT, id: $id, reason: \"publié par erreur\") { __typename } }";

/// Creates an event in `department` as `who`; returns its id and slug.
async fn create(
    app_address: &str,
    city: &City,
    who: Who,
    department: uuid::Uuid,
    title: &str,
) -> (String, String) {
    let data = query_at(
        app_address,
        city.token(who),
        CREATE,
        json!({ "d": department, "t": title }),
    )
    .await;
    (
        data["createEvent"]["id"].as_str().unwrap().to_owned(),
        data["createEvent"]["slug"].as_str().unwrap().to_owned(),
    )
}

/// Runs a query against the server at `address` and expects no error.
async fn query_at(address: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let body: Value = request.send().await.unwrap().json().await.unwrap();
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

async fn publish(address: &str, city: &City, id: &str) {
    publish_as(address, city, Who::Publisher, id).await;
}

async fn publish_as(address: &str, city: &City, who: Who, id: &str) {
    query_at(
        address,
        city.token(who),
        PUBLISH,
        json!({ "id": id, "v": 1 }),
    )
    .await;
}

async fn take_down(address: &str, city: &City, id: &str) {
    query_at(
        address,
        city.token(Who::Publisher),
        TAKE_DOWN,
        json!({ "id": id }),
    )
    .await;
}

/// Connects with `who`'s credentials and subscribes to `variables`' changes.
async fn subscriber(address: &str, city: &City, who: Who, variables: Value) -> Subscriber {
    let init = match city.token(who) {
        Some(token) => json!({ "authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    let mut s = Subscriber::connect(address, init).await;
    s.subscribe("changes", CONTENT_CHANGED, variables).await;
    s
}

/// Each subscriber hears `change` of item `id`, all within a second of `since`; returns
/// what the first heard.
async fn all_hear(
    subscribers: &mut [&mut Subscriber],
    id: &str,
    change: &str,
    since: Instant,
) -> Value {
    let mut heard = Vec::new();
    for s in subscribers.iter_mut() {
        let c = s.next_change(SECOND).await;
        assert_eq!(
            (c["id"].as_str(), c["change"].as_str()),
            (Some(id), Some(change)),
            "{c}"
        );
        heard.push(c);
    }
    assert!(
        since.elapsed() < SECOND,
        "heard after {:?}",
        since.elapsed()
    );
    heard.swap_remove(0)
}

/// Subscriptions start asynchronously after `subscribe`: give them a moment.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

both_backends!(
    subscribers_hear_what_they_may_within_a_second,
    |b: Backend| async move {
        let city = city(b).await;
        let at = city.app.address.clone();
        let mut public =
            subscriber(&at, &city, Who::Anonymous, json!({ "kinds": ["EVENT"] })).await;
        let mut editor = subscriber(&at, &city, Who::Editor, json!({})).await;
        let mut sports_editor = subscriber(&at, &city, Who::OtherEditor, json!({})).await;
        let mut site = subscriber(&at, &city, Who::SiteKey, json!({})).await;
        let mut news_only = subscriber(
            &at,
            &city,
            Who::Anonymous,
            json!({ "kinds": ["NEWS_ARTICLE"] }),
        )
        .await;
        settle().await;

        // A draft: its department's editor hears of it, nobody else.
        let (id, slug) = create(
            &at,
            &city,
            Who::Publisher,
            city.culture,
            "Nuit de la lecture",
        )
        .await;
        let draft = editor.next_change(SECOND).await;
        assert_eq!(draft["change"], "UPDATED");
        assert_eq!(draft["id"], id.as_str());
        assert_eq!(draft["version"], 1);
        public.hears_nothing(Duration::from_millis(300)).await;
        sports_editor
            .hears_nothing(Duration::from_millis(100))
            .await;
        site.hears_nothing(Duration::from_millis(100)).await;

        // Published: everyone whose channel admits it, within a second.
        publish(&at, &city, &id).await;
        let everyone = &mut [&mut public, &mut editor, &mut sports_editor, &mut site];
        let change = all_hear(everyone, &id, "PUBLISHED", Instant::now()).await;
        assert_eq!(
            (change["kind"].as_str(), change["slug"].as_str()),
            (Some("EVENT"), Some(slug.as_str()))
        );
        assert_eq!(change["version"], 2);

        // Taken down: the same, within a second.
        take_down(&at, &city, &id).await;
        all_hear(
            &mut [&mut public, &mut site],
            &id,
            "UNPUBLISHED",
            Instant::now(),
        )
        .await;
        assert_eq!(editor.next_change(SECOND).await["change"], "UNPUBLISHED");

        // Sports content is outside the culture site's channel.
        let (sports, _) = create(
            &at,
            &city,
            Who::OtherPublisher,
            city.sports,
            "Cross des écoles",
        )
        .await;
        publish_as(&at, &city, Who::OtherPublisher, &sports).await;
        assert_eq!(public.next_change(SECOND).await["id"], sports.as_str());
        site.hears_nothing(Duration::from_millis(300)).await;
        news_only.hears_nothing(Duration::from_millis(100)).await;

        // A published culture event moved to Sports leaves the culture site's channel: the
        // site hears of it (to drop it), as does everyone.
        let (moving, _) = create(&at, &city, Who::Publisher, city.culture, "Conte musical").await;
        publish(&at, &city, &moving).await;
        all_hear(
            &mut [&mut public, &mut site],
            &moving,
            "PUBLISHED",
            Instant::now(),
        )
        .await;
        query_at(
            &at,
            city.token(Who::Admin),
            "mutation($id: ID!, $d: ID!) { updateEvent(id: $id, expectedVersion: 2, input: {departmentId: $d, title: \"Conte musical\", startsAt: \"2027-03-01T19:00:00Z\"}) { id } }",
            json!({ "id": moving, "d": city.sports }),
        )
        .await;
        all_hear(
            &mut [&mut public, &mut site],
            &moving,
            "UPDATED",
            Instant::now(),
        )
        .await;
    }
);

both_backends!(
    subscriptions_refuse_bad_credentials_and_sites,
    |b: Backend| async move {
        let city = city(b).await;
        let at = city.app.address.clone();
        // Credentials are checked at connection_init: a forged token closes the socket.
        let mut forged = Subscriber::open(&at).await;
        forged
            .send(json!({ "type": "connection_init", "payload": { "authorization": "Bearer forged" } }))
            .await;
        match forged.hear(SECOND).await {
            Some(Heard::Closed(Some((_, reason)))) => assert!(!reason.is_empty()),
            other => panic!("expected the socket closed, heard {other:?}"),
        }
        // An unknown site is NOT_FOUND; a site key naming another site is BAD_USER_INPUT.
        let mut anonymous = Subscriber::connect(&at, json!({})).await;
        anonymous
            .subscribe("1", CONTENT_CHANGED, json!({ "site": "nowhere" }))
            .await;
        match anonymous.hear(SECOND).await {
            Some(Heard::Error(e)) => assert_eq!(e[0]["extensions"]["code"], "NOT_FOUND", "{e}"),
            other => panic!("expected an error, heard {other:?}"),
        }
        let key = format!("Bearer {}", city.site_key);
        let mut site = Subscriber::connect(&at, json!({ "authorization": key })).await;
        site.subscribe("1", CONTENT_CHANGED, json!({ "site": "another-site" }))
            .await;
        match site.hear(SECOND).await {
            Some(Heard::Error(e)) => {
                assert_eq!(e[0]["extensions"]["code"], "BAD_USER_INPUT", "{e}")
            }
            other => panic!("expected an error, heard {other:?}"),
        }
        // At most 100 subscriptions per connection.
        let mut greedy = Subscriber::connect(&at, json!({})).await;
        for n in 0..101 {
            greedy
                .subscribe(&n.to_string(), CONTENT_CHANGED, json!({}))
                .await;
        }
        match greedy.hear(SECOND).await {
            Some(Heard::Closed(Some((4400, reason)))) => assert!(reason.contains("100")),
            other => panic!("expected the connection closed (4400), heard {other:?}"),
        }
        // A plain GET without the subprotocol is not a websocket.
        let response = reqwest::Client::new()
            .get(format!("{at}/graphql"))
            .header("connection", "upgrade")
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
    }
);

const CREATE_WEBHOOK: &str = "mutation($site: ID!, $url: String!) {
    createWebhook(siteId: $site, url: $url, description: \"site culture\") { secret webhook { id enabled version } }
}";
const DELIVERIES: &str = "query($site: ID!) {
    webhookDeliveries(siteId: $site, first: 50) { edges { node {
        id type status attempts lastStatus lastError deliveredAt body
    } } }
}";

/// Registers `receiver` on the culture site; returns the webhook's id and its secret.
async fn register(address: &str, city: &City, receiver: &Receiver) -> (String, String) {
    let data = query_at(
        address,
        city.token(Who::Admin),
        CREATE_WEBHOOK,
        json!({ "site": city.site, "url": receiver.url() }),
    )
    .await;
    let created = &data["createWebhook"];
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    receiver.set_secrets(vec![secret.clone()]);
    (
        created["webhook"]["id"].as_str().unwrap().to_owned(),
        secret,
    )
}

async fn deliveries(address: &str, city: &City) -> Vec<Value> {
    let data = query_at(
        address,
        city.token(Who::Admin),
        DELIVERIES,
        json!({ "site": city.site }),
    )
    .await;
    data["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// Waits up to 10 s for `done`, checking every 50 ms.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The signing secrets as the database holds them.
async fn stored_secrets(app: &TestApp) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let db = app.store.connection();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT secret FROM webhook_endpoints",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| r.try_get("", "secret").unwrap())
        .collect()
}

/// Fast retries for tests.
fn quick_retries(settings: &mut silo_api::Settings) {
    settings.webhook_retry_first_ms = 100;
    settings.webhook_retry_max_secs = 1;
}

both_backends!(
    webhooks_are_signed_retried_and_delivered_once_each,
    |b: Backend| async move {
        let city = city_on(spawn_app_with(fresh_database(b).await, 1, quick_retries).await).await;
        let at = city.app.address.clone();
        let receiver = Receiver::start().await;
        let (_webhook, _) = register(&at, &city, &receiver).await;

        // The receiver is down while three culture events are published and one is taken
        // down; a sports event and the drafts are not the culture site's to hear of.
        receiver.set_down(true);
        let mut culture = Vec::new();
        for title in ["Concert baroque", "Lecture publique", "Atelier gravure"] {
            let (id, _) = create(&at, &city, Who::Publisher, city.culture, title).await;
            publish(&at, &city, &id).await;
            culture.push(id);
        }
        let (sports, _) = create(&at, &city, Who::OtherPublisher, city.sports, "Cross").await;
        publish_as(&at, &city, Who::OtherPublisher, &sports).await;
        take_down(&at, &city, &culture[0]).await;

        // Four deliveries queued; the oldest tried and refused, its failure on record.
        let deadline = Instant::now() + Duration::from_secs(10);
        let log = loop {
            let log = deliveries(&at, &city).await;
            let tried = log.iter().any(|d| {
                d["attempts"].as_i64() >= Some(2)
                    && d["lastStatus"] == 503
                    && d["lastError"].as_str().is_some_and(|e| e.contains("503"))
            });
            if log.len() == 4 && tried {
                break log;
            }
            assert!(Instant::now() < deadline, "no failure recorded: {log:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(log.iter().all(|d| d["status"] == "PENDING"), "{log:?}");
        assert!(receiver.refused() >= 2);
        assert_eq!(metric(&at, "silo_webhook_deliveries_pending").await, 4);

        // Back up: every change arrives, verified, exactly once per idempotency key, in order.
        receiver.set_down(false);
        eventually("four deliveries", || receiver.accepted().len() == 4).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), 4, "no duplicates: {accepted:?}");
        let mut keys: Vec<&str> = accepted.iter().map(|a| a.id.as_str()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 4, "one delivery per key");
        let seen: Vec<(String, String)> = accepted
            .iter()
            .map(|a| {
                (
                    a.body["type"].as_str().unwrap().to_owned(),
                    a.body["data"]["id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = culture
            .iter()
            .map(|id| ("content.published".to_owned(), id.clone()))
            .chain([("content.unpublished".to_owned(), culture[0].clone())])
            .collect();
        assert_eq!(seen, expected);
        for a in &accepted {
            assert_eq!(
                a.body["id"],
                a.id.as_str(),
                "the body carries the idempotency key"
            );
            assert_eq!(a.body["site"]["slug"], "culture-site");
            assert_eq!(a.body["data"]["kind"], "EVENT");
        }
        let log = deliveries(&at, &city).await;
        assert!(
            log.iter()
                .all(|d| d["status"] == "DELIVERED" && d["lastStatus"] == 200),
            "{log:?}"
        );

        // With the receiver up, a takedown reaches it within a second.
        let (id, _) = create(&at, &city, Who::Publisher, city.culture, "Bal masqué").await;
        publish(&at, &city, &id).await;
        eventually("the publication", || receiver.accepted().len() == 5).await;
        take_down(&at, &city, &id).await;
        let taken_down_at = Instant::now();
        eventually("the takedown", || receiver.accepted().len() == 6).await;
        assert!(
            taken_down_at.elapsed() < SECOND,
            "{:?}",
            taken_down_at.elapsed()
        );
        assert_eq!(receiver.accepted()[5].body["type"], "content.unpublished");

        // The documented check catches a tampered body and a replay of an old delivery.
        let sample = &receiver.accepted()[0];
        let secrets = [receiver.secrets()[0].clone()];
        let now = chrono::Utc::now().timestamp();
        assert!(
            crate::webhook_receiver::verify(
                &secrets,
                &sample.headers,
                &sample.raw,
                sample.timestamp
            )
            .is_ok()
        );
        let tampered = sample.raw.replace("content.published", "content.deleted");
        assert_eq!(
            crate::webhook_receiver::verify(&secrets, &sample.headers, &tampered, now),
            Err("no valid signature")
        );
        assert_eq!(
            crate::webhook_receiver::verify(
                &secrets,
                &sample.headers,
                &sample.raw,
                sample.timestamp + 301
            ),
            Err("timestamp outside the tolerance")
        );
    }
);

both_backends!(
    a_failing_endpoint_is_disabled_audited_and_can_be_brought_back,
    |b: Backend| async move {
        let city = city_on(
            spawn_app_with(fresh_database(b).await, 1, |s| {
                quick_retries(s);
                s.webhook_failure_limit = 3;
            })
            .await,
        )
        .await;
        let at = city.app.address.clone();
        let receiver = Receiver::start().await;
        let (webhook, first_secret) = register(&at, &city, &receiver).await;
        // Stored sealed: a copy of the database does not give the secret away.
        let stored = stored_secrets(&city.app).await;
        assert_eq!(stored.len(), 1);
        assert!(stored[0].starts_with("sealed:v1:"), "{stored:?}");
        assert!(!stored[0].contains(&first_secret[6..]));
        receiver.set_down(true);
        let (id, _) = create(&at, &city, Who::Publisher, city.culture, "Festival d'hiver").await;
        publish(&at, &city, &id).await;

        let state = "query($site: ID!) { webhooks(siteId: $site) { id enabled disabledReason failureRun version } }";
        let mut endpoint = Value::Null;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            endpoint = query_at(
                &at,
                city.token(Who::Admin),
                state,
                json!({ "site": city.site }),
            )
            .await["webhooks"][0]
                .clone();
            if endpoint["enabled"] == false {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(endpoint["enabled"], false, "{endpoint}");
        assert_eq!(endpoint["failureRun"], 3);
        assert!(
            endpoint["disabledReason"]
                .as_str()
                .unwrap()
                .contains("3 failed attempts")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(receiver.refused(), 3, "no attempt once disabled");

        // The audit log says the webhook sender disabled it; no entry carries the secret.
        let audit = query_at(
            &at,
            city.token(Who::Admin),
            "query($id: ID!) { auditLog(filter: {targetId: $id}, first: 20) { edges { node { action right { kind } after } } } }",
            json!({ "id": webhook }),
        )
        .await;
        let entries = audit["auditLog"]["edges"].as_array().unwrap();
        assert!(
            entries
                .iter()
                .any(|e| e["node"]["action"] == "webhook.disabled"
                    && e["node"]["right"]["kind"] == "webhook_sender"),
            "{audit}"
        );
        assert!(
            !audit.to_string().contains(&first_secret[6..]),
            "the secret is never recorded"
        );

        // Redelivery waits for the endpoint to be enabled again.
        let delivery = deliveries(&at, &city).await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let redeliver = "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { id status } }";
        let (_, body) = city
            .app
            .post_as(
                city.token(Who::Admin),
                redeliver,
                json!({ "id": delivery }),
                None,
            )
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "CONFLICT",
            "{body}"
        );

        // Enabled (and its secret rotated), it delivers what was pending, signed with both
        // secrets during the grace period.
        receiver.set_down(false);
        let rotated = query_at(
            &at,
            city.token(Who::Admin),
            "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret webhook { previousSecretValidUntil } } }",
            json!({ "id": webhook }),
        )
        .await;
        let new_secret = rotated["rotateWebhookSecret"]["secret"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_ne!(new_secret, first_secret);
        assert!(rotated["rotateWebhookSecret"]["webhook"]["previousSecretValidUntil"].is_string());
        receiver.set_secrets(vec![new_secret.clone()]);
        assert!(stored_secrets(&city.app).await[0].starts_with("sealed:v1:"));
        query_at(
            &at,
            city.token(Who::Admin),
            "mutation($id: ID!, $v: Int!) { updateWebhook(id: $id, expectedVersion: $v, input: {enabled: true}) { enabled failureRun } }",
            json!({ "id": webhook, "v": endpoint["version"].as_i64().unwrap() + 1 }),
        )
        .await;
        eventually("the pending delivery", || receiver.accepted().len() == 1).await;
        let signed = receiver.accepted()[0].clone();
        assert_eq!(signed.id, delivery);
        let old_only = [first_secret.clone()];
        assert!(
            crate::webhook_receiver::verify(
                &old_only,
                &signed.headers,
                &signed.raw,
                signed.timestamp
            )
            .is_ok()
        );
        assert_eq!(signed.headers["webhook-signature"].split(' ').count(), 2);

        // Redelivered by hand: the same idempotency key again.
        let again = query_at(
            &at,
            city.token(Who::Admin),
            redeliver,
            json!({ "id": delivery }),
        )
        .await;
        assert_eq!(again["redeliverWebhook"]["status"], "PENDING");
        eventually("the redelivery", || receiver.accepted().len() == 2).await;
        assert_eq!(receiver.accepted()[1].id, delivery);
        let log = deliveries(&at, &city).await;
        assert_eq!(log[0]["status"], "DELIVERED");
        assert!(log[0]["attempts"].as_i64().unwrap() >= 5, "{log:?}");
    }
);

/// Two `silo serve` processes on one PostgreSQL database (beside the test's own server,
/// which set the city up): a change made through either reaches subscribers of both
/// within a second, and each webhook delivery is sent once, whichever process sends it.
mod two_server_processes {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        if !enabled(Backend::Postgres) {
            return;
        }
        let url = fresh_database(Backend::Postgres).await;
        let city = city_on(spawn_app_with(url.clone(), 1, quick_retries).await).await;
        let env = [
            ("SILO_WEBHOOK_RETRY_FIRST_MS", "100"),
            ("SILO_WEBHOOK_RETRY_MAX_SECS", "1"),
        ];
        let (a, b) = (
            ServerProcess::start(&url, &env),
            ServerProcess::start(&url, &env),
        );
        let receiver = Receiver::start().await;
        register(&a.address, &city, &receiver).await;
        let kinds = json!({ "kinds": ["EVENT"] });
        let mut on_a = subscriber(&a.address, &city, Who::Anonymous, kinds.clone()).await;
        let mut on_b = subscriber(&b.address, &city, Who::Anonymous, kinds).await;
        settle().await;

        // Published through A: heard on both within a second.
        let (id, _) = create(
            &a.address,
            &city,
            Who::Publisher,
            city.culture,
            "Salon du livre",
        )
        .await;
        publish(&a.address, &city, &id).await;
        all_hear(
            &mut [&mut on_b, &mut on_a],
            &id,
            "PUBLISHED",
            Instant::now(),
        )
        .await;
        eventually("the publication's webhook", || {
            receiver.accepted().len() == 1
        })
        .await;

        // Taken down through B: heard on both, and by the webhook, within a second.
        take_down(&b.address, &city, &id).await;
        let taken_down_at = Instant::now();
        all_hear(
            &mut [&mut on_a, &mut on_b],
            &id,
            "UNPUBLISHED",
            taken_down_at,
        )
        .await;
        eventually("the takedown's webhook", || receiver.accepted().len() == 2).await;
        assert!(
            taken_down_at.elapsed() < SECOND,
            "{:?}",
            taken_down_at.elapsed()
        );

        // A burst written through both: every change heard once, in order, on each
        // process; every delivery sent once.
        let mut published = Vec::new();
        for n in 0..20 {
            let through = if n % 2 == 0 { &a.address } else { &b.address };
            let (id, _) = create(
                through,
                &city,
                Who::Publisher,
                city.culture,
                &format!("Concert {n}"),
            )
            .await;
            publish(through, &city, &id).await;
            published.push(id);
        }
        for s in [&mut on_a, &mut on_b] {
            let mut heard = Vec::new();
            for _ in 0..published.len() {
                heard.push(
                    s.next_change(SECOND).await["id"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
            assert_eq!(heard, published);
            s.hears_nothing(Duration::from_millis(200)).await;
        }
        eventually("the burst's webhooks", || receiver.accepted().len() == 22).await;
        tokio::time::sleep(SECOND).await;
        let accepted = receiver.accepted();
        assert_eq!(accepted.len(), 22, "no delivery sent twice");
        let mut keys: Vec<&str> = accepted.iter().map(|d| d.id.as_str()).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 22);
        let log = deliveries(&a.address, &city).await;
        assert!(
            log.iter()
                .all(|d| d["status"] == "DELIVERED" && d["attempts"] == 1),
            "{log:?}"
        );
    }
}

/// Subscribers that stop reading are dropped, and the server's memory stays within its
/// bound however many changes they miss: measured on a server process of its own.
mod slow_subscribers_are_dropped_within_a_memory_bound {
    use super::*;

    const UPDATE: &str = "mutation($id: ID!, $v: Int!, $d: ID!, $t: String!) {
        updateEvent(id: $id, expectedVersion: $v, input: {departmentId: $d, title: $t, startsAt: \"2027-03-01T19:00:00Z\"}) { id }
    }";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let url = fresh_database(Backend::Sqlite).await;
        let city = city_on(spawn_app_on(url.clone()).await).await;
        let server = ServerProcess::start(
            &url,
            &[
                ("SILO_SUBSCRIPTION_BUFFER", "64"),
                ("SILO_SUBSCRIPTION_SEND_TIMEOUT_SECS", "2"),
            ],
        );
        let at = server.address.clone();
        let (id, _) = create(
            &at,
            &city,
            Who::Publisher,
            city.culture,
            "Marché de printemps",
        )
        .await;
        publish(&at, &city, &id).await;
        let token = city.token(Who::Publisher);
        let mut version = 2;
        let mut update = async |n: usize| {
            let title = format!("Marché de printemps, édition {n} {}", "—".repeat(60));
            query_at(
                &at,
                token,
                UPDATE,
                json!({ "id": id, "v": version, "d": city.culture, "t": title }),
            )
            .await;
            version += 1;
        };
        // Warm up: the first writes grow the caches and the search index's writer.
        for n in 0..200 {
            update(n).await;
        }

        // Four connections of a hundred subscriptions each, which never read.
        let mut slow = Vec::new();
        for _ in 0..4 {
            let mut s = Subscriber::connect_with_buffer(&at, json!({}), Some(4096)).await;
            for n in 0..100 {
                s.subscribe(&n.to_string(), CONTENT_CHANGED, json!({}))
                    .await;
            }
            slow.push(s);
        }
        // A consumer that keeps up is not affected.
        let mut keeping_up = subscriber(&at, &city, Who::Anonymous, json!({})).await;
        settle().await;
        let baseline = server.rss_kib();
        let mut peak = baseline;
        let mut heard = 0;
        for n in 0..600 {
            update(n).await;
            while let Some(Heard::Next(_)) = keeping_up.hear(Duration::ZERO).await {
                heard += 1;
            }
            if n % 20 == 0 {
                peak = peak.max(server.rss_kib());
            }
        }
        while heard < 600 {
            match keeping_up.hear(SECOND).await {
                Some(Heard::Next(_)) => heard += 1,
                other => panic!("the reading subscriber was cut off after {heard}: {other:?}"),
            }
        }
        peak = peak.max(server.rss_kib());
        let growth_mib = peak.saturating_sub(baseline) as f64 / 1024.0;
        // Without the bounds, the 240,000 messages missed would hold about 60 MiB; the
        // writes alone grow it by about 6 MiB. Alone the growth is about 12 MiB; with the
        // whole suite running beside it, up to 18 MiB was seen.
        assert!(
            growth_mib < 24.0,
            "server memory grew by {growth_mib:.1} MiB"
        );

        // They were told: their subscriptions ended or their connection was closed.
        let dropped = metric(&at, "silo_subscriptions_dropped_total").await;
        assert!(dropped >= 4, "{dropped} dropped");
        for mut s in slow {
            let mut told = false;
            while let Some(heard) = s.hear(SECOND).await {
                match heard {
                    Heard::Error(e) if e[0]["extensions"]["code"] == "SLOW_CONSUMER" => told = true,
                    Heard::Closed(Some((1008, _))) => told = true,
                    Heard::Closed(_) => break,
                    _ => {}
                }
            }
            assert!(told, "a slow subscriber was not told");
        }
        eprintln!("slow subscribers: server memory grew by {growth_mib:.1} MiB; {dropped} dropped");
    }
}

/// The server pings an idle subscriber (graphql-transport-ws `ping`) and closes the
/// connection of one that stops answering.
mod silent_subscribers_are_pinged_then_disconnected {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        let app = spawn_app_with(demo_database(Backend::Sqlite), 3_600, |s| {
            s.keepalive_secs = 1
        })
        .await;
        let open = async || metric(&app.address, "silo_subscriptions").await;
        let mut answering = Subscriber::connect(&app.address, json!({})).await;
        let mut silent = Subscriber::connect(&app.address, json!({})).await;
        answering.subscribe("1", CONTENT_CHANGED, json!({})).await;
        silent.subscribe("1", CONTENT_CHANGED, json!({})).await;
        settle().await;
        assert_eq!(open().await, 2);
        // The silent one reads nothing (so answers nothing) for 4.5 s, while the other
        // reads, and so answers the pings, as clients do by themselves.
        answering.hears_nothing(Duration::from_millis(4500)).await;
        assert_eq!(
            open().await,
            1,
            "the silent connection is closed, the other is not"
        );
        let mut pings = 0;
        loop {
            match silent.raw_message(SECOND).await {
                Some(m) if m["type"] == "ping" => pings += 1,
                Some(m) if m["type"] == "__closed" => break,
                other => panic!("expected pings then the close, got {other:?}"),
            }
        }
        assert!(pings >= 1, "pinged before being dropped");
        answering.hears_nothing(Duration::from_millis(300)).await;
    }
}

both_backends!(
    a_revoked_site_key_ends_its_subscriptions,
    |b: Backend| async move {
        let app = spawn_app_with(fresh_database(b).await, 1, |s| s.keepalive_secs = 1).await;
        let city = city_on(app).await;
        let at = city.app.address.clone();
        let mut site = subscriber(&at, &city, Who::SiteKey, json!({})).await;
        let mut editor = subscriber(&at, &city, Who::Editor, json!({})).await;
        let keys = query_at(
            &at,
            city.token(Who::Admin),
            "query($site: ID!) { siteKeys(siteId: $site) { id } }",
            json!({ "site": city.site }),
        )
        .await;
        query_at(
            &at,
            city.token(Who::Admin),
            "mutation($id: ID!) { revokeSiteKey(id: $id) }",
            json!({ "id": keys["siteKeys"][0]["id"] }),
        )
        .await;
        let revoked_at = Instant::now();
        // Read both at once: a subscriber answers pings only while it reads.
        let ((closed, after), ()) = tokio::join!(
            async {
                (
                    site.hear(Duration::from_secs(3)).await,
                    revoked_at.elapsed(),
                )
            },
            editor.hears_nothing(Duration::from_secs(3)),
        );
        match closed {
            Some(Heard::Closed(Some((4401, reason)))) => {
                assert!(reason.contains("revoked"), "{reason}")
            }
            other => panic!("expected the connection closed (4401), heard {other:?}"),
        }
        // Within a keep-alive period (1 s here), while the editor's connection stays.
        assert!(after < Duration::from_millis(1500), "{after:?}");
    }
);
