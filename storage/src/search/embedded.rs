//! The embedded search index (tantivy) in the data dir, the zero-config default.
//!
//! French analysis: words lower-cased, accents folded, reduced to their Snowball French
//! stem (`concerts` finds `concert`, `fete` finds `Fête`). Typos: each query word also
//! matches words one edit away (two for long words). The outbox position the index
//! reflects is stored in its own commits, so index and position never disagree after a
//! crash. A rebuild writes a new index beside the live one and swaps a pointer file; a
//! server adopts the new index at its next read of the position.

use super::escape_html;
use silo_domain::content::ContentKind;
use silo_domain::search::{
    ALL_SITES, Attribute, Clause, Facets, SearchBatch, SearchDocument, SearchError, SearchHit,
    SearchIndex, SearchRequest, SearchResults, sort_counts,
};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tantivy::collector::{Count, FacetCollector, TopDocs};
use tantivy::query::doc_predicate_query::{DocPredicateQuery, FunctionPredicate};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    FAST, Facet, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    TextAnalyzer,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};
use uuid::Uuid;

const ANALYZER: &str = "fr";
/// The writer's memory budget: bounded, whatever the size of a batch.
const WRITER_HEAP: usize = 20_000_000;
/// The file naming the live index directory.
const CURRENT: &str = "current";
const SNIPPET_CHARS: usize = 160;

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    kind: Field,
    title: Field,
    text: Field,
    department: Field,
    sites: Field,
    terms: Field,
    facets: Field,
    starts: Field,
    ends: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(ANALYZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED),
        title: builder.add_text_field("title", analyzed.clone()),
        text: builder.add_text_field("text", analyzed),
        department: builder.add_text_field("department", STRING),
        sites: builder.add_text_field("sites", STRING),
        terms: builder.add_text_field("terms", STRING),
        facets: builder.add_facet_field("facets", INDEXED),
        starts: builder.add_i64_field("starts", FAST | INDEXED),
        ends: builder.add_i64_field("ends", FAST | INDEXED),
    };
    builder.add_f64_field("lat", FAST);
    builder.add_f64_field("lon", FAST);
    (builder.build(), fields)
}

fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(Stemmer::new(Language::French))
        .build()
}

/// An open index with its reader and its single writer (taken on first write: a process
/// that only rebuilds never locks the live index another process writes).
struct Live {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    /// The outbox position of the last commit (-1: never committed).
    position: AtomicI64,
}

impl Live {
    fn open(dir: PathBuf) -> Result<Self, SearchError> {
        std::fs::create_dir_all(&dir).map_err(failed)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(&dir).map_err(failed)?;
        let index = Index::open_or_create(directory, schema).map_err(failed)?;
        index.tokenizers().register(ANALYZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(failed)?;
        let position = index
            .load_metas()
            .map_err(failed)?
            .payload
            .and_then(|p| p.parse().ok())
            .unwrap_or(-1);
        Ok(Self {
            dir,
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            position: AtomicI64::new(position),
        })
    }

    /// Runs `write` with the index's writer, taken on first use.
    fn write<R>(
        &self,
        write: impl FnOnce(&mut IndexWriter) -> Result<R, SearchError>,
    ) -> Result<R, SearchError> {
        let mut slot = self.writer.lock().map_err(poisoned)?;
        if slot.is_none() {
            let writer = self
                .index
                .writer_with_num_threads(1, WRITER_HEAP)
                .map_err(failed)?;
            *slot = Some(writer);
        }
        match slot.as_mut() {
            Some(writer) => write(writer),
            None => Err(SearchError("no index writer".to_owned())),
        }
    }

    fn add(&self, writer: &IndexWriter, document: &SearchDocument) -> Result<(), SearchError> {
        let f = &self.fields;
        let mut doc = doc!(
            f.id => document.id.to_string(),
            f.kind => document.kind.as_str(),
            f.title => document.title.as_str(),
            f.text => document.text.as_str(),
            f.department => document.department_id.to_string(),
            f.facets => Facet::from(&format!("/kind/{}", document.kind.as_str())),
            f.facets => Facet::from(&format!("/department/{}", document.department_id)),
        );
        if document.all_sites {
            doc.add_text(f.sites, ALL_SITES);
        }
        for site in &document.site_ids {
            doc.add_text(f.sites, site.to_string());
        }
        for term in document.category_ids.iter().chain(&document.tag_ids) {
            doc.add_text(f.terms, term.to_string());
        }
        for category in &document.category_ids {
            doc.add_facet(f.facets, Facet::from(&format!("/category/{category}")));
        }
        if let (Some(start), Some(end)) = (document.starts_at, document.ends_at) {
            doc.add_i64(f.starts, start.timestamp());
            doc.add_i64(f.ends, end.timestamp());
        }
        if let Some(geo) = document.geo {
            let schema = self.index.schema();
            doc.add_f64(schema.get_field("lat").map_err(failed)?, geo.latitude);
            doc.add_f64(schema.get_field("lon").map_err(failed)?, geo.longitude);
        }
        writer.add_document(doc).map_err(failed)?;
        Ok(())
    }

    /// Commits with the position as payload and makes the commit visible.
    fn commit(&self, writer: &mut IndexWriter, position: i64) -> Result<(), SearchError> {
        let mut prepared = writer.prepare_commit().map_err(failed)?;
        prepared.set_payload(&position.to_string());
        prepared.commit().map_err(failed)?;
        self.position.store(position, Ordering::SeqCst);
        self.reader.reload().map_err(failed)
    }
}

/// The embedded backend.
pub struct EmbeddedIndex {
    root: PathBuf,
    live: RwLock<Arc<Live>>,
    building: Mutex<Option<Live>>,
    /// Opened by `silo reindex` beside a running server: leaves the other index
    /// directories to the server, which adopts the new one and removes the old.
    rebuild_only: bool,
}

impl EmbeddedIndex {
    /// Opens (or creates) the index under `root`; index directories other than the live
    /// one (left by a rebuild) are removed.
    pub fn open(root: &Path) -> Result<Self, SearchError> {
        let index = Self::open_with(root, false)?;
        sweep(root, &index.live()?.dir);
        Ok(index)
    }

    /// Opens the index to rebuild it while a server may be using it (`silo reindex`).
    pub fn open_for_rebuild(root: &Path) -> Result<Self, SearchError> {
        Self::open_with(root, true)
    }

    fn open_with(root: &Path, rebuild_only: bool) -> Result<Self, SearchError> {
        std::fs::create_dir_all(root).map_err(failed)?;
        let dir = live_dir(root).unwrap_or_else(|| root.join("index-initial"));
        let live = Live::open(dir)?;
        write_current(root, &live.dir)?;
        Ok(Self {
            root: root.to_owned(),
            live: RwLock::new(Arc::new(live)),
            building: Mutex::new(None),
            rebuild_only,
        })
    }

    fn live(&self) -> Result<Arc<Live>, SearchError> {
        let live = self.live.read().map_err(poisoned)?.clone();
        // Another process (`silo reindex`) may have swapped in a new index.
        match live_dir(&self.root) {
            Some(dir) if dir != live.dir => {
                let mut slot = self.live.write().map_err(poisoned)?;
                if slot.dir != dir {
                    *slot = Arc::new(Live::open(dir)?);
                    if !self.rebuild_only {
                        sweep(&self.root, &slot.dir);
                    }
                }
                Ok(slot.clone())
            }
            _ => Ok(live),
        }
    }

    fn query(&self, live: &Live, request: &SearchRequest) -> Result<Box<dyn Query>, SearchError> {
        let f = &live.fields;
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let words = words(&request.q);
        for (i, word) in words.iter().enumerate() {
            let last = i + 1 == words.len();
            must.push((Occur::Must, word_query(f, word, last)));
        }
        let any_of = |field: Field, values: Vec<String>| -> Box<dyn Query> {
            Box::new(BooleanQuery::new(
                values
                    .into_iter()
                    .map(|v| {
                        let q: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_text(field, &v),
                            IndexRecordOption::Basic,
                        ));
                        (Occur::Should, q)
                    })
                    .collect(),
            ))
        };
        for clause in request.clauses() {
            let query: Box<dyn Query> = match clause {
                Clause::AnyOf(attribute, values) => {
                    let field = match attribute {
                        Attribute::Kind => f.kind,
                        Attribute::Terms => f.terms,
                        Attribute::Department => f.department,
                        Attribute::Sites => f.sites,
                    };
                    any_of(field, values)
                }
                Clause::StartsBefore(to) => Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.starts, i64::MIN)),
                    Bound::Excluded(Term::from_field_i64(f.starts, to.timestamp())),
                )),
                Clause::EndsFrom(from) => Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.ends, from.timestamp())),
                    Bound::Included(Term::from_field_i64(f.ends, i64::MAX)),
                )),
                Clause::Near(near) => Box::new(within(near)),
            };
            must.push((Occur::Must, query));
        }
        if must.is_empty() {
            return Ok(Box::new(AllQuery));
        }
        if words.is_empty() {
            must.push((Occur::Must, Box::new(AllQuery)));
        }
        Ok(Box::new(BooleanQuery::new(must)))
    }
}

/// Documents whose coordinates are within the radius (exact great-circle distance).
fn within(near: silo_domain::query::Near) -> DocPredicateQuery {
    FunctionPredicate::from(move |segment: &tantivy::SegmentReader| {
        let lat = segment.fast_fields().f64("lat")?;
        let lon = segment.fast_fields().f64("lon")?;
        Ok(
            move |doc: tantivy::DocId| match (lat.first(doc), lon.first(doc)) {
                (Some(latitude), Some(longitude)) => {
                    let at = silo_domain::field::GeoPoint {
                        latitude,
                        longitude,
                    };
                    at.distance_km(&near.center) <= near.radius_km
                }
                _ => false,
            },
        )
    })
    .into()
}

/// The query's words as the index stores them (folded, stemmed).
fn words(q: &str) -> Vec<String> {
    let mut analyzer = analyzer();
    let mut stream = analyzer.token_stream(q);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// One word: exact in the title (weighted most) or the text, or a typo away; the last
/// word also as a prefix (search as you type).
fn word_query(f: &Fields, word: &str, last: bool) -> Box<dyn Query> {
    let typos = match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    };
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, weight) in [(f.title, 3.0), (f.text, 1.0)] {
        let term = Term::from_field_text(field, word);
        should.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                weight,
            )),
        ));
        if typos > 0 {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new(term.clone(), typos, true)),
                    weight / 3.0,
                )),
            ));
        }
        if last && word.len() >= 3 {
            should.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(FuzzyTermQuery::new_prefix(term, 0, true)),
                    weight / 2.0,
                )),
            ));
        }
    }
    Box::new(BooleanQuery::new(should))
}

impl SearchIndex for EmbeddedIndex {
    async fn apply(&self, batch: SearchBatch) -> Result<(), SearchError> {
        let live = self.live()?;
        live.write(|writer| {
            for id in batch
                .removals
                .iter()
                .chain(batch.upserts.iter().map(|d| &d.id))
            {
                writer.delete_term(Term::from_field_text(live.fields.id, &id.to_string()));
            }
            for document in &batch.upserts {
                live.add(writer, document)?;
            }
            live.commit(writer, batch.position)
        })
    }

    async fn position(&self) -> Result<Option<i64>, SearchError> {
        let position = self.live()?.position.load(Ordering::SeqCst);
        Ok((position >= 0).then_some(position))
    }

    async fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        let live = self.live()?;
        let query = self.query(&live, request)?;
        let searcher = live.reader.searcher();
        let mut facets = FacetCollector::for_field("facets");
        facets.add_facet("/kind");
        facets.add_facet("/category");
        facets.add_facet("/department");
        let top = TopDocs::with_limit(request.limit.max(1))
            .and_offset(request.offset)
            .order_by_score();
        let (top, total, facet_counts) = searcher
            .search(&query, &(top, Count, facets))
            .map_err(failed)?;
        let f = &live.fields;
        let mut title_snippets =
            SnippetGenerator::create(&searcher, &*query, f.title).map_err(failed)?;
        title_snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut text_snippets =
            SnippetGenerator::create(&searcher, &*query, f.text).map_err(failed)?;
        text_snippets.set_max_num_chars(SNIPPET_CHARS);
        let mut hits = Vec::with_capacity(top.len());
        for (_, address) in top.into_iter().take(request.limit) {
            let doc: TantivyDocument = searcher.doc(address).map_err(failed)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            let Ok(id) = Uuid::parse_str(text(f.id)) else {
                continue;
            };
            let Some(kind) = ContentKind::parse(text(f.kind)) else {
                continue;
            };
            let mark = |generator: &SnippetGenerator, field| {
                let mut snippet = generator.snippet(text(field));
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                let html = snippet.to_html();
                if html.is_empty() {
                    // No match in this field: its beginning, escaped.
                    let start: String = text(field).chars().take(SNIPPET_CHARS).collect();
                    escape_html(&start)
                } else {
                    html
                }
            };
            hits.push(SearchHit {
                id,
                kind,
                title_snippet: mark(&title_snippets, f.title),
                text_snippet: mark(&text_snippets, f.text),
            });
        }
        let count = |path: &str| -> Vec<(String, u64)> {
            facet_counts
                .get(path)
                .map(|(facet, n)| {
                    let value = facet.to_path().last().map(|s| s.to_string());
                    (value.unwrap_or_default(), n)
                })
                .collect()
        };
        let mut kinds: Vec<(ContentKind, u64)> = count("/kind")
            .into_iter()
            .filter_map(|(k, n)| Some((ContentKind::parse(&k)?, n)))
            .collect();
        let uuids = |path| -> Vec<(Uuid, u64)> {
            count(path)
                .into_iter()
                .filter_map(|(v, n)| Some((Uuid::parse_str(&v).ok()?, n)))
                .collect()
        };
        let mut categories = uuids("/category");
        let mut departments = uuids("/department");
        sort_counts(&mut kinds);
        sort_counts(&mut categories);
        sort_counts(&mut departments);
        Ok(SearchResults {
            hits,
            total: total as u64,
            facets: Facets {
                kinds,
                categories,
                departments,
            },
        })
    }

    async fn rebuild_page(&self, documents: Vec<SearchDocument>) -> Result<(), SearchError> {
        let mut building = self.building.lock().map_err(poisoned)?;
        if building.is_none() {
            let dir = self.root.join(format!("index-{}", Uuid::now_v7().simple()));
            *building = Some(Live::open(dir)?);
        }
        let Some(new) = building.as_ref() else {
            return Ok(());
        };
        new.write(|writer| {
            for document in &documents {
                new.add(writer, document)?;
            }
            Ok(())
        })
    }

    async fn finish_rebuild(&self, position: i64) -> Result<(), SearchError> {
        let new = self.building.lock().map_err(poisoned)?.take();
        let new = match new {
            Some(new) => new,
            None => Live::open(self.root.join(format!("index-{}", Uuid::now_v7().simple())))?,
        };
        new.write(|writer| new.commit(writer, position))?;
        // The writer's lock goes before the pointer moves: a server adopting the new
        // index takes its own.
        *new.writer.lock().map_err(poisoned)? = None;
        write_current(&self.root, &new.dir)?;
        let dir = new.dir.clone();
        let old = std::mem::replace(&mut *self.live.write().map_err(poisoned)?, Arc::new(new));
        drop(old);
        if !self.rebuild_only {
            sweep(&self.root, &dir);
        }
        Ok(())
    }
}

/// The live index directory the pointer file names, if any.
fn live_dir(root: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(root.join(CURRENT)).ok()?;
    let name = name.trim();
    (!name.is_empty() && !name.contains('/')).then(|| root.join(name))
}

/// Points the pointer file at `dir`, atomically (write then rename).
fn write_current(root: &Path, dir: &Path) -> Result<(), SearchError> {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = root.join(format!("{CURRENT}.{}", Uuid::now_v7().simple()));
    std::fs::write(&partial, name).map_err(failed)?;
    std::fs::rename(&partial, root.join(CURRENT)).map_err(failed)
}

/// Removes index directories other than the live one (earlier or abandoned rebuilds).
fn sweep(root: &Path, live: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_index = entry.file_name().to_string_lossy().starts_with("index-");
        if is_index && path != live && path.is_dir() {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

fn failed(e: impl std::fmt::Display) -> SearchError {
    SearchError(e.to_string())
}

fn poisoned<T>(_: std::sync::PoisonError<T>) -> SearchError {
    SearchError("the index lock was poisoned".to_owned())
}
