//! Checkpoints: every operator's state and every source offset, saved together.
//!
//! A checkpoint is one file `checkpoint-<epoch>.bin` in the checkpoint
//! directory: a header (magic, format version), then a postcard-encoded
//! [`Checkpoint`], then a checksum of the body. It is written to a temporary
//! name, synced, and renamed into place (then the directory is synced), so a
//! crash leaves either the old file or the new one, never a torn one. The
//! previous checkpoint is kept; older ones are removed. Which of the two is
//! valid after a crash is decided by the driver (see docs/delivery.md).

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"SLUICECK";
/// Bumped when the layout of [`Checkpoint`] changes; older files are refused with a clear message.
/// Version 2: keyed state in one section per task partition (`crate::state`).
pub const FORMAT_VERSION: u32 = 2;

/// The next offset to read of one input partition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartitionOffset {
    pub topic: String,
    pub partition: i32,
    pub next_offset: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The program's name and a fingerprint of its source: state is only restored into the same program.
    pub program: String,
    pub fingerprint: u64,
    /// Epochs count checkpoints from 1 within one lineage (a run that started without a checkpoint).
    pub epoch: u64,
    /// Names the lineage: epoch-named output files of different lineages never collide.
    pub lineage: String,
    pub written_at_ms: i64,
    /// Offsets per input partition.
    pub offsets: Vec<PartitionOffset>,
    /// How many task partitions keyed state was split into (`crate::state`).
    pub task_partitions: u32,
    /// Each stateful operator's state, by section: `name` for the operator-wide
    /// part, `name/p<N>` for task partition N (postcard-encoded; `crate::state`).
    pub state: Vec<(String, Vec<u8>)>,
}

/// Encodes one operator's state.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(value).map_err(|e| format!("cannot encode state: {e}"))
}

/// Decodes one operator's state.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| format!("cannot decode state: {e}"))
}

/// The state entry named `name` of a checkpoint.
pub fn state_of<'a>(state: &'a [(String, Vec<u8>)], name: &str) -> Result<&'a [u8], String> {
    state
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, bytes)| bytes.as_slice())
        .ok_or_else(|| format!("the checkpoint has no state for `{name}`"))
}

fn checksum(bytes: &[u8]) -> u64 {
    // Not cryptographic: it catches a damaged file, which rename atomicity already makes unlikely.
    let mut hasher = rustc_hash::FxHasher::default();
    hasher.write(bytes);
    hasher.write_usize(bytes.len());
    hasher.finish()
}

/// The checkpoint files of one directory.
pub struct CheckpointStore {
    dir: PathBuf,
}

impl CheckpointStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        CheckpointStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, epoch: u64) -> PathBuf {
        self.dir.join(format!("checkpoint-{epoch:020}.bin"))
    }

    /// The epochs of the checkpoint files present, oldest first.
    pub fn epochs(&self) -> Result<Vec<u64>, String> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(format!("cannot read checkpoint directory `{}`: {e}", self.dir.display())),
        };
        let mut epochs: Vec<u64> = entries
            .filter_map(|entry| entry.ok())
            .filter_map(|entry| {
                let name = entry.file_name().to_string_lossy().to_string();
                name.strip_prefix("checkpoint-")?.strip_suffix(".bin")?.parse().ok()
            })
            .collect();
        epochs.sort_unstable();
        Ok(epochs)
    }

    pub fn read(&self, epoch: u64) -> Result<Checkpoint, String> {
        let path = self.path(epoch);
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read checkpoint `{}`: {e}", path.display()))?;
        let damaged = |why: &str| format!("checkpoint `{}` is damaged ({why})", path.display());
        if bytes.len() < 20 || &bytes[..8] != MAGIC {
            return Err(damaged("not a sluice checkpoint"));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().map_err(|_| damaged("short header"))?);
        if version != FORMAT_VERSION {
            return Err(format!(
                "checkpoint `{}` has format version {version}; this binary reads version {FORMAT_VERSION}. \
                 Run the binary that wrote it to its end, or start afresh: a new --checkpoint-dir and --group \
                 (the output then starts again from the sources' `start`)",
                path.display()
            ));
        }
        let body = &bytes[12..bytes.len() - 8];
        let stored = u64::from_le_bytes(bytes[bytes.len() - 8..].try_into().map_err(|_| damaged("short file"))?);
        if checksum(body) != stored {
            return Err(damaged("checksum mismatch"));
        }
        postcard::from_bytes(body).map_err(|e| damaged(&e.to_string()))
    }

    /// Writes a checkpoint atomically: temporary file, fsync, rename, fsync of the directory.
    pub fn write(&self, checkpoint: &Checkpoint) -> Result<(), String> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|e| format!("cannot create checkpoint directory `{}`: {e}", self.dir.display()))?;
        let body = postcard::to_stdvec(checkpoint).map_err(|e| format!("cannot encode checkpoint: {e}"))?;
        let mut bytes = Vec::with_capacity(body.len() + 20);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&body);
        bytes.extend_from_slice(&checksum(&body).to_le_bytes());
        let path = self.path(checkpoint.epoch);
        let temp = self.dir.join(format!(".checkpoint-{:020}.tmp", checkpoint.epoch));
        let fail = |e: std::io::Error| format!("cannot write checkpoint `{}`: {e}", path.display());
        let mut file = std::fs::File::create(&temp).map_err(fail)?;
        file.write_all(&bytes).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        drop(file);
        std::fs::rename(&temp, &path).map_err(fail)?;
        sync_dir(&self.dir).map_err(fail)
    }

    /// The lineage of this directory's runs, once one started (kept across runs
    /// that die before their first checkpoint, so their epoch files can be found).
    pub fn lineage(&self) -> Result<Option<String>, String> {
        match std::fs::read_to_string(self.dir.join("lineage")) {
            Ok(text) => Ok(Some(text.trim().to_string()).filter(|l| !l.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read `{}`: {e}", self.dir.join("lineage").display())),
        }
    }

    pub fn write_lineage(&self, lineage: &str) -> Result<(), String> {
        let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", self.dir.join("lineage").display());
        std::fs::create_dir_all(&self.dir).map_err(fail)?;
        let temp = self.dir.join(".lineage.tmp");
        let mut file = std::fs::File::create(&temp).map_err(fail)?;
        file.write_all(lineage.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&temp, self.dir.join("lineage")).map_err(fail)?;
        sync_dir(&self.dir).map_err(fail)
    }

    /// The last epoch this directory saw commit (transactional runs), if any.
    pub fn committed(&self) -> Result<Option<u64>, String> {
        match std::fs::read_to_string(self.dir.join("committed")) {
            Ok(text) => Ok(text.trim().parse().ok()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read `{}`: {e}", self.dir.join("committed").display())),
        }
    }

    /// Records that `epoch` committed (after the transaction did).
    pub fn write_committed(&self, epoch: u64) -> Result<(), String> {
        let path = self.dir.join("committed");
        let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
        let temp = self.dir.join(".committed.tmp");
        let mut file = std::fs::File::create(&temp).map_err(fail)?;
        file.write_all(epoch.to_string().as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        std::fs::rename(&temp, &path).map_err(fail)?;
        sync_dir(&self.dir).map_err(fail)
    }

    /// Removes every checkpoint except the given epochs.
    pub fn retain(&self, keep: impl Fn(u64) -> bool) -> Result<(), String> {
        for epoch in self.epochs()? {
            if !keep(epoch) {
                let path = self.path(epoch);
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove old checkpoint `{}`: {e}", path.display()))?;
            }
        }
        Ok(())
    }
}

/// Makes a rename durable.
pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(epoch: u64) -> Checkpoint {
        Checkpoint {
            program: "p".into(),
            fingerprint: 7,
            epoch,
            lineage: "l".into(),
            written_at_ms: 1,
            offsets: vec![PartitionOffset { topic: "t".into(), partition: 3, next_offset: 42 }],
            task_partitions: 4,
            state: vec![("op".into(), encode(&(1u8, "x".to_string())).unwrap())],
        }
    }

    #[test]
    fn round_trips_and_keeps_what_is_asked() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::new(dir.path().join("c"));
        assert_eq!(store.epochs().unwrap(), Vec::<u64>::new());
        for epoch in 1..=3 {
            store.write(&sample(epoch)).unwrap();
        }
        assert_eq!(store.epochs().unwrap(), vec![1, 2, 3]);
        assert_eq!(store.read(2).unwrap(), sample(2));
        store.retain(|e| e >= 2).unwrap();
        assert_eq!(store.epochs().unwrap(), vec![2, 3]);
        let state: (u8, String) = decode(state_of(&sample(1).state, "op").unwrap()).unwrap();
        assert_eq!(state, (1, "x".to_string()));
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::new(dir.path());
        store.write(&sample(1)).unwrap();
        let path = dir.path().join(format!("checkpoint-{:020}.bin", 1));
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        assert!(store.read(1).unwrap_err().contains("damaged"));
        std::fs::write(&path, b"short").unwrap();
        assert!(store.read(1).unwrap_err().contains("damaged"));
    }

    #[test]
    fn timestamps_keep_their_milliseconds_in_state() {
        let t = crate::time::Timestamp(-62_135_596_800_001);
        let back: crate::time::Timestamp = decode(&encode(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }
}
