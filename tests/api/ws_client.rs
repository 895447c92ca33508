//! A graphql-transport-ws client, as a satellite would run one: connect with the
//! subprotocol, `connection_init` with credentials, `subscribe`, read `next` messages and
//! answer the server's pings.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

pub struct Subscriber {
    socket: Socket,
}

/// What the server said, protocol chatter (pings, acks) aside.
#[derive(Debug)]
pub enum Heard {
    Next(Value),
    Error(Value),
    Complete,
    Closed(Option<(u16, String)>),
}

impl Subscriber {
    /// Opens `/graphql` of the server at `address` (`http://…`) and sends `init` as the
    /// `connection_init` payload; panics unless the server acknowledges.
    pub async fn connect(address: &str, init: Value) -> Self {
        Self::connect_with_buffer(address, init, None).await
    }

    /// [`connect`](Self::connect) with a receive buffer of `bytes`.
    pub async fn connect_with_buffer(address: &str, init: Value, bytes: Option<u32>) -> Self {
        let mut subscriber = Self::open_with_buffer(address, bytes).await;
        subscriber
            .send(json!({ "type": "connection_init", "payload": init }))
            .await;
        match subscriber.protocol_message(Duration::from_secs(5)).await {
            Some(m) if m["type"] == "connection_ack" => subscriber,
            other => panic!("no connection_ack: {other:?}"),
        }
    }

    /// Opens the socket only.
    pub async fn open(address: &str) -> Self {
        Self::open_with_buffer(address, None).await
    }

    /// The same, with a receive buffer of `bytes` (a consumer that reads little holds
    /// little: what it does not read backs up into the server).
    pub async fn open_with_buffer(address: &str, bytes: Option<u32>) -> Self {
        let url = format!("{}/graphql", address.replacen("http", "ws", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let host = address.trim_start_matches("http://");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(bytes) = bytes {
            socket.set_recv_buffer_size(bytes).unwrap();
        }
        let stream = socket.connect(host.parse().unwrap()).await.unwrap();
        let (socket, response) = tokio_tungstenite::client_async(request, stream)
            .await
            .expect("websocket");

        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        Self { socket }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap();
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next message of any type, answering pings on the way; `None` after `wait`.
    async fn protocol_message(&mut self, wait: Duration) -> Option<Value> {
        self.message(wait, true).await
    }

    /// The next message as it comes, pings included and left unanswered.
    pub async fn raw_message(&mut self, wait: Duration) -> Option<Value> {
        self.message(wait, false).await
    }

    async fn message(&mut self, wait: Duration, answer_pings: bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap();
                    if answer_pings && message["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Some(message);
                }
                Some(Ok(Message::Close(frame))) => {
                    let reason = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    return Some(json!({ "type": "__closed", "reason": reason }));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Some(json!({ "type": "__closed" })),
            }
        }
    }

    /// What the server says next within `wait`.
    pub async fn hear(&mut self, wait: Duration) -> Option<Heard> {
        let message = self.protocol_message(wait).await?;
        Some(match message["type"].as_str() {
            Some("next") => match message["payload"].get("errors") {
                Some(errors) => Heard::Error(errors.clone()),
                None => Heard::Next(message["payload"]["data"].clone()),
            },
            Some("error") => Heard::Error(message["payload"].clone()),
            Some("complete") => Heard::Complete,
            Some("__closed") => {
                Heard::Closed(serde_json::from_value(message["reason"].clone()).unwrap_or_default())
            }
            _ => panic!("unexpected message {message}"),
        })
    }

    /// The next `contentChanged` within `wait`, or a panic saying what came instead.
    pub async fn next_change(&mut self, wait: Duration) -> Value {
        match self.hear(wait).await {
            Some(Heard::Next(data)) => data["contentChanged"].clone(),
            other => panic!("expected a change within {wait:?}, heard {other:?}"),
        }
    }

    /// Panics if a change comes within `wait`.
    pub async fn hears_nothing(&mut self, wait: Duration) {
        if let Some(heard) = self.hear(wait).await {
            panic!("expected silence, heard {heard:?}");
        }
    }
}

/// The subscription a satellite runs.
pub const CONTENT_CHANGED: &str = "subscription($kinds: [ContentKind!], $site: String) {
    contentChanged(kinds: $kinds, site: $site) { kind id slug change version at }
}";
