//! Reading and writing records: file sources, decoding, sinks.

pub mod decode;
pub mod field;
pub mod file_source;
#[cfg(feature = "parquet")]
pub mod parquet;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sink;

/// A build without the `postgres` feature: the types the run loop names, and a
/// clear error when a program asks for a connection.
#[cfg(not(feature = "postgres"))]
pub mod postgres {
    use crate::checkpoint::PartitionOffset;
    use crate::fault::Error;
    use std::sync::Arc;

    #[derive(Default)]
    pub struct PgRegistry;

    /// Never made: a build without the feature cannot connect.
    pub enum PgConnection {}

    pub struct CommittedEpoch {
        pub epoch: u64,
        pub lineage: String,
        pub offsets: Vec<PartitionOffset>,
    }

    impl PgRegistry {
        pub fn connect(&self, _: &str) -> Result<Arc<PgConnection>, String> {
            Err("this binary was built without PostgreSQL support (the sluice runtime's `postgres` feature); `sluice build` turns it on for programs with a postgres sink".to_string())
        }
        pub fn connections(&self) -> Vec<Arc<PgConnection>> {
            Vec::new()
        }
        pub fn commit_all(&self) -> Result<(), String> {
            Ok(())
        }
    }

    impl PgConnection {
        pub fn shown(&self) -> &str {
            match *self {}
        }
        pub fn committed(&self, _: &str) -> Result<Option<CommittedEpoch>, Error> {
            match *self {}
        }
        pub fn prepare_offsets(&self) -> Result<(), Error> {
            match *self {}
        }
        pub fn commit(&self, _: Option<(&str, u64, &str, &[PartitionOffset])>) -> Result<Option<String>, Error> {
            match *self {}
        }
    }
}

pub use decode::{decode, decode_ref, DeadLetter, Format, Payload, RawRecord};
pub use file_source::FileSource;
pub use sink::{RecordSink, SinkTarget};
