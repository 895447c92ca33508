//! GraphQL subscriptions over the `/graphql` websocket. async-graphql speaks the protocol
//! (graphql-transport-ws, and the older subscriptions-transport-ws); this transport bounds
//! what one connection can make the server hold, keeps the connection alive, and
//! authenticates it from `connection_init`.
//!
//! Credentials are checked again at each keep-alive: a connection outlives neither its
//! token, nor its session, nor a revoked site key (closed with 4401).
//!
//! Bounds: outgoing messages wait in a 32-message channel that is drained only as fast as
//! the socket takes them; a message that cannot be queued within the send timeout closes
//! the connection (the consumer is told by the close reason). Subscriptions themselves
//! fall at most the feed's capacity behind before they end with `SLOW_CONSUMER`.

use crate::changes::ChangeFeed;
use crate::graphql::{ApiSchema, Loaders, RequestContext};
use crate::identity::{Caller, Identity};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message};
use async_graphql::Data;
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures::{SinkExt, StreamExt};
use silo_storage::Store;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The largest message a client may send (a subscription document and its variables).
const MAX_FRAME: usize = 64 * 1024;
/// Subscriptions one connection may start (each holds its parsed request).
const MAX_SUBSCRIPTIONS: usize = 100;

/// How long a connection may go silent and how long a send may wait.
#[derive(Debug, Clone, Copy)]
pub struct Liveness {
    /// A ping every `keepalive`; a client silent for three of them is disconnected.
    pub keepalive: Duration,
    /// A message the client has not made room for within this time closes the connection.
    pub send_timeout: Duration,
}

/// Whether a GET asks to open a websocket.
pub fn is_upgrade(ctx: &actix_web::guard::GuardContext<'_>) -> bool {
    ctx.head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the websocket when the client offers a GraphQL subprotocol.
pub async fn accept(
    req: HttpRequest,
    body: web::Payload,
    schema: web::Data<ApiSchema>,
    store: web::Data<Store>,
    identity: web::Data<Identity>,
    feed: web::Data<ChangeFeed>,
    liveness: web::Data<Liveness>,
) -> actix_web::Result<HttpResponse> {
    let protocol = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        })
        .ok_or_else(|| {
            actix_web::error::ErrorBadRequest(
                "offer the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)",
            )
        })?;
    let (mut response, session, messages) = actix_ws::handle(&req, body)?;
    response.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    let connection = Connection {
        schema: schema.into_inner(),
        store: (**store).clone(),
        identity: (**identity).clone(),
        feed: feed.into_inner(),
        liveness: **liveness,
        client_addr: req.peer_addr().map(|a| a.ip().to_string()),
        protocol,
    };
    actix_web::rt::spawn(connection.serve(session, messages));
    Ok(response)
}

struct Connection {
    schema: Arc<ApiSchema>,
    store: Store,
    identity: Identity,
    feed: Arc<ChangeFeed>,
    liveness: Liveness,
    client_addr: Option<String>,
    protocol: WebSocketProtocols,
}

impl Connection {
    async fn serve(self, mut session: actix_ws::Session, messages: actix_ws::MessageStream) {
        let started = Instant::now();
        let heard_at = Arc::new(AtomicU64::new(0));
        // Client frames go to the protocol through a small bounded channel; pings are
        // answered here, and any frame counts as a sign of life.
        let (mut to_protocol, from_client) = futures::channel::mpsc::channel::<Vec<u8>>(8);
        let reader = {
            let mut session = session.clone();
            let heard_at = heard_at.clone();
            let mut messages = messages.max_frame_size(MAX_FRAME);
            actix_web::rt::spawn(async move {
                let mut subscribed: usize = 0;
                while let Some(Ok(message)) = messages.next().await {
                    heard_at.store(started.elapsed().as_millis() as u64, Ordering::Relaxed);
                    let bytes = match message {
                        Message::Text(text) => text.as_bytes().to_vec(),
                        Message::Binary(bytes) => bytes.to_vec(),
                        Message::Ping(bytes) => {
                            let _ = session.pong(&bytes).await;
                            continue;
                        }
                        Message::Close(_) => break,
                        _ => continue,
                    };
                    subscribed = match subscription_step(&bytes) {
                        Some(true) => subscribed + 1,
                        Some(false) => subscribed.saturating_sub(1),
                        None => subscribed,
                    };
                    if subscribed > MAX_SUBSCRIPTIONS {
                        let reason =
                            format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection");
                        let _ = session.close(close_reason(4400, reason)).await;
                        break;
                    }
                    if to_protocol.send(bytes).await.is_err() {
                        break;
                    }
                }
            })
        };
        let (store, identity, client_addr) = (
            self.store.clone(),
            self.identity.clone(),
            self.client_addr.clone(),
        );
        // What connection_init presented, checked again at each keep-alive.
        let credentials = Arc::new(std::sync::Mutex::new(None::<String>));
        let presented = credentials.clone();
        let mut protocol = WebSocket::new((*self.schema).clone(), from_client, self.protocol)
            .on_connection_init(move |payload| {
                let authorization = payload_field(&payload, "authorization");
                let site = payload_field(&payload, "site")
                    .or_else(|| payload_field(&payload, crate::routes::SITE_HEADER));
                *presented.lock().unwrap_or_else(|e| e.into_inner()) = authorization.clone();
                connection_init(store, identity, authorization, site, client_addr)
            });
        let mut keepalive = tokio::time::interval(self.liveness.keepalive);
        keepalive.tick().await;
        let close = loop {
            let text = tokio::select! {
                message = protocol.next() => match message {
                    Some(WsMessage::Text(text)) => text,
                    Some(WsMessage::Close(code, reason)) => break close_reason(code, reason),
                    None => break None,
                },
                _ = keepalive.tick() => {
                    let heard = Duration::from_millis(heard_at.load(Ordering::Relaxed));
                    if started.elapsed().saturating_sub(heard) > self.liveness.keepalive * 3 {
                        break close_reason(1001, "no answer to keep-alive pings".into());
                    }
                    // An expired token, an ended session, a revoked key or a disabled
                    // account ends the connection too.
                    let presented = credentials.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    if let Some(authorization) = presented
                        && let Err(e) = Caller::from_authorization(
                            &self.store,
                            &self.identity,
                            Some(&authorization),
                        )
                        .await
                    {
                        break close_reason(4401, e.to_string());
                    }
                    // A WebSocket ping too: clients of the older protocol answer only that.
                    if session.ping(b"").await.is_err() {
                        break None;
                    }
                    self.keepalive_message().to_owned()
                }
            };
            match tokio::time::timeout(self.liveness.send_timeout, session.text(text)).await {
                Ok(Ok(())) => {}
                Ok(Err(_closed)) => break None,
                Err(_timeout) => {
                    self.feed.count_dropped();
                    break close_reason(
                        1008,
                        "slow consumer: messages were not read in time".into(),
                    );
                }
            }
        };
        reader.abort();
        // The subscriptions end now, not after the grace period.
        drop(protocol);
        // The close frame queues behind what the client has not read yet: a slow consumer
        // that reads again within the grace period learns why; then the socket is dropped.
        let grace = self.liveness.keepalive * 3;
        let _ = tokio::time::timeout(grace, session.close(close)).await;
    }

    /// The protocol's own keep-alive: graphql-transport-ws answers a `ping` with a `pong`.
    fn keepalive_message(&self) -> &'static str {
        match self.protocol {
            WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
            WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
        }
    }
}

fn close_reason(code: u16, reason: String) -> Option<CloseReason> {
    Some(CloseReason {
        code: CloseCode::from(code),
        description: Some(reason),
    })
}

/// Whether a client message starts a subscription (`Some(true)`: `subscribe`, or `start` in
/// the older protocol) or stops one (`Some(false)`: `complete`, `stop`); async-graphql
/// checks the rest.
fn subscription_step(bytes: &[u8]) -> Option<bool> {
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<&'a str>,
    }
    match serde_json::from_slice::<Kind<'_>>(bytes).ok()?.kind? {
        "subscribe" | "start" => Some(true),
        "complete" | "stop" => Some(false),
        _ => None,
    }
}

/// A string field of `connection_init`'s payload, whatever its case.
fn payload_field(payload: &serde_json::Value, name: &str) -> Option<String> {
    payload.as_object().and_then(|o| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_owned)
    })
}

/// `connection_init`'s payload carries what HTTP requests send as headers:
/// `{"authorization": "Bearer <token or site key>", "site": "<slug>"}` (both optional;
/// anonymous without them). Refused credentials close the connection, the reason saying why.
async fn connection_init(
    store: Store,
    identity: Identity,
    authorization: Option<String>,
    site: Option<String>,
    client_addr: Option<String>,
) -> async_graphql::Result<Data> {
    let context = RequestContext::resolve(
        &store,
        &identity,
        authorization.as_deref(),
        site.as_deref(),
        client_addr,
    )
    .await
    .map_err(|e| async_graphql::Error::new(e.to_string()))?;
    let mut data = Data::default();
    data.insert(context);
    data.insert(Loaders::new(&store));
    Ok(data)
}
