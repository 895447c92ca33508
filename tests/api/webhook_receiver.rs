//! A satellite's webhook receiver, written from the README's instructions (not from
//! Silo's code): it verifies each delivery's signature and timestamp, and records what it
//! accepted. It can be switched down (503) to make Silo retry.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How far a delivery's timestamp may be from the receiver's clock (the README's 5 min).
const TOLERANCE_SECS: i64 = 300;

/// The README's check: a known `webhook-id`, a timestamp within five minutes, and one of
/// the space-separated `v1,<base64>` signatures equal to the HMAC-SHA256, keyed with the
/// base64 part of a `whsec_` secret, of `{webhook-id}.{webhook-timestamp}.{raw body}`.
pub fn verify(
    secrets: &[String],
    headers: &HashMap<String, String>,
    body: &str,
    now: i64,
) -> Result<(), &'static str> {
    let id = headers.get("webhook-id").ok_or("no webhook-id")?;
    let timestamp: i64 = headers
        .get("webhook-timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or("no webhook-timestamp")?;
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err("timestamp outside the tolerance");
    }
    let signatures = headers
        .get("webhook-signature")
        .ok_or("no webhook-signature")?;
    let signed = format!("{id}.{timestamp}.{body}");
    for secret in secrets {
        let Ok(key) = STANDARD.decode(secret.trim_start_matches("whsec_")) else {
            continue;
        };
        for signature in signatures.split(' ') {
            let Some(Ok(given)) = signature.strip_prefix("v1,").map(|s| STANDARD.decode(s)) else {
                continue;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(signed.as_bytes());
            // verify_slice compares in constant time.
            if mac.verify_slice(&given).is_ok() {
                return Ok(());
            }
        }
    }
    Err("no valid signature")
}

/// One delivery the receiver accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub id: String,
    pub timestamp: i64,
    pub headers: HashMap<String, String>,
    pub raw: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    down: AtomicBool,
    secrets: Mutex<Vec<String>>,
    accepted: Mutex<Vec<Accepted>>,
    /// Deliveries answered 503 while down.
    refused: AtomicUsize,
    /// Deliveries whose check failed (there should be none).
    forged: AtomicUsize,
}

pub struct Receiver {
    state: Arc<State>,
    port: u16,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/hook", web::post().to(receive))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Self { state, port }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    pub fn set_secrets(&self, secrets: Vec<String>) {
        *self.state.secrets.lock().unwrap() = secrets;
    }

    pub fn secrets(&self) -> Vec<String> {
        self.state.secrets.lock().unwrap().clone()
    }

    pub fn accepted(&self) -> Vec<Accepted> {
        assert_eq!(
            self.state.forged.load(Ordering::SeqCst),
            0,
            "a delivery failed the check"
        );
        self.state.accepted.lock().unwrap().clone()
    }

    pub fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }
}

async fn receive(state: web::Data<State>, req: HttpRequest, raw: String) -> HttpResponse {
    if state.down.load(Ordering::SeqCst) {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::ServiceUnavailable().body("down for maintenance");
    }
    let headers: HashMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let secrets = state.secrets.lock().unwrap().clone();
    let now = chrono::Utc::now().timestamp();
    if verify(&secrets, &headers, &raw, now).is_err() {
        state.forged.fetch_add(1, Ordering::SeqCst);
        return HttpResponse::Unauthorized().finish();
    }
    let accepted = Accepted {
        id: headers["webhook-id"].clone(),
        timestamp: headers["webhook-timestamp"].parse().unwrap(),
        body: serde_json::from_str(&raw).unwrap(),
        headers,
        raw,
    };
    state.accepted.lock().unwrap().push(accepted);
    HttpResponse::Ok().body("ok")
}
