//! The run loop of a program whose stream sources read Kafka.
//!
//! Direct consumption: every partition of every source topic is assigned to
//! this process (no group membership), starting from the checkpoint's offsets,
//! else the group's committed offsets, else the source's `start`. Records are
//! processed as they are polled; every `--checkpoint-interval` an epoch ends:
//! state and offsets are saved together and outputs are committed. With an
//! `exactly_once` Kafka sink the epoch's outputs, its input offsets and an
//! epoch marker are committed in one Kafka transaction, and the committed
//! marker tells a restarted process which of the last two checkpoint files is
//! valid. The protocol and the crash points it covers are in docs/delivery.md.

use super::queue::{Polled, SplitConsumer};
use super::{client_config, client_error, KafkaOutput};
use crate::checkpoint::{Checkpoint, CheckpointStore, PartitionOffset};
use crate::config::{Config, Delivery, ProgramInfo, SinkKind, SourceKind, Start};
use crate::driver::{handle, tolerate, Counters, Pipeline};
use crate::fault::{Error, Fault};
use crate::io::postgres::{PgConnection, PgRegistry};
use crate::io::{FileSource, Format, Payload, RawRecord};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::Producer;
use rdkafka::{Message, Offset, TopicPartitionList};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a metadata, offset or transaction call may take before it counts as failed.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
/// Watermark partition ids of Kafka partitions: topic index in the high bits (emitting stages use 1 << 32 and up).
const PARTITION_BITS: u32 = 20;

/// Why an attempt ended early.
pub enum Failure {
    /// Stop the program (bad configuration, `on_error: fail`).
    Fatal(String),
    /// Another instance took over this pipeline's commits: stop, leaving it its epochs.
    Fenced(String),
    /// Start again from the last checkpoint (a broker down, an aborted transaction).
    Retry(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Fatal(message)
    }
}

struct PartitionState {
    next_offset: i64,
    /// Reached its end (`--until-end`): paused and no longer holding the watermark back.
    done: bool,
    /// `--until-end`: the partition's end when the run started reading it (the high
    /// watermark of its first fetch response); records from there on are left to the
    /// next run, so that a topic written faster than it is read still ends.
    end_at_start: Option<i64>,
    /// Had a record since the last idle check.
    seen: bool,
    idle: bool,
    last_active: Instant,
    /// Held back (not read) by watermark alignment: its event time ran too far ahead of the slowest partition.
    held_back: bool,
    /// Its event time as alignment last saw it, and since when: a partition whose time
    /// stands still (its records are all filtered out or late) stops counting as the slowest.
    aligned_time: Option<i64>,
    aligned_since: Instant,
}

/// librdkafka's statistics (on a terminal only): each partition's end as the
/// fetch responses report it (not ListOffsets, which nisshi gets wrong), for the
/// lag on the progress line. One consumer reads one topic.
#[derive(Default)]
pub struct LagWatch {
    ends: std::sync::Mutex<Vec<i64>>,
}

impl LagWatch {
    /// Records not yet read: each partition's end minus the next offset to read.
    fn lag(&self, partitions: &[PartitionState]) -> Option<i64> {
        let ends = self.ends.lock().ok()?;
        if ends.is_empty() {
            return None;
        }
        Some(partitions.iter().zip(ends.iter()).map(|(p, end)| (end - p.next_offset).max(0)).sum())
    }
}

impl rdkafka::ClientContext for LagWatch {
    fn stats(&self, statistics: rdkafka::Statistics) {
        let mut ends: Vec<i64> = Vec::new();
        for partition in statistics.topics.values().flat_map(|t| t.partitions.values()).filter(|p| p.partition >= 0) {
            // The last stable offset under read_committed, else the high watermark.
            let end = if partition.ls_offset >= 0 { partition.ls_offset } else { partition.hi_offset };
            let index = partition.partition as usize;
            if ends.len() <= index {
                ends.resize(index + 1, 0);
            }
            ends[index] = end.max(0);
        }
        if let Ok(mut slot) = self.ends.lock() {
            *slot = ends;
        }
    }
}

impl rdkafka::consumer::ConsumerContext for LagWatch {}

type Consumer_ = BaseConsumer<LagWatch>;

struct TopicInput {
    /// The topic's consumer, each partition read from its own queue.
    split: SplitConsumer<LagWatch>,
    reader: TopicReader,
}

/// What turns a topic's messages into records.
struct TopicReader {
    /// The topic's index among the inputs.
    index: usize,
    source: usize,
    topic: String,
    format: Format,
    partitions: Vec<PartitionState>,
    /// The schema's columns, for CSV messages (which carry no header row).
    headers: csv::ByteRecord,
    row: csv::ByteRecord,
}

impl TopicInput {
    fn partition_id(index: usize, partition: i32) -> u64 {
        ((index as u64) << PARTITION_BITS) | partition as u64
    }

    fn consumer(&self) -> &Consumer_ {
        self.split.consumer()
    }
}

/// Messages read from one partition queue per turn: enough that a turn's fixed
/// costs (the queue's lock, a clock read) vanish, few enough that partitions
/// take turns every few hundred microseconds.
const BATCH: usize = 512;

impl TopicReader {
    /// One message: skipped if a checkpoint already covers it, else decoded and run
    /// through the pipeline (a fault is handled by the source's `on_error`).
    fn on_message<P: Pipeline>(
        &mut self,
        info: &ProgramInfo,
        pipeline: &mut P,
        counters: &mut Counters,
        max_bytes: usize,
        (partition, offset, payload): (i32, i64, &[u8]),
    ) -> Result<(), Failure> {
        let Some(state) = self.partitions.get_mut(partition as usize) else { return Ok(()) };
        if state.done || offset < state.next_offset {
            return Ok(());
        }
        state.next_offset = offset + 1;
        state.seen = true;
        let source = self.source;
        counters.read[source] += 1;
        let (decoded, mut fault) = message_payload(self.format, payload, &mut self.row, &self.headers);
        let raw = RawRecord { payload: decoded, topic: &self.topic, partition, offset };
        if payload.len() > max_bytes {
            fault = Some(
                Fault::new(format!(
                    "a record of {} bytes is larger than --max-record-size ({max_bytes} bytes)",
                    payload.len()
                ))
                .at("decode"),
            );
        }
        let result = match fault {
            Some(fault) => Err(Error::Fault(fault)),
            None => pipeline.on_record(source, TopicInput::partition_id(self.index, partition), &raw),
        };
        handle(info, pipeline, source, &raw, result, counters).map_err(Failure::Fatal)
    }

    /// The end of a partition: with `--until-end` it is done, stops fetching and no
    /// longer holds the watermark back.
    fn on_end<P: Pipeline>(
        &mut self,
        consumer: &Consumer_,
        pipeline: &mut P,
        until_end: bool,
        partition: i32,
    ) -> Result<(), Failure> {
        if !until_end {
            return Ok(());
        }
        if let Some(state) = self.partitions.get_mut(partition as usize).filter(|s| !s.done) {
            state.done = true;
            let mut list = TopicPartitionList::new();
            list.add_partition(&self.topic, partition);
            let _ = consumer.pause(&list);
            pipeline
                .on_partition_done(TopicInput::partition_id(self.index, partition))
                .map_err(|e| Failure::Fatal(e.to_string()))?;
        }
        Ok(())
    }
}

/// Runs until the end of input (`--until-end`), a signal, or a fatal error;
/// restarts from the last checkpoint after a failure that may pass (a broker down).
pub fn run<P: Pipeline>(
    info: &ProgramInfo,
    config: &Config,
    build: &dyn Fn(&Config) -> Result<P, String>,
) -> Result<(), String> {
    super::init_logs(config.quiet);
    let stop = Arc::new(AtomicBool::new(false));
    // The first SIGTERM/SIGINT stops with a final checkpoint; a second one exits at once
    // (128 + the signal, as the shell reports it), as a crash would: a restart resumes
    // from the last committed checkpoint. The exit must be registered first: the first
    // signal finds the flag unset, then sets it.
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, Arc::clone(&stop))
            .and_then(|_| signal_hook::flag::register(signal, Arc::clone(&stop)))
            .map_err(|e| format!("cannot handle signals: {e}"))?;
    }
    let mut backoff = Duration::from_secs(1);
    let mut resumed = false;
    loop {
        let result = attempt(info, config, build, &stop, resumed);
        resumed = true;
        match result {
            Ok(()) => return Ok(()),
            // A record could not be handed to a producer (its transaction failed, the broker went
            // away): the epoch is lost, not the run; start again from the checkpoint.
            Err(Failure::Fenced(message)) => return Err(message),
            Err(Failure::Fatal(message)) if !super::output::take_send_failure() => return Err(message),
            Err(Failure::Fatal(message)) | Err(Failure::Retry(message)) => {
                tracing::warn!(error = %message, backoff_s = backoff.as_secs(), "starting again from the last checkpoint");
                let until = Instant::now() + backoff;
                while Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        tracing::info!(program = info.name, "stopped by a signal; the last checkpoint holds the state");
                        return Ok(());
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

/// The one set of brokers of a run (every Kafka connector must agree).
pub(crate) fn brokers(info: &ProgramInfo, config: &Config) -> Result<String, String> {
    let mut found: Option<String> = None;
    let options = info
        .sources
        .iter()
        .enumerate()
        .filter(|(i, _)| config.reads_kafka(info, *i))
        .map(|(_, s)| match s.kind {
            SourceKind::Kafka { brokers, .. } => brokers,
            _ => None,
        })
        .chain(info.sinks.iter().enumerate().filter(|(i, _)| config.writes_kafka(info, *i)).map(
            |(_, s)| match s.kind {
                SinkKind::Kafka { brokers, .. } => brokers,
                _ => None,
            },
        ));
    for option in options {
        let brokers = config.brokers_for(option)?;
        match &found {
            Some(other) if *other != brokers => {
                return Err(format!(
                    "all Kafka connectors of a program must use the same brokers (found `{other}` and `{brokers}`)"
                ))
            }
            _ => found = Some(brokers),
        }
    }
    Ok(found.unwrap_or_else(|| "localhost:9092".to_string()))
}

/// Creates the producers of a run's Kafka sinks (none when no sink writes Kafka).
pub fn open_output(info: &ProgramInfo, config: &Config, client: &ClientConfig) -> Result<Option<KafkaOutput>, String> {
    let deliveries: Vec<Delivery> = info
        .sinks
        .iter()
        .enumerate()
        .filter(|(i, _)| config.writes_kafka(info, *i))
        .filter_map(|(_, s)| match s.kind {
            SinkKind::Kafka { delivery, .. } => Some(delivery),
            _ => None,
        })
        .collect();
    if deliveries.is_empty() {
        return Ok(None);
    }
    let transactional_id = format!("sluice-{}", config.group_name(info));
    let exactly_once = deliveries.contains(&Delivery::ExactlyOnce);
    let output = KafkaOutput::new(
        client,
        exactly_once.then_some(transactional_id.as_str()),
        deliveries.contains(&Delivery::AtLeastOnce),
    )?;
    Ok(Some(output))
}

/// Fails clearly when a topic does not exist (rather than waiting for it or creating it by accident).
fn partitions_of<C: rdkafka::consumer::ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    brokers: &str,
) -> Result<Vec<i32>, Failure> {
    let metadata = consumer
        .fetch_metadata(Some(topic), CALL_TIMEOUT)
        .map_err(|e| Failure::Retry(format!("cannot reach the Kafka brokers at `{brokers}`: {e}")))?;
    let missing = || Failure::Fatal(format!("Kafka topic `{topic}` does not exist on `{brokers}`; create it first"));
    let found = metadata.topics().iter().find(|t| t.name() == topic).ok_or_else(missing)?;
    if found.error().is_some() || found.partitions().is_empty() {
        return Err(missing());
    }
    let mut ids: Vec<i32> = found.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// A consumer's settings; `partitions` is how many partitions it reads, each from
/// its own queue, so that the prefetch is sized per partition.
fn consumer_config(client: &ClientConfig, group: &str, partitions: usize) -> ClientConfig {
    let mut config = client.clone();
    for (key, value) in [
        ("group.id", group),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
        ("enable.partition.eof", "true"),
        // Inputs may be the outputs of another exactly-once job.
        ("isolation.level", "read_committed"),
        ("auto.offset.reset", "earliest"),
        // librdkafka waits 1 s (its default) before fetching again for a partition whose
        // local queue was full; a pipeline drains it in milliseconds. Measured: 7 s -> 1.3 s
        // for 1M records from nisshi (docs/benchmarks.md).
        ("fetch.queue.backoff.ms", "10"),
        ("fetch.max.bytes", "2097152"),
    ] {
        if config.get(key).is_none() || key == "group.id" || key == "enable.partition.eof" {
            config.set(key, value);
        }
    }
    // Prefetch a few MB, not librdkafka's 64 MB per queue: the same throughput here, a
    // third of the memory. With a queue per partition the limit is per partition: 4 MB
    // of payload shared among the partitions, but at least 256 KB and at most 2 MB each
    // (so more than 4 MB in all above 16 partitions; each may also overshoot by one fetch).
    if config.get("queued.max.messages.kbytes").is_none() {
        let per_partition = (4096 / partitions.max(1)).clamp(256, 2048);
        config.set("queued.max.messages.kbytes", per_partition.to_string());
    }
    // Each queued message also costs librdkafka a few hundred bytes of its own (heaptrack:
    // 32 MB of them at W1's peak), more than a small record's payload, so the count is
    // capped too: 20,000 messages shared among the partitions, at least 1,000 each.
    // Measured on W1 (3M records, 4 partitions): peak RSS 61 -> 48 MB, same CPU.
    if config.get("queued.min.messages").is_none() {
        let per_partition = (20_000 / partitions.max(1)).max(1000);
        config.set("queued.min.messages", per_partition.to_string());
    }
    config
}

/// The committed offset of the epoch marker: the last epoch whose transaction committed.
fn committed_epoch(consumer: &Consumer_, marker: &str) -> Result<Option<u64>, Failure> {
    let mut list = TopicPartitionList::new();
    list.add_partition(marker, 0);
    let committed = consumer
        .committed_offsets(list, CALL_TIMEOUT)
        .map_err(|e| Failure::Retry(format!("cannot read the committed epoch of `{marker}`: {e}")))?;
    Ok(committed.elements().first().and_then(|e| match e.offset() {
        Offset::Offset(n) if n > 0 => Some(n as u64),
        _ => None,
    }))
}

fn ensure_marker_topic(client: &ClientConfig, marker: &str) -> Result<(), Failure> {
    let admin: AdminClient<DefaultClientContext> =
        client.create().map_err(|e| Failure::Fatal(client_error("admin client", &e)))?;
    // Compacted: it holds one small record per epoch under one key, of which only the last matters.
    let topic = NewTopic::new(marker, 1, TopicReplication::Fixed(1)).set("cleanup.policy", "compact");
    let options = AdminOptions::new().operation_timeout(Some(CALL_TIMEOUT));
    let results = super::block_on(admin.create_topics([&topic], &options))
        .map_err(|e| Failure::Retry(format!("cannot create the epoch topic `{marker}`: {e}")))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(Failure::Fatal(format!("cannot create the epoch topic `{marker}`: {code}"))),
        }
    }
    Ok(())
}

/// A message's payload as the source's format reads it; a CSV message is one
/// header-less row (its columns are the schema's), and one that does not parse is a fault.
fn message_payload<'a>(
    format: Format,
    bytes: &'a [u8],
    row: &'a mut csv::ByteRecord,
    headers: &'a csv::ByteRecord,
) -> (Payload<'a>, Option<Fault>) {
    match format {
        Format::Text => (Payload::Text(bytes), None),
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(bytes);
            let fault = match reader.read_byte_record(row) {
                Ok(true) => None,
                Ok(false) => Some(Fault::new("an empty CSV message").at("decode")),
                Err(e) => Some(Fault::new(format!("bad CSV: {e}")).at("decode")),
            };
            (Payload::Csv { row, headers, message: Some(bytes) }, fault)
        }
        _ => (Payload::Json(bytes), None),
    }
}

/// A stream source swapped for a file (`--input`) in a Kafka run: one input
/// partition, read alongside the topics; its offset (the line number) is
/// checkpointed like a Kafka offset, under the topic name `file:<path>`.
struct FileInput {
    source: usize,
    label: String,
    reader: FileSource,
    /// The next line to process (1-based); lines before it are skipped on restore.
    next_offset: i64,
    done: bool,
}

impl FileInput {
    /// File partitions sit just below the emit partitions (1 << 32), above every topic's.
    fn partition_id(source: usize) -> u64 {
        (1u64 << 32) - 1 - source as u64
    }
}

/// A lookup table read from Kafka: loaded to its end before the stream starts,
/// then kept up to date as new messages arrive (a KTable). Not checkpointed:
/// a restart reads the topic from its beginning again.
struct TableInput {
    source: usize,
    topic: String,
    format: Format,
    consumer: BaseConsumer,
    headers: csv::ByteRecord,
    row: csv::ByteRecord,
}

impl TableInput {
    fn open(
        info: &ProgramInfo,
        source: usize,
        topic: &str,
        client: &ClientConfig,
        brokers: &str,
    ) -> Result<(TableInput, usize), Failure> {
        // A table is read through the consumer's own queue: one queue, whatever its partitions.
        let config = consumer_config(client, &format!("sluice-table-{}", info.name), 1);
        let consumer: BaseConsumer = config.create().map_err(|e| Failure::Fatal(client_error("consumer", &e)))?;
        let partitions = partitions_of(&consumer, topic, brokers)?;
        let mut list = TopicPartitionList::new();
        for p in &partitions {
            list.add_partition_offset(topic, *p, Offset::Beginning).map_err(|e| Failure::Fatal(e.to_string()))?;
        }
        consumer.assign(&list).map_err(|e| Failure::Retry(format!("cannot assign `{topic}`: {e}")))?;
        let table = TableInput {
            source,
            topic: topic.to_string(),
            format: info.sources[source].format,
            consumer,
            headers: csv::ByteRecord::from(info.sources[source].columns.to_vec()),
            row: csv::ByteRecord::new(),
        };
        Ok((table, partitions.len()))
    }

    /// Polls one message (or event) and loads it; `Ok(Some(partition))` at a partition's end.
    fn poll<P: Pipeline>(
        &mut self,
        info: &ProgramInfo,
        pipeline: &mut P,
        timeout: Duration,
        counters: &mut Counters,
    ) -> Result<Option<Option<i32>>, Failure> {
        let TableInput { source, topic, format, consumer, headers, row } = self;
        let message = match consumer.poll(timeout) {
            None => return Ok(None),
            Some(Err(KafkaError::PartitionEOF(p))) => return Ok(Some(Some(p))),
            Some(Err(e)) => {
                tracing::warn!(topic = %topic, error = %e, "reading a table topic");
                return Ok(None);
            }
            Some(Ok(message)) => message,
        };
        counters.read[*source] += 1;
        let (payload, fault) = message_payload(*format, message.payload().unwrap_or_default(), row, headers);
        let raw = RawRecord { payload, topic, partition: message.partition(), offset: message.offset() };
        let result = match fault {
            Some(fault) => Err(Error::Fault(fault)),
            None => pipeline.on_table_row(*source, &raw),
        };
        handle(info, pipeline, *source, &raw, result, counters).map_err(Failure::Fatal)?;
        Ok(Some(None))
    }
}

/// Where a partition with no checkpointed or committed offset starts: at `start`,
/// except a partition the checkpoint lacks while it has others of the topic. That
/// one was added to the topic since, so all its records are new to the program (as
/// in Flink); `start: latest` would skip those written before the restart.
fn reads_from_earliest(start: Start, topic_checkpointed: bool) -> bool {
    start == Start::Earliest || topic_checkpointed
}

/// Watermark alignment (as Flink's): a partition whose largest event time runs
/// more than `drift` ahead of the slowest active input is held back (not read),
/// and read again once it is within half of that. Without it, the window state of a run grows
/// with the skew between partitions (the watermark follows the slowest one).
/// Partitions that ended, went idle, have no record yet, or whose event time
/// stood still for `--idle-timeout` do not count.
fn align<P: Pipeline>(
    inputs: &mut [TopicInput],
    files: &[FileInput],
    pipeline: &P,
    drift: i64,
    stalled_after: Duration,
) {
    let now = Instant::now();
    let mut slowest: Option<i64> = None;
    for (index, input) in inputs.iter_mut().enumerate() {
        for (p, state) in input.reader.partitions.iter_mut().enumerate().filter(|(_, s)| !s.done) {
            let time = pipeline.partition_time(TopicInput::partition_id(index, p as i32));
            if time != state.aligned_time {
                state.aligned_time = time;
                state.aligned_since = now;
            }
            let stalled = now.duration_since(state.aligned_since) >= stalled_after;
            if let (Some(t), false, false) = (time, stalled, state.idle) {
                slowest = Some(slowest.map_or(t, |s| s.min(t)));
            }
        }
    }
    for file in files.iter().filter(|f| !f.done) {
        if let Some(t) = pipeline.partition_time(FileInput::partition_id(file.source)) {
            slowest = Some(slowest.map_or(t, |s| s.min(t)));
        }
    }
    for input in inputs.iter_mut() {
        for state in input.reader.partitions.iter_mut().filter(|s| !s.done) {
            let lead = match (state.aligned_time, slowest) {
                (Some(t), Some(s)) => t.saturating_sub(s),
                _ => 0,
            };
            if let Some(hold) = alignment_change(state.held_back, lead, drift) {
                // Not paused: the run loop stops reading its queue. librdkafka stops fetching
                // once the queue holds its prefetch, and keeps what it fetched.
                state.held_back = hold;
            }
        }
    }
}

/// Whether a partition `lead` ms ahead of the slowest should be held back (Some(true))
/// or read again (Some(false)); reading again waits until it is within half the drift,
/// so a partition at the edge is not held back and let go on every check.
fn alignment_change(held_back: bool, lead: i64, drift: i64) -> Option<bool> {
    if !held_back && lead > drift {
        Some(true)
    } else if held_back && lead <= drift / 2 {
        Some(false)
    } else {
        None
    }
}

fn txn_failure(step: &str, error: KafkaError) -> Failure {
    if let KafkaError::Transaction(e) = &error {
        if e.code() == RDKafkaErrorCode::ProducerFenced || e.code() == RDKafkaErrorCode::InvalidProducerEpoch {
            return Failure::Fenced(format!(
                "another instance of this pipeline took over its transactions ({step}: {error}); this one stops"
            ));
        }
    }
    Failure::Retry(format!("Kafka transaction failed ({step}): {error}"))
}

struct Epochs<'a> {
    info: &'a ProgramInfo,
    /// SIGTERM/SIGINT: a commit that keeps failing gives up (a restart resolves it).
    stop: &'a AtomicBool,
    store: CheckpointStore,
    output: Option<Arc<KafkaOutput>>,
    /// With a PostgreSQL sink: its database, where each epoch commits with its offsets.
    database: Option<Arc<PgConnection>>,
    group: String,
    marker: String,
    epoch: u64,
    lineage: String,
}

impl Epochs<'_> {
    /// Ends the current epoch: state, offsets and outputs are committed together.
    fn commit<P: Pipeline>(
        &mut self,
        pipeline: &mut P,
        inputs: &[TopicInput],
        files: &[FileInput],
    ) -> Result<(), Failure> {
        // Epoch files are completed and synced first; they move into place after the
        // commit below (if it does not happen, a restart removes them and the epoch is
        // written again; if the move does not, a restart finishes it).
        let started = Instant::now();
        let mut phases: Vec<(&str, u128)> = Vec::new();
        let phase = |name: &'static str, phases: &mut Vec<(&str, u128)>| {
            phases.push((name, started.elapsed().as_micros()));
        };
        pipeline.commit_epoch(self.epoch + 1).map_err(|e| Failure::Fatal(e.to_string()))?;
        phase("files", &mut phases);
        let offsets: Vec<PartitionOffset> = inputs
            .iter()
            .flat_map(|input| {
                input.reader.partitions.iter().enumerate().map(|(p, state)| PartitionOffset {
                    topic: input.reader.topic.clone(),
                    partition: p as i32,
                    next_offset: state.next_offset,
                })
            })
            .chain(files.iter().map(|f| PartitionOffset {
                topic: f.label.clone(),
                partition: 0,
                next_offset: f.next_offset,
            }))
            .collect();
        // Keyed state splits into the partitions of the widest source topic (as
        // Kafka Streams sizes its repartition topics): see `crate::state`.
        let task_partitions = inputs.iter().map(|input| input.reader.partitions.len() as u32).max().unwrap_or(1).max(1);
        let checkpoint = Checkpoint {
            program: self.info.name.to_string(),
            fingerprint: self.info.fingerprint,
            epoch: self.epoch,
            lineage: self.lineage.clone(),
            written_at_ms: crate::time::Timestamp::now().0,
            offsets,
            task_partitions,
            state: pipeline.save_state(task_partitions).map_err(Failure::Fatal)?,
        };
        let mut list = TopicPartitionList::new();
        for o in checkpoint.offsets.iter().filter(|o| !o.topic.starts_with("file:")) {
            list.add_partition_offset(&o.topic, o.partition, Offset::Offset(o.next_offset))
                .map_err(|e| Failure::Fatal(e.to_string()))?;
        }
        phase("state", &mut phases);
        if let Some(output) = &self.output {
            output.flush_plain(CALL_TIMEOUT).map_err(Failure::Retry)?;
        }
        match self.output.as_ref().and_then(|o| o.transactional.as_ref()) {
            Some(producer) => {
                // Prepared: this file is valid only once the marker below commits with the outputs.
                self.store.write(&checkpoint).map_err(Failure::Fatal)?;
                phase("checkpoint file", &mut phases);
                // One record per transaction on the marker topic (compacted, one key): nisshi 0.7.0
                // drops the offsets of a transaction that produced nothing (measured), and an
                // epoch may produce nothing. Nothing reads it back: a restart reads the offset below.
                let note = format!("{{\"epoch\":{},\"lineage\":\"{}\"}}", self.epoch, self.lineage);
                if let Some(output) = &self.output {
                    output
                        .send(true, &self.marker, Some(self.marker.as_bytes()), note.as_bytes())
                        .map_err(|e| Failure::Retry(e.to_string()))?;
                }
                list.add_partition_offset(&self.marker, 0, Offset::Offset(self.epoch as i64))
                    .map_err(|e| Failure::Fatal(e.to_string()))?;
                let metadata = inputs
                    .first()
                    .and_then(|i| i.consumer().group_metadata())
                    .ok_or_else(|| Failure::Fatal("internal error: no consumer group metadata".to_string()))?;
                producer
                    .send_offsets_to_transaction(&list, &metadata, CALL_TIMEOUT)
                    .map_err(|e| txn_failure("sending offsets", e))?;
                phase("offsets", &mut phases);
                if let Some(output) = &self.output {
                    output.drain_transactional(CALL_TIMEOUT).map_err(Failure::Retry)?;
                }
                phase("delivered", &mut phases);
                loop {
                    match producer.commit_transaction(CALL_TIMEOUT) {
                        Ok(()) => {
                            phase("transaction", &mut phases);
                            // Remembered here too: a restart can tell "never committed" from "the group forgot".
                            self.store.write_committed(self.epoch).map_err(Failure::Fatal)?;
                            break;
                        }
                        Err(KafkaError::Transaction(e)) if e.is_retriable() => {
                            if self.stop.load(Ordering::Relaxed) {
                                // Whether it committed is settled by the marker when the pipeline restarts.
                                return Err(Failure::Fatal(format!(
                                    "stopped by a signal while epoch {} was committing ({e}); a restart resumes from the committed epoch",
                                    self.epoch
                                )));
                            }
                            tracing::warn!(epoch = self.epoch, error = %e, "committing the epoch again");
                        }
                        Err(e) => return Err(txn_failure("commit", e)),
                    }
                }
            }
            None => {
                self.store.write(&checkpoint).map_err(Failure::Fatal)?;
                // With a database the checkpoint is prepared, as with a Kafka transaction: valid
                // once the database holds its epoch. Without one, the checkpoint is the commit.
                if let Some(database) = &self.database {
                    let fenced = database
                        .commit(Some((&self.group, self.epoch, &self.lineage, &checkpoint.offsets)))
                        .map_err(|e| Failure::Fatal(e.to_string()))?;
                    if let Some(message) = fenced {
                        return Err(Failure::Fenced(message));
                    }
                    self.store.write_committed(self.epoch).map_err(Failure::Fatal)?;
                }
                // For monitoring (lag tools); the checkpoint (or the database) is what a restart reads.
                if let Some(input) = inputs.first() {
                    if let Err(e) = input.consumer().commit(&list, CommitMode::Async) {
                        tracing::warn!(error = %e, "could not commit offsets to the consumer group");
                    }
                }
            }
        }
        phase("commit", &mut phases);
        pipeline.publish().map_err(|e| Failure::Fatal(e.to_string()))?;
        let epoch = self.epoch;
        self.store.retain(|e| e + 1 >= epoch).map_err(Failure::Fatal)?;
        phase("publish", &mut phases);
        // Where the commit's wall time goes (microseconds since its start, per phase).
        let timeline: Vec<String> = phases.iter().map(|(name, us)| format!("{name} {us}")).collect();
        tracing::debug!(epoch, partitions = checkpoint.offsets.len(), timeline = %timeline.join(", "), "epoch committed");
        self.epoch += 1;
        Ok(())
    }

    fn begin(&self) -> Result<(), Failure> {
        if let Some(producer) = self.output.as_ref().and_then(|o| o.transactional.as_ref()) {
            producer.begin_transaction().map_err(|e| txn_failure("begin", e))?;
        }
        Ok(())
    }
}

fn attempt<P: Pipeline>(
    info: &ProgramInfo,
    config: &Config,
    build: &dyn Fn(&Config) -> Result<P, String>,
    stop: &AtomicBool,
    resumed: bool,
) -> Result<(), Failure> {
    let started = Instant::now();
    let _ = super::output::take_send_failure(); // a new attempt starts clean
    let brokers = brokers(info, config)?;
    let client = client_config(&brokers, &config.kafka_options);
    let group = config.group_name(info);
    let marker = format!("{group}.sluice-epochs");

    // Inputs: every partition of every topic of every Kafka stream source.
    let progress = std::io::stderr().is_terminal() && !config.quiet;
    let mut inputs: Vec<TopicInput> = Vec::new();
    // Topics' partitions are looked up before their consumers exist (their prefetch depends on it).
    let metadata: BaseConsumer = client.create().map_err(|e| Failure::Fatal(client_error("metadata client", &e)))?;
    for (index, source) in info.sources.iter().enumerate() {
        let SourceKind::Kafka { topics, .. } = source.kind else { continue };
        if source.table || !config.reads_kafka(info, index) {
            continue;
        }
        for topic in topics {
            let topic = topic.resolve().map_err(|e| format!("source `{}`: {e}", source.name))?;
            if inputs.iter().any(|i| i.reader.topic == topic) {
                return Err(Failure::Fatal(format!(
                    "topic `{topic}` is read twice; read it once and share the stream"
                )));
            }
            let ids = partitions_of(&metadata, &topic, &brokers)?;
            let mut settings = consumer_config(&client, &group, ids.len());
            if progress && settings.get("statistics.interval.ms").is_none() {
                settings.set("statistics.interval.ms", "1000");
            }
            let consumer: Consumer_ = settings
                .create_with_context(LagWatch::default())
                .map_err(|e| Failure::Fatal(client_error("consumer", &e)))?;
            if ids.iter().enumerate().any(|(i, id)| *id != i as i32) || ids.len() >= 1 << PARTITION_BITS {
                return Err(Failure::Fatal(format!("topic `{topic}` has partition ids this version cannot track")));
            }
            let now = Instant::now();
            // Each partition read from its own queue, in batches (see kafka/queue.rs);
            // split before `assign`, so that no message reaches the shared queue.
            // A partition that cannot have its own queue will not have one on a retry either.
            let split = SplitConsumer::new(consumer, &topic, ids.len(), BATCH, std::thread::current())
                .map_err(Failure::Fatal)?;
            let topic_index = inputs.len();
            inputs.push(TopicInput {
                split,
                reader: TopicReader {
                    index: topic_index,
                    source: index,
                    topic,
                    format: source.format,
                    partitions: ids
                        .iter()
                        .map(|_| PartitionState {
                            next_offset: -1,
                            done: false,
                            end_at_start: None,
                            seen: false,
                            idle: false,
                            last_active: now,
                            held_back: false,
                            aligned_time: None,
                            aligned_since: now,
                        })
                        .collect(),
                    headers: csv::ByteRecord::from(source.columns.to_vec()),
                    row: csv::ByteRecord::new(),
                },
            });
        }
    }
    if inputs.is_empty() {
        return Err(Failure::Fatal("internal error: a Kafka run without Kafka sources".to_string()));
    }

    // Outputs, and the sinks' topics.
    let output = open_output(info, config, &client)?.map(Arc::new);
    for (i, sink) in info.sinks.iter().enumerate() {
        if let (true, SinkKind::Kafka { topic, .. }) = (config.writes_kafka(info, i), sink.kind) {
            let topic = topic.resolve().map_err(|e| format!("sink `{}`: {e}", sink.name))?;
            partitions_of(&metadata, &topic, &brokers)?;
        }
    }
    drop(metadata);
    let transactional = output.as_ref().is_some_and(|o| o.transactional.is_some());
    if transactional {
        // A transaction lives one checkpoint interval; the broker aborts it after transaction.timeout.ms.
        let timeout_ms: u64 = config
            .kafka_options
            .iter()
            .rev()
            .find(|(k, _)| k == "transaction.timeout.ms")
            .and_then(|(_, v)| v.trim().parse().ok())
            .unwrap_or(60_000);
        if config.checkpoint_interval_ms.saturating_mul(2) > timeout_ms {
            return Err(Failure::Fatal(format!(
                "--checkpoint-interval ({} ms) must be at most half of transaction.timeout.ms ({timeout_ms} ms) with an exactly_once sink; shorten it or raise the timeout with --kafka-option transaction.timeout.ms=...",
                config.checkpoint_interval_ms
            )));
        }
    }
    // PostgreSQL sinks: their database is connected (and checked) before anything is read.
    let databases: Arc<PgRegistry> = Arc::default();
    let mut database_sinks = Vec::new();
    for (i, sink) in info.sinks.iter().enumerate() {
        if let (true, false, SinkKind::Postgres { url, .. }) =
            (config.sink_active(i), config.outputs_swapped(info, i), sink.kind)
        {
            let url = url.resolve().map_err(|e| format!("sink `{}`: option `url`: {e}", sink.name))?;
            databases.connect(&url).map_err(|e| {
                // At start a bad URL or an unreachable database is an error; later it is waited for.
                let message = format!("sink `{}`: {e}", sink.name);
                if resumed {
                    Failure::Retry(message)
                } else {
                    Failure::Fatal(message)
                }
            })?;
            database_sinks.push(sink.name);
        }
    }
    let database = match databases.connections().as_slice() {
        [] => None,
        [one] => Some(Arc::clone(one)),
        _ => {
            return Err(Failure::Fatal(format!(
                "sinks {} write to different PostgreSQL databases, which cannot commit together; write them from separate programs",
                database_sinks.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            )))
        }
    };
    if let (true, Some(_)) = (transactional, &database) {
        return Err(Failure::Fatal(format!(
            "an exactly_once Kafka sink and a PostgreSQL sink ({}) cannot commit together in one run; set `delivery: at_least_once` on the Kafka sink, or write them from separate programs",
            database_sinks.join(", ")
        )));
    }
    if let Some(database) = &database {
        database.prepare_offsets().map_err(|e| Failure::Fatal(e.to_string()))?;
    }
    if let Some(producer) = output.as_ref().and_then(|o| o.transactional.as_ref()) {
        ensure_marker_topic(&client, &marker)?;
        // Fences a previous instance and aborts its open transaction.
        producer
            .init_transactions(CALL_TIMEOUT)
            .map_err(|e| Failure::Retry(format!("cannot start Kafka transactions on `{brokers}`: {e}")))?;
    }

    // Which checkpoint is valid: with transactions, the one whose epoch marker committed.
    let store = CheckpointStore::new(config.checkpoint_path(info));
    let epochs = store.epochs().map_err(Failure::Fatal)?;
    let (checkpoint, committed) = if transactional || database.is_some() {
        let seen = store.committed().map_err(Failure::Fatal)?;
        // With a database, what it committed (offsets included) is kept for a stateless restart.
        let database_epoch = std::cell::RefCell::new(None);
        let read_committed = || match &database {
            Some(database) => {
                let found = database.committed(&group).map_err(|e| Failure::Fatal(e.to_string()))?;
                let epoch = found.as_ref().map(|c| c.epoch);
                *database_epoch.borrow_mut() = found;
                Ok(epoch)
            }
            None => committed_epoch(inputs[0].consumer(), &marker),
        };
        // A transaction's offsets can become visible a moment after its commit returned
        // (measured on nisshi right after a previous run ended): wait for the epoch this
        // directory saw commit before concluding that the group forgot it.
        let mut committed = read_committed()?;
        let deadline = Instant::now() + Duration::from_secs(if database.is_some() { 0 } else { 15 });
        while seen.is_some_and(|seen| committed.is_none_or(|c| c < seen)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(250));
            committed = read_committed()?;
        }
        let holder = match &database {
            Some(database) => format!("the database {} (table sluice_offsets, pipeline `{group}`)", database.shown()),
            None => format!("the consumer group `{group}`"),
        };
        let dir = store.dir().display().to_string();
        let newest = epochs.last().copied().unwrap_or(0);
        // Checkpoint e+1 is written only after epoch e committed, so the files tell
        // what the marker must at least be. Refuse rather than guess or delete.
        match committed {
            None if newest >= 2 || seen.is_some() => {
                return Err(Failure::Fatal(format!(
                    "the checkpoints in `{dir}` go up to epoch {newest}, but {holder} has no committed epoch (its offsets expired, --group changed, or the group was reset); the state cannot be matched with the outputs. Run with the --group that wrote them, or start afresh with a new --checkpoint-dir"
                )));
            }
            Some(k) if newest > k + 1 || seen.is_some_and(|seen| seen > k) => {
                return Err(Failure::Fatal(format!(
                    "the checkpoints in `{dir}` go up to epoch {newest}, but {holder} committed epoch {k} (was the group reset?); start afresh with a new --checkpoint-dir and --group"
                )));
            }
            // A stateless program has nothing to restore: it resumes from the offsets the
            // database committed with its rows (the checkpoint directory was lost or is older).
            Some(k) if !epochs.contains(&k) && database.is_some() && !info.stateful => {}
            Some(k) if !epochs.contains(&k) => {
                return Err(Failure::Fatal(format!(
                    "epoch {k} was committed to {holder}, but its checkpoint is not in `{dir}` (a different --checkpoint-dir or working directory?); the state cannot be restored. To start over, use a new --group"
                )));
            }
            _ => {}
        }
        // Files of epochs that never committed are stale (at most the one after the committed epoch).
        store.retain(|e| committed.is_some_and(|c| e <= c)).map_err(Failure::Fatal)?;
        let found = match (committed, database_epoch.into_inner()) {
            (Some(epoch), _) if epochs.contains(&epoch) => Some(store.read(epoch).map_err(Failure::Fatal)?),
            (Some(epoch), Some(held)) => {
                tracing::info!(epoch, "no checkpoint of the committed epoch: resuming from the database's offsets");
                Some(Checkpoint {
                    program: info.name.to_string(),
                    fingerprint: info.fingerprint,
                    epoch,
                    lineage: held.lineage,
                    written_at_ms: crate::time::Timestamp::now().0,
                    offsets: held.offsets,
                    task_partitions: 1,
                    state: Vec::new(),
                })
            }
            (Some(epoch), None) => Some(store.read(epoch).map_err(Failure::Fatal)?),
            (None, _) => None,
        };
        (found, committed)
    } else {
        let mut found = None;
        for epoch in epochs.iter().rev() {
            match store.read(*epoch) {
                Ok(c) => {
                    found = Some(c);
                    break;
                }
                Err(e) => tracing::warn!(error = %e, "trying the previous checkpoint"),
            }
        }
        (found, None)
    };
    if let Some(c) = &checkpoint {
        if c.program != info.name || c.fingerprint != info.fingerprint {
            return Err(Failure::Fatal(format!(
                "the checkpoint in `{}` was written by a different program (`{}`, or an earlier version of this one); its state cannot be restored into this one. Give a new --checkpoint-dir (and --group) to start afresh",
                store.dir().display(),
                c.program
            )));
        }
    }

    // Epochs continue from the valid checkpoint (or the committed marker); a run
    // without one starts a new lineage, which names its epoch files.
    let first_epoch = checkpoint.as_ref().map_or(committed.unwrap_or(0), |c| c.epoch) + 1;
    let lineage = match &checkpoint {
        Some(c) => c.lineage.clone(),
        None => match store.lineage().map_err(Failure::Fatal)? {
            Some(lineage) => lineage,
            None => {
                let lineage = format!("{:x}", crate::time::Timestamp::now().0);
                store.write_lineage(&lineage).map_err(Failure::Fatal)?;
                lineage
            }
        },
    };
    // Files of epochs after the valid checkpoint did not commit: they are written again.
    for (i, sink) in info.sinks.iter().enumerate() {
        if let (false, true, SinkKind::File { path }) =
            (config.outputs_swapped(info, i), config.sink_active(i), sink.kind)
        {
            let dir = path.resolve().map_err(|e| format!("sink `{}`: {e}", sink.name))?;
            crate::io::sink::settle_epoch_files(std::path::Path::new(&dir), &lineage, first_epoch - 1)?;
        }
    }
    let mut run_config = config.clone();
    run_config.kafka_output = output.clone();
    run_config.epoch_files = Some((lineage.clone(), first_epoch));
    run_config.postgres = databases;
    let mut pipeline = build(&run_config)?;
    if let Some(c) = &checkpoint {
        pipeline.restore_state(&c.state).map_err(|e| format!("cannot restore the checkpoint: {e}"))?;
    }
    let mut counters = Counters::new(info.sources.len());

    let mut epochs = Epochs {
        info,
        stop,
        store,
        output: output.clone(),
        database,
        group: group.clone(),
        marker,
        epoch: first_epoch,
        lineage,
    };
    // The first transaction opens before anything can be written (a table's dead letters).
    epochs.begin()?;
    // Lookup tables are loaded whole before the stream starts; Kafka ones are kept up to date after.
    let mut tables: Vec<TableInput> = Vec::new();
    for (index, source) in info.sources.iter().enumerate().filter(|(i, s)| s.table && config.source_active(*i)) {
        if config.reads_kafka(info, index) {
            if let SourceKind::Kafka { topics, .. } = source.kind {
                for topic in topics {
                    let topic = topic.resolve().map_err(|e| format!("source `{}`: {e}", source.name))?;
                    let (mut table, partitions) = TableInput::open(info, index, &topic, &client, &brokers)?;
                    let mut ended = std::collections::HashSet::new();
                    while ended.len() < partitions {
                        if stop.load(Ordering::Relaxed) {
                            // Nothing was processed yet: no checkpoint to take, nothing to commit.
                            tracing::info!(program = info.name, table = %topic, "stopped by a signal while loading a table");
                            return Ok(());
                        }
                        if let Some(Some(p)) =
                            table.poll(info, &mut pipeline, Duration::from_millis(500), &mut counters)?
                        {
                            ended.insert(p);
                        }
                    }
                    tables.push(table);
                }
            }
        } else {
            let path = config.source_path(info, index)?;
            let mut reader =
                FileSource::open(&path, source.format).map_err(|e| format!("source `{}`: {e}", source.name))?;
            while let Some(raw) = reader.next_record()? {
                counters.read[index] += 1;
                let result = pipeline.on_table_row(index, &raw);
                handle(info, &mut pipeline, index, &raw, result, &mut counters)?;
            }
        }
    }

    // Starting offsets: the checkpoint's, else the group's committed ones, else `start`.
    for input in &mut inputs {
        let mut wanted = TopicPartitionList::new();
        for p in 0..input.reader.partitions.len() {
            wanted.add_partition(&input.reader.topic, p as i32);
        }
        let group_offsets = if checkpoint.is_none() {
            Some(input.consumer().committed_offsets(wanted, CALL_TIMEOUT).map_err(|e| {
                Failure::Retry(format!("cannot read the committed offsets of `{}`: {e}", input.reader.topic))
            })?)
        } else {
            None
        };
        let start = match info.sources[input.reader.source].kind {
            SourceKind::Kafka { start, .. } => start,
            _ => Start::Earliest,
        };
        let topic_checkpointed =
            checkpoint.as_ref().is_some_and(|c| c.offsets.iter().any(|o| o.topic == input.reader.topic));
        let mut assignment = TopicPartitionList::new();
        for (p, state) in input.reader.partitions.iter_mut().enumerate() {
            let p = p as i32;
            let from_checkpoint = checkpoint.as_ref().and_then(|c| {
                c.offsets.iter().find(|o| o.topic == input.reader.topic && o.partition == p).map(|o| o.next_offset)
            });
            let from_group = group_offsets.as_ref().and_then(|list| {
                list.find_partition(&input.reader.topic, p).and_then(|e| match e.offset() {
                    Offset::Offset(n) if n >= 0 => Some(n),
                    _ => None,
                })
            });
            let next = match from_checkpoint.or(from_group) {
                Some(n) if n >= 0 => n,
                _ => {
                    let (low, high) =
                        input.split.consumer().fetch_watermarks(&input.reader.topic, p, CALL_TIMEOUT).map_err(|e| {
                            Failure::Retry(format!("cannot read the offsets of `{}`: {e}", input.reader.topic))
                        })?;
                    if reads_from_earliest(start, topic_checkpointed) {
                        low
                    } else {
                        high
                    }
                }
            };
            state.next_offset = next;
            assignment.add_partition_offset(&input.reader.topic, p, Offset::Offset(next)).map_err(|e| e.to_string())?;
        }
        input
            .consumer()
            .assign(&assignment)
            .map_err(|e| Failure::Retry(format!("cannot assign `{}`: {e}", input.reader.topic)))?;
    }

    // Stream sources swapped for files: read alongside the topics, resumed at the checkpoint's line.
    let mut files: Vec<FileInput> = Vec::new();
    for (index, source) in info.sources.iter().enumerate() {
        if source.table || !config.source_active(index) || config.reads_kafka(info, index) {
            continue;
        }
        let path = config.source_path(info, index)?;
        let reader = FileSource::open(&path, source.format).map_err(|e| format!("source `{}`: {e}", source.name))?;
        let label = format!("file:{path}");
        let next_offset = checkpoint
            .as_ref()
            .and_then(|c| c.offsets.iter().find(|o| o.topic == label).map(|o| o.next_offset))
            .unwrap_or(0);
        pipeline.on_partition_assigned(FileInput::partition_id(index));
        files.push(FileInput { source: index, label, reader, next_offset, done: false });
    }
    // Every assigned partition holds the watermark back from the start (until it has records, ends or idles).
    for (index, input) in inputs.iter().enumerate() {
        for p in 0..input.reader.partitions.len() {
            pipeline.on_partition_assigned(TopicInput::partition_id(index, p as i32));
        }
    }
    let partitions: usize = inputs.iter().map(|i| i.reader.partitions.len()).sum();
    let dir = epochs.store.dir().display().to_string();
    match &checkpoint {
        Some(c) => tracing::info!(
            program = info.name,
            %brokers,
            %group,
            partitions,
            epoch = c.epoch,
            checkpoint_dir = %dir,
            exactly_once = transactional,
            "restored the checkpoint"
        ),
        None => tracing::info!(
            program = info.name,
            %brokers,
            %group,
            partitions,
            checkpoint_dir = %dir,
            exactly_once = transactional,
            "no checkpoint: starting from the group's committed offsets or `start`"
        ),
    }

    let terminal = progress;
    let checkpoint_every = Duration::from_millis(config.checkpoint_interval_ms);
    let tick_every = Duration::from_millis(config.flush_interval_ms);
    let idle_after = Duration::from_millis(config.idle_timeout_ms);
    let mut last_checkpoint = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_idle_check = Instant::now();
    let mut last_alignment = Instant::now();
    let mut last_progress = Instant::now();
    let mut last_warning: Option<Instant> = None;
    let max_bytes = config.max_record_bytes;
    let mut announced_stop = false;
    loop {
        let mut polled = 0usize;
        for input in inputs.iter_mut() {
            let TopicInput { split, reader } = input;
            // Events: errors, statistics for the progress line. The partitions' messages
            // are on their own queues; one that came here anyway is processed all the same.
            while let Some(polled_message) = split.consumer().poll(Duration::ZERO) {
                match polled_message {
                    Ok(message) => {
                        polled += 1;
                        let payload = message.payload().unwrap_or_default();
                        let message = (message.partition(), message.offset(), payload);
                        reader.on_message(info, &mut pipeline, &mut counters, max_bytes, message)?;
                    }
                    Err(KafkaError::PartitionEOF(p)) => {
                        reader.on_end(split.consumer(), &mut pipeline, config.until_end, p)?
                    }
                    Err(e) => {
                        // The broker is down or restarting: librdkafka reconnects; say so now and then.
                        if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                            tracing::warn!(topic = %reader.topic, error = %e, "reading (librdkafka retries)");
                            last_warning = Some(Instant::now());
                        }
                        break;
                    }
                }
            }
            // One batch from each partition in turn, so that they advance together.
            for p in 0..reader.partitions.len() {
                if reader.partitions[p].done || reader.partitions[p].held_back || split.poll(p) == 0 {
                    continue;
                }
                if config.until_end && reader.partitions[p].end_at_start.is_none() {
                    reader.partitions[p].end_at_start = split.fetched_end(p as i32);
                }
                let mut i = 0;
                while let Some(item) = split.get(i) {
                    i += 1;
                    match item {
                        Polled::Message { partition, offset, .. }
                            if reader.partitions[p].end_at_start.is_some_and(|end| offset >= end) =>
                        {
                            // Written after the run started: `--until-end` leaves it to the next run.
                            reader.on_end(split.consumer(), &mut pipeline, config.until_end, partition)?;
                            break;
                        }
                        Polled::Message { partition, offset, payload } => {
                            polled += 1;
                            reader.on_message(
                                info,
                                &mut pipeline,
                                &mut counters,
                                max_bytes,
                                (partition, offset, payload),
                            )?;
                        }
                        Polled::End { partition } => {
                            reader.on_end(split.consumer(), &mut pipeline, config.until_end, partition)?
                        }
                        Polled::Error(e) => {
                            if last_warning.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                                tracing::warn!(topic = %reader.topic, partition = p, error = %e, "reading (librdkafka retries)");
                                last_warning = Some(Instant::now());
                            }
                        }
                    }
                }
                let state = &reader.partitions[p];
                if !state.done && state.end_at_start.is_some_and(|end| state.next_offset >= end) {
                    reader.on_end(split.consumer(), &mut pipeline, config.until_end, p as i32)?;
                }
                split.release();
            }
        }
        for file in &mut files {
            if file.done {
                continue;
            }
            let id = FileInput::partition_id(file.source);
            for _ in 0..512 {
                let Some(raw) = file.reader.next_record()? else {
                    file.done = true;
                    pipeline.on_partition_done(id).map_err(|e| Failure::Fatal(e.to_string()))?;
                    break;
                };
                polled += 1;
                if raw.offset < file.next_offset {
                    continue; // processed before the checkpoint this run restored
                }
                file.next_offset = raw.offset + 1;
                counters.read[file.source] += 1;
                let result = pipeline.on_record(file.source, id, &raw);
                handle(info, &mut pipeline, file.source, &raw, result, &mut counters).map_err(Failure::Fatal)?;
            }
        }
        // Table updates: a few messages per round, so a busy table does not starve the stream.
        for table in &mut tables {
            for _ in 0..64 {
                if table.poll(info, &mut pipeline, Duration::ZERO, &mut counters)?.is_none() {
                    break;
                }
                polled += 1;
            }
        }
        if polled == 0 {
            // Nothing to read: wait until a partition queue gets a message (its callback
            // unparks this thread), for events at most 100 ms; table updates do not wake
            // it, so with tables for 5 ms (a busy table counts as something read).
            std::thread::park_timeout(Duration::from_millis(if tables.is_empty() { 100 } else { 5 }));
        }

        // Housekeeping.
        let now = Instant::now();
        if now.duration_since(last_tick) >= tick_every {
            last_tick = now;
            tolerate(pipeline.on_tick(crate::time::Timestamp::now().0), &mut counters)?;
        }
        if now.duration_since(last_idle_check) >= Duration::from_millis(200) {
            last_idle_check = now;
            for (index, input) in inputs.iter_mut().enumerate() {
                for (p, state) in input.reader.partitions.iter_mut().enumerate() {
                    // A partition held back by alignment has records waiting: it is not idle.
                    if state.seen || state.held_back {
                        state.seen = false;
                        state.idle = false;
                        state.last_active = now;
                    } else if !state.idle && !state.done && now.duration_since(state.last_active) >= idle_after {
                        state.idle = true;
                        pipeline
                            .on_partition_done(TopicInput::partition_id(index, p as i32))
                            .map_err(|e| Failure::Fatal(e.to_string()))?;
                    }
                }
            }
        }
        if let (Some(drift), true) =
            (config.max_drift_ms, now.duration_since(last_alignment) >= Duration::from_millis(50))
        {
            last_alignment = now;
            align(&mut inputs, &files, &pipeline, drift as i64, idle_after);
        }
        let finished = config.until_end
            && inputs.iter().all(|i| i.reader.partitions.iter().all(|p| p.done))
            && files.iter().all(|f| f.done);
        let stopping = stop.load(Ordering::Relaxed);
        if stopping && !announced_stop {
            announced_stop = true;
            tracing::info!(
                program = info.name,
                "stopping: a final checkpoint (a second signal exits at once, without it)"
            );
        }
        if finished {
            tolerate(pipeline.on_end(), &mut counters)?;
        }
        if finished || stopping || now.duration_since(last_checkpoint) >= checkpoint_every {
            if let Err(failure) = epochs.commit(&mut pipeline, &inputs, &files) {
                if let Failure::Fenced(_) = failure {
                    // The other instance commits these epochs: their files here never will be.
                    pipeline.discard_unpublished();
                }
                return Err(failure);
            }
            last_checkpoint = Instant::now();
            if finished || stopping {
                break;
            }
            epochs.begin()?;
        }
        if terminal && now.duration_since(last_progress) >= Duration::from_secs(1) {
            last_progress = now;
            let read: u64 = counters.read.iter().sum();
            let rate = read as f64 / started.elapsed().as_secs_f64().max(1e-9);
            let lags: Vec<Option<i64>> =
                inputs.iter().map(|i| i.consumer().context().lag(&i.reader.partitions)).collect();
            let lag = if lags.iter().all(Option::is_some) {
                lags.iter().flatten().sum::<i64>().to_string()
            } else {
                "-".to_string()
            };
            let watermark = match pipeline.watermark() {
                Some(w) if w > i64::MIN && w < i64::MAX => crate::time::Timestamp(w).to_string(),
                _ => "-".to_string(),
            };
            let written: u64 =
                pipeline.stats().iter().filter(|(name, _)| name.starts_with("written to")).map(|(_, n)| n).sum();
            eprint!(
                "\r{}: read {read} ({rate:.0}/s), wrote {written}, lag {lag}, watermark {watermark}, epoch {}, {} bad   ",
                info.name, epochs.epoch, counters.faults
            );
        }
    }
    if terminal {
        eprintln!();
    }
    pipeline.close().map_err(|e| Failure::Fatal(e.to_string()))?;
    // Swapped `--output` files (one per run): in place once the run ended well.
    pipeline.publish().map_err(|e| Failure::Fatal(e.to_string()))?;
    if !config.quiet {
        let summary = crate::driver::summary(info, &pipeline, &counters);
        let how = if stop.load(Ordering::Relaxed) { "stopped by a signal" } else { "reached the end" };
        eprintln!(
            "{summary} in {:.2}s; {how}, last checkpoint epoch {}",
            started.elapsed().as_secs_f64(),
            epochs.epoch - 1
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{alignment_change, message_payload, reads_from_earliest};
    use crate::config::Start;
    use crate::io::{Format, RawRecord};

    #[test]
    fn a_partition_added_since_the_checkpoint_is_read_from_its_start() {
        assert!(reads_from_earliest(Start::Earliest, false));
        assert!(!reads_from_earliest(Start::Latest, false), "a first run, or a topic new to the checkpoint");
        assert!(reads_from_earliest(Start::Latest, true), "a partition added to a checkpointed topic");
    }

    #[test]
    fn a_csv_message_is_dead_lettered_with_its_bytes_as_they_arrived() {
        // Re-encoding the parsed row would drop the quotes and the spaces.
        let message = b"u1, \"/home\" ,x";
        let headers = csv::ByteRecord::from(vec!["user_id", "url", "bytes"]);
        let mut row = csv::ByteRecord::new();
        let (payload, fault) = message_payload(Format::Csv, message, &mut row, &headers);
        assert!(fault.is_none());
        let raw = RawRecord { payload, topic: "t", partition: 0, offset: 7 };
        assert_eq!(raw.raw_bytes(), message.to_vec());
    }

    #[test]
    fn alignment_holds_back_past_the_drift_and_reads_again_within_half_of_it() {
        assert_eq!(alignment_change(false, 30_001, 30_000), Some(true));
        assert_eq!(alignment_change(false, 30_000, 30_000), None);
        assert_eq!(alignment_change(true, 20_000, 30_000), None, "still too far ahead to resume");
        assert_eq!(alignment_change(true, 15_000, 30_000), Some(false));
        assert_eq!(alignment_change(true, 0, 30_000), Some(false));
    }
}
