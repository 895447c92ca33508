//! An in-process fake of the Meilisearch HTTP API (no Meilisearch server can be installed
//! on the test machines), modelled on its documented API and on the requests
//! meilisearch-sdk sends: indexes, settings, documents, search with filters, facets and
//! highlights, swaps and tasks. Tasks are carried out at once and reported `succeeded`.
//!
//! Its search follows Meilisearch's documented behaviour for what the adapter asks:
//! words lower-cased with accents folded, stop words ignored, the last word also a prefix,
//! one typo allowed from 5 letters and two from 9, every word required
//! (`matchingStrategy: all`), attribute ranking (title before text), `_geoRadius` in
//! metres, and the filter forms the adapter writes (`IN [...]`, `<`, `>=`, `AND`).

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Mutex;

#[derive(Default)]
struct Index {
    /// Documents in insertion order (Meilisearch's tie order).
    documents: Vec<Map<String, Value>>,
    settings: Value,
}

#[derive(Default)]
struct State {
    indexes: BTreeMap<String, Index>,
    tasks: Vec<Value>,
}

/// A running fake; its base URL.
pub async fn spawn() -> String {
    spawn_on(0).await
}

/// A fake on `port` (0: any free port).
pub async fn spawn_on(port: u16) -> String {
    let state = web::Data::new(Mutex::new(State::default()));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::JsonConfig::default().limit(64 * 1024 * 1024))
            .route("/indexes", web::post().to(create_index))
            .route("/indexes/{uid}", web::get().to(get_index))
            .route("/indexes/{uid}", web::delete().to(delete_index))
            .route("/indexes/{uid}/settings", web::patch().to(set_settings))
            .route("/indexes/{uid}/documents", web::post().to(add_documents))
            .route(
                "/indexes/{uid}/documents/delete-batch",
                web::post().to(delete_documents),
            )
            .route("/indexes/{uid}/documents/{id}", web::get().to(get_document))
            .route("/indexes/{uid}/search", web::post().to(search))
            .route("/swap-indexes", web::post().to(swap_indexes))
            .route("/tasks/{uid}", web::get().to(get_task))
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .expect("bind the fake");
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}")
}

type Shared = web::Data<Mutex<State>>;

const NOW: &str = "2026-11-24T00:00:00Z";

/// Records a task carried out at once; answers its summary (202, as Meilisearch does).
fn task(state: &mut State, kind: &str, index: Option<&str>, error: Option<Value>) -> HttpResponse {
    let uid = state.tasks.len();
    state.tasks.push(json!({
        "uid": uid,
        "indexUid": index,
        "status": if error.is_some() { "failed" } else { "succeeded" },
        "type": kind,
        "details": null,
        "error": error,
        "canceledBy": null,
        "duration": "PT0.001S",
        "enqueuedAt": NOW,
        "startedAt": NOW,
        "finishedAt": NOW,
    }));
    HttpResponse::Accepted().json(json!({
        "taskUid": uid,
        "indexUid": index,
        "status": "enqueued",
        "type": kind,
        "enqueuedAt": NOW,
    }))
}

fn error(code: &str, message: &str) -> Value {
    json!({
        "message": message,
        "code": code,
        "type": "invalid_request",
        "link": format!("https://docs.meilisearch.com/errors#{code}"),
    })
}

fn not_found(code: &str, message: &str) -> HttpResponse {
    HttpResponse::NotFound().json(error(code, message))
}

fn index_info(uid: &str) -> Value {
    json!({ "uid": uid, "primaryKey": "id", "createdAt": NOW, "updatedAt": NOW })
}

async fn create_index(state: Shared, body: web::Json<Value>) -> HttpResponse {
    let mut state = state.lock().unwrap();
    let uid = body["uid"].as_str().unwrap_or_default().to_owned();
    if state.indexes.contains_key(&uid) {
        let e = error("index_already_exists", "Index already exists.");
        return task(&mut state, "indexCreation", Some(&uid), Some(e));
    }
    state.indexes.insert(uid.clone(), Index::default());
    task(&mut state, "indexCreation", Some(&uid), None)
}

async fn get_index(state: Shared, uid: web::Path<String>) -> HttpResponse {
    match state.lock().unwrap().indexes.get(uid.as_str()) {
        Some(_) => HttpResponse::Ok().json(index_info(&uid)),
        None => not_found("index_not_found", &format!("Index `{uid}` not found.")),
    }
}

async fn delete_index(state: Shared, uid: web::Path<String>) -> HttpResponse {
    let mut state = state.lock().unwrap();
    if state.indexes.remove(uid.as_str()).is_none() {
        return not_found("index_not_found", &format!("Index `{uid}` not found."));
    }
    task(&mut state, "indexDeletion", Some(&uid), None)
}

async fn set_settings(
    state: Shared,
    uid: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let mut state = state.lock().unwrap();
    let index = state.indexes.entry(uid.to_string()).or_default();
    let mut settings = index.settings.as_object().cloned().unwrap_or_default();
    for (k, v) in body.as_object().cloned().unwrap_or_default() {
        settings.insert(k, v);
    }
    index.settings = Value::Object(settings);
    task(&mut state, "settingsUpdate", Some(&uid), None)
}

async fn add_documents(
    state: Shared,
    uid: web::Path<String>,
    body: web::Json<Vec<Map<String, Value>>>,
) -> HttpResponse {
    let mut state = state.lock().unwrap();
    // Adding documents creates a missing index, as Meilisearch does.
    let index = state.indexes.entry(uid.to_string()).or_default();
    for document in body.into_inner() {
        let id = document.get("id").cloned();
        match index
            .documents
            .iter_mut()
            .find(|d| d.get("id") == id.as_ref())
        {
            Some(existing) => *existing = document,
            None => index.documents.push(document),
        }
    }
    task(&mut state, "documentAdditionOrUpdate", Some(&uid), None)
}

async fn delete_documents(
    state: Shared,
    uid: web::Path<String>,
    body: web::Json<Vec<Value>>,
) -> HttpResponse {
    let mut state = state.lock().unwrap();
    let Some(index) = state.indexes.get_mut(uid.as_str()) else {
        return not_found("index_not_found", &format!("Index `{uid}` not found."));
    };
    let ids: Vec<String> = body
        .iter()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        .collect();
    index.documents.retain(|d| {
        !d.get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| ids.iter().any(|x| x == id))
    });
    task(&mut state, "documentDeletion", Some(&uid), None)
}

async fn get_document(state: Shared, path: web::Path<(String, String)>) -> HttpResponse {
    let (uid, id) = path.into_inner();
    let state = state.lock().unwrap();
    let Some(index) = state.indexes.get(&uid) else {
        return not_found("index_not_found", &format!("Index `{uid}` not found."));
    };
    match index
        .documents
        .iter()
        .find(|d| d.get("id").and_then(Value::as_str) == Some(&id))
    {
        Some(document) => HttpResponse::Ok().json(document),
        None => not_found("document_not_found", &format!("Document `{id}` not found.")),
    }
}

async fn swap_indexes(state: Shared, body: web::Json<Vec<Value>>) -> HttpResponse {
    let mut state = state.lock().unwrap();
    for swap in body.iter() {
        let (Some(a), Some(b)) = (swap["indexes"][0].as_str(), swap["indexes"][1].as_str()) else {
            continue;
        };
        let first = state.indexes.remove(a).unwrap_or_default();
        let second = state.indexes.remove(b).unwrap_or_default();
        state.indexes.insert(a.to_owned(), second);
        state.indexes.insert(b.to_owned(), first);
    }
    task(&mut state, "indexSwap", None, None)
}

async fn get_task(state: Shared, uid: web::Path<usize>) -> HttpResponse {
    match state.lock().unwrap().tasks.get(*uid) {
        Some(task) => HttpResponse::Ok().json(task),
        None => not_found("task_not_found", "Task not found."),
    }
}

/// Lower case, French accents folded.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

/// Words with their byte ranges in the original text.
fn words(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i, fold(&text[s..i])));
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut previous = row[0];
        row[0] = i;
        for j in 1..=b.len() {
            let current = row[j];
            row[j] = (row[j] + 1)
                .min(row[j - 1] + 1)
                .min(previous + usize::from(a[i - 1] != b[j - 1]));
            previous = current;
        }
    }
    row[b.len()]
}

/// Whether a document word matches a query word: exactly, as a prefix for the last query
/// word, or within the typos its length allows.
fn matches(word: &str, query: &str, last: bool) -> bool {
    let typos = match query.chars().count() {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    };
    word == query
        || (last && word.starts_with(query))
        || (typos > 0 && distance(word, query) <= typos)
}

/// One clause of the filter forms the adapter writes.
fn passes(document: &Map<String, Value>, clause: &str) -> bool {
    let clause = clause.trim();
    if let Some(args) = clause
        .strip_prefix("_geoRadius(")
        .and_then(|r| r.strip_suffix(')'))
    {
        let n: Vec<f64> = args
            .split(',')
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        let geo = &document.get("_geo").cloned().unwrap_or(Value::Null);
        let (Some(lat), Some(lng), [clat, clng, metres]) =
            (geo["lat"].as_f64(), geo["lng"].as_f64(), n.as_slice())
        else {
            return false;
        };
        let from = silo_domain::field::GeoPoint {
            latitude: *clat,
            longitude: *clng,
        };
        let to = silo_domain::field::GeoPoint {
            latitude: lat,
            longitude: lng,
        };
        return from.distance_km(&to) * 1000.0 <= *metres;
    }
    if let Some((attribute, list)) = clause.split_once(" IN ") {
        let wanted: Vec<Value> = serde_json::from_str(list).unwrap_or_default();
        return match document.get(attribute.trim()) {
            Some(Value::Array(values)) => values.iter().any(|v| wanted.contains(v)),
            Some(value) => wanted.contains(value),
            None => false,
        };
    }
    for (op, test) in [
        (" >= ", (|a: f64, b: f64| a >= b) as fn(f64, f64) -> bool),
        (" < ", |a, b| a < b),
    ] {
        if let Some((attribute, value)) = clause.split_once(op) {
            let bound: f64 = value.trim().parse().unwrap_or(f64::NAN);
            return document
                .get(attribute.trim())
                .and_then(Value::as_f64)
                .is_some_and(|v| test(v, bound));
        }
    }
    panic!("the fake does not know the filter `{clause}`");
}

/// `text` with the words matching the query wrapped in the tags.
fn highlight(text: &str, query: &[String], pre: &str, post: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (start, end, word) in words(text) {
        if query
            .iter()
            .enumerate()
            .any(|(i, q)| matches(&word, q, i + 1 == query.len()))
        {
            out.push_str(&text[at..start]);
            out.push_str(pre);
            out.push_str(&text[start..end]);
            out.push_str(post);
            at = end;
        }
    }
    out.push_str(&text[at..]);
    out
}

async fn search(state: Shared, uid: web::Path<String>, body: web::Json<Value>) -> HttpResponse {
    let state = state.lock().unwrap();
    let Some(index) = state.indexes.get(uid.as_str()) else {
        return not_found("index_not_found", &format!("Index `{uid}` not found."));
    };
    let stop: Vec<String> = index.settings["stopWords"]
        .as_array()
        .map(|w| w.iter().filter_map(|v| v.as_str().map(fold)).collect())
        .unwrap_or_default();
    let query: Vec<String> = words(body["q"].as_str().unwrap_or(""))
        .into_iter()
        .map(|(_, _, w)| w)
        .filter(|w| !stop.contains(w))
        .collect();
    let filter = body["filter"].as_str().unwrap_or("");
    let mut found: Vec<(usize, &Map<String, Value>)> = Vec::new();
    'documents: for document in &index.documents {
        if !filter.is_empty() && !filter.split(" AND ").all(|c| passes(document, c)) {
            continue;
        }
        let field = |name: &str| -> Vec<String> {
            words(document.get(name).and_then(Value::as_str).unwrap_or(""))
                .into_iter()
                .map(|(_, _, w)| w)
                .collect()
        };
        let (title, text) = (field("title"), field("text"));
        let mut in_title = 0;
        for (i, q) in query.iter().enumerate() {
            let last = i + 1 == query.len();
            if title.iter().any(|w| matches(w, q, last)) {
                in_title += 1;
            } else if !text.iter().any(|w| matches(w, q, last)) {
                continue 'documents;
            }
        }
        found.push((in_title, document));
    }
    // Attribute ranking: more words in the title first; ties keep the insertion order.
    found.sort_by_key(|(in_title, _)| std::cmp::Reverse(*in_title));
    let mut distribution: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for facet in body["facets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        let counts = distribution.entry(facet.to_owned()).or_default();
        for (_, document) in &found {
            let values = match document.get(facet) {
                Some(Value::Array(values)) => values.clone(),
                Some(value) => vec![value.clone()],
                None => Vec::new(),
            };
            for value in values.iter().filter_map(Value::as_str) {
                *counts.entry(value.to_owned()).or_default() += 1;
            }
        }
    }
    let offset = body["offset"].as_u64().unwrap_or(0) as usize;
    let limit = body["limit"].as_u64().unwrap_or(20) as usize;
    let pre = body["highlightPreTag"].as_str().unwrap_or("<em>");
    let post = body["highlightPostTag"].as_str().unwrap_or("</em>");
    let highlighted: Vec<String> = body["attributesToHighlight"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let hits: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(limit)
        .map(|(_, document)| {
            let mut formatted = (*document).clone();
            for name in &highlighted {
                if let Some(text) = document.get(name).and_then(Value::as_str) {
                    formatted.insert(name.clone(), json!(highlight(text, &query, pre, post)));
                }
            }
            let mut hit = (*document).clone();
            hit.insert("_formatted".to_owned(), Value::Object(formatted));
            Value::Object(hit)
        })
        .collect();
    HttpResponse::Ok().json(json!({
        "hits": hits,
        "offset": offset,
        "limit": limit,
        "estimatedTotalHits": found.len(),
        "facetDistribution": distribution,
        "processingTimeMs": 0,
        "query": body["q"],
    }))
}
