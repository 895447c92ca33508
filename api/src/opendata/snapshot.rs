//! Finished exports kept on disk, named by everything their bytes depend on: the request
//! (path and filters), the host it was asked on, the day, and the last recorded change.
//! Calendar apps poll the same feed every few hours while the agenda changes a few times a
//! day, so most polls get the file back without a database read. Any write moves the last
//! change and so the name: a stale copy is never served, only left to be swept.
//!
//! A snapshot is written while the first answer streams (a temporary file renamed into
//! place once the export ends), so it costs the first client nothing; an export cut short
//! leaves no file. The directory is kept under a size budget, oldest first.

use actix_web::web::Bytes;
use futures::Stream;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::task::{Context, Poll};

/// Bytes read from a snapshot per chunk sent.
const CHUNK: usize = 256 * 1024;

/// The snapshot directory and its size budget.
#[derive(Debug, Clone)]
pub struct Snapshots {
    dir: PathBuf,
    budget: u64,
}

/// A snapshot's name: the change it reflects first, so older ones are found without
/// opening them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotKey {
    change_id: i64,
    digest: String,
}

impl SnapshotKey {
    /// `validator` is the export's `ETag` (request, day and change); `base` the host the
    /// export's links are written with.
    pub fn new(change_id: i64, validator: &str, base: &str) -> Self {
        let mut hash = Sha256::new();
        hash.update(validator.as_bytes());
        hash.update([0]);
        hash.update(base.as_bytes());
        Self {
            change_id,
            digest: hex::encode(&hash.finalize()[..16]),
        }
    }

    fn file_name(&self) -> String {
        format!("{:020}-{}.export", self.change_id, self.digest)
    }
}

impl Snapshots {
    /// Snapshots in `dir` up to `budget_mb` megabytes; `None` when the budget is 0 (off).
    /// Temporary files left by a stopped process are removed.
    pub fn open(dir: PathBuf, budget_mb: u64) -> std::io::Result<Option<Self>> {
        if budget_mb == 0 {
            return Ok(None);
        }
        std::fs::create_dir_all(&dir)?;
        for entry in std::fs::read_dir(&dir)?.flatten() {
            if entry.file_name().to_string_lossy().ends_with(".partial") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        Ok(Some(Self {
            dir,
            budget: budget_mb * 1024 * 1024,
        }))
    }

    /// The snapshot's bytes as a stream, if it exists.
    pub fn read(
        &self,
        key: &SnapshotKey,
    ) -> Option<impl Stream<Item = Result<Bytes, actix_web::Error>> + use<>> {
        let file = std::fs::File::open(self.dir.join(key.file_name())).ok()?;
        Some(futures::stream::unfold(Some(file), |file| async move {
            let mut file = file?;
            let mut buffer = vec![0; CHUNK];
            match file.read(&mut buffer) {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(Bytes::from(buffer)), Some(file)))
                }
                Err(e) => Some((Err(actix_web::error::ErrorInternalServerError(e)), None)),
            }
        }))
    }

    /// `export` unchanged, its bytes also written to the snapshot `key`, which appears
    /// only when the export ends without error. If the file cannot be written, the
    /// export goes on without it.
    pub fn record<S>(&self, key: SnapshotKey, export: S) -> Recording<S>
    where
        S: Stream<Item = Result<Bytes, actix_web::Error>>,
    {
        let partial = self.dir.join(format!(
            "{}.{}.partial",
            key.file_name(),
            uuid::Uuid::new_v4().simple()
        ));
        let writer = std::fs::File::create(&partial).ok().map(|file| Writer {
            file: std::io::BufWriter::with_capacity(CHUNK, file),
            partial,
            snapshots: self.clone(),
            key,
        });
        Recording {
            export: Box::pin(export),
            writer,
        }
    }

    /// Removes snapshots of earlier changes, then the oldest until the rest fit the budget.
    fn sweep(&self, current: &SnapshotKey) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        let current_prefix = format!("{:020}-", current.change_id);
        let mut kept = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".export") {
                continue;
            }
            // Names sort by change: one before the current prefix is an earlier change.
            if name.as_str() < current_prefix.as_str() {
                let _ = std::fs::remove_file(entry.path());
            } else if let Ok(meta) = entry.metadata() {
                let modified = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
                kept.push((modified, meta.len(), entry.path()));
            }
        }
        kept.sort();
        let mut total: u64 = kept.iter().map(|(_, len, _)| len).sum();
        for (_, len, path) in kept {
            if total <= self.budget {
                break;
            }
            let _ = std::fs::remove_file(path);
            total -= len;
        }
    }
}

/// An export being streamed and written to its snapshot.
pub struct Recording<S> {
    export: Pin<Box<S>>,
    writer: Option<Writer>,
}

struct Writer {
    file: std::io::BufWriter<std::fs::File>,
    partial: PathBuf,
    snapshots: Snapshots,
    key: SnapshotKey,
}

impl Writer {
    /// Puts the finished snapshot in place.
    fn finish(mut self) {
        let done = self.snapshots.dir.join(self.key.file_name());
        if self.file.flush().is_ok() && std::fs::rename(&self.partial, &done).is_ok() {
            self.snapshots.sweep(&self.key);
        }
    }
}

impl Drop for Writer {
    /// An export cut short (client gone, read failed) leaves no file behind.
    fn drop(&mut self) {
        if self.partial.exists() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

impl<S> Stream for Recording<S>
where
    S: Stream<Item = Result<Bytes, actix_web::Error>>,
{
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let polled = self.export.as_mut().poll_next(cx);
        match &polled {
            Poll::Ready(Some(Ok(bytes))) => {
                if let Some(writer) = self.writer.as_mut()
                    && writer.file.write_all(bytes).is_err()
                {
                    self.writer = None;
                }
            }
            Poll::Ready(Some(Err(_))) => self.writer = None,
            Poll::Ready(None) => {
                if let Some(writer) = self.writer.take() {
                    writer.finish();
                }
            }
            Poll::Pending => {}
        }
        polled
    }
}

/// Where the snapshots of a data dir live.
pub fn dir_in(data_dir: &Path) -> PathBuf {
    data_dir.join("exports")
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;

    fn chunks(parts: &[&'static [u8]]) -> impl Stream<Item = Result<Bytes, actix_web::Error>> {
        futures::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p)))
                .collect::<Vec<_>>(),
        )
    }

    fn read_all(snapshots: &Snapshots, key: &SnapshotKey) -> Option<Vec<u8>> {
        let stream = snapshots.read(key)?;
        let parts: Vec<_> = futures::executor::block_on(stream.collect::<Vec<_>>());
        Some(
            parts
                .into_iter()
                .flat_map(|p| p.unwrap().to_vec())
                .collect(),
        )
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_finished_export_is_kept_and_a_later_change_sweeps_it() {
        let dir = std::env::temp_dir().join(format!("silo-snapshots-{}", uuid::Uuid::new_v4()));
        let snapshots = Snapshots::open(dir.clone(), 1).unwrap().unwrap();
        let first = SnapshotKey::new(7, "\"etag\"", "http://a");
        assert!(snapshots.read(&first).is_none());
        let recorded = snapshots.record(first.clone(), chunks(&[b"BEGIN", b":VCALENDAR"]));
        let sent: Vec<_> = futures::executor::block_on(recorded.collect::<Vec<_>>());
        assert_eq!(sent.len(), 2, "the export itself is unchanged");
        assert_eq!(read_all(&snapshots, &first).unwrap(), b"BEGIN:VCALENDAR");
        // Another host is another snapshot; a later change sweeps the earlier ones.
        assert_ne!(first, SnapshotKey::new(7, "\"etag\"", "http://b"));
        let later = SnapshotKey::new(8, "\"etag2\"", "http://a");
        futures::executor::block_on(snapshots.record(later.clone(), chunks(&[b"x"])).count());
        assert!(read_all(&snapshots, &first).is_none());
        assert_eq!(names(&dir), vec![later.file_name()]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_export_cut_short_or_failed_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("silo-snapshots-{}", uuid::Uuid::new_v4()));
        let snapshots = Snapshots::open(dir.clone(), 1).unwrap().unwrap();
        let key = SnapshotKey::new(1, "\"e\"", "http://a");
        let mut recording = snapshots.record(key.clone(), chunks(&[b"a", b"b"]));
        futures::executor::block_on(recording.next());
        assert_eq!(names(&dir).len(), 1, "the partial file while it streams");
        drop(recording);
        assert!(names(&dir).is_empty());
        let failing = futures::stream::iter(vec![
            Ok(Bytes::from_static(b"a")),
            Err(actix_web::error::ErrorInternalServerError("read failed")),
        ]);
        futures::executor::block_on(snapshots.record(key.clone(), failing).count());
        assert!(names(&dir).is_empty());
        assert!(snapshots.read(&key).is_none());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_oldest_go_when_over_budget_and_zero_turns_them_off() {
        assert!(Snapshots::open(std::env::temp_dir(), 0).unwrap().is_none());
        let dir = std::env::temp_dir().join(format!("silo-snapshots-{}", uuid::Uuid::new_v4()));
        let snapshots = Snapshots::open(dir.clone(), 1).unwrap().unwrap();
        static BIG: [u8; 700 * 1024] = [b'x'; 700 * 1024];
        let old = SnapshotKey::new(3, "\"old\"", "http://a");
        futures::executor::block_on(snapshots.record(old.clone(), chunks(&[&BIG])).count());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let new = SnapshotKey::new(3, "\"new\"", "http://a");
        futures::executor::block_on(snapshots.record(new.clone(), chunks(&[&BIG])).count());
        assert!(
            snapshots.read(&old).is_none(),
            "1.4 MB is over 1 MB: the oldest goes"
        );
        assert!(snapshots.read(&new).is_some());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
