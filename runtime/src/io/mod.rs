//! Reading and writing records: file sources, decoding, sinks.

pub mod decode;
pub mod field;
pub mod file_source;
pub mod sink;

pub use decode::{decode, decode_ref, DeadLetter, Format, Payload, RawRecord};
pub use file_source::FileSource;
pub use sink::{RecordSink, SinkTarget};
