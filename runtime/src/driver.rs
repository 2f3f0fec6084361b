//! The run loop of a generated binary on files: load lookup tables, read every
//! source round-robin (one record from each in turn, so event time advances
//! on all inputs together), route faults by `on_error`, flush at the end.

use crate::config::{CliError, Config, OnError, ProgramInfo, Selection, SourceKind};
use crate::fault::{Error, Fault};
use crate::io::{DeadLetter, FileSource, RawRecord};
use std::process::ExitCode;
use std::time::Instant;

/// What generated code implements: the program's records, state and fused loops.
pub trait Pipeline {
    /// Decodes one record of `source` and runs it through every fused chain that reads it.
    fn on_record(&mut self, source: usize, partition: u64, raw: &RawRecord<'_>) -> Result<(), Error>;
    /// Loads one row of a lookup-table source.
    fn on_table_row(&mut self, source: usize, raw: &RawRecord<'_>) -> Result<(), Error>;
    /// An input partition was assigned (Kafka): the event-time stages it feeds
    /// directly wait for it before their watermark advances.
    fn on_partition_assigned(&mut self, partition: u64);
    /// An input partition ended: it no longer holds watermarks back.
    fn on_partition_done(&mut self, partition: u64) -> Result<(), Error>;
    /// Processing time advanced: processing-time windows close, running aggregates emit.
    fn on_tick(&mut self, now: i64) -> Result<(), Error>;
    /// Bounded input ended: the watermark goes to infinity and every open window is emitted.
    fn on_end(&mut self) -> Result<(), Error>;
    /// Writes a dead letter to sink `sink`.
    fn write_dead_letter(&mut self, sink: usize, letter: &DeadLetter) -> Result<(), Error>;
    /// Flushes and closes every sink (files are complete and synced, not yet in place).
    fn close(&mut self) -> Result<(), Error>;
    /// Moves the files of ended epochs, or of the ended run, into place: called
    /// once their outputs committed.
    fn publish(&mut self) -> Result<(), Error>;
    /// Removes the files of ended epochs that did not commit and never will
    /// (this instance was fenced by another).
    fn discard_unpublished(&mut self);
    /// Counters for the summary (records written per sink, late records...).
    fn stats(&self) -> Vec<(String, u64)>;
    /// An epoch ends (a checkpoint): epoch-named files are completed and the
    /// next epoch's open; other sinks flush.
    fn commit_epoch(&mut self, next_epoch: u64) -> Result<(), Error>;
    /// The lowest event-time watermark of the windowed stages (for the progress line).
    fn watermark(&self) -> Option<i64>;
    /// The largest event time the event-time stages saw on an input partition
    /// (None before its first record, or without such stages): watermark alignment.
    fn partition_time(&self, partition: u64) -> Option<i64> {
        let _ = partition;
        None
    }
    /// Every stateful operator's state for a checkpoint: per operator, one
    /// operator-wide section and one per task partition of `partitions` (the
    /// run's largest source partition count; see `crate::state`).
    fn save_state(&self, partitions: u32) -> Result<Vec<(String, Vec<u8>)>, String>;
    /// Puts back the state a checkpoint saved (every section of it).
    fn restore_state(&mut self, state: &[(String, Vec<u8>)]) -> Result<(), String>;
}

pub(crate) struct Counters {
    pub(crate) read: Vec<u64>,
    pub(crate) faults: u64,
    pub(crate) dead_letters: u64,
    reported: u64,
}

impl Counters {
    pub(crate) fn new(sources: usize) -> Self {
        Counters { read: vec![0; sources], faults: 0, dead_letters: 0, reported: 0 }
    }
}

/// Entry point of a generated binary.
pub fn main<P: Pipeline>(info: &ProgramInfo, build: impl Fn(&Config) -> Result<P, String>) -> ExitCode {
    main_selected(info, None, build)
}

/// One pipeline of a `stream!` program (`pipelines::NAME()`), run with what it
/// depends on: the pipelines it reads from, their sources and their sinks.
pub struct Runner<P: 'static> {
    info: &'static ProgramInfo,
    selection: Selection,
    build: fn(&Config) -> Result<P, String>,
}

impl<P: Pipeline> Runner<P> {
    pub const fn new(
        info: &'static ProgramInfo,
        selection: Selection,
        build: fn(&Config) -> Result<P, String>,
    ) -> Self {
        Runner { info, selection, build }
    }

    /// The pipeline's name.
    pub fn name(&self) -> &'static str {
        self.selection.pipeline
    }

    /// Runs it as a built binary runs: flags from the command line (`--input`, `--brokers`, ...).
    pub fn run(self) -> ExitCode {
        main_selected(self.info, Some(self.selection), self.build)
    }

    /// Runs it with these flags.
    pub fn run_with(self, args: &[&str]) -> Result<(), String> {
        let mut config = Config::from_args(self.info, args.iter().map(|a| a.to_string())).map_err(|e| match e {
            CliError::Help(text) | CliError::Usage(text) => text,
        })?;
        config.selection = Some(self.selection);
        run(self.info, &config, self.build)
    }

    /// Runs it with a configuration built by the caller.
    pub fn run_config(self, mut config: Config) -> Result<(), String> {
        config.selection = Some(self.selection);
        run(self.info, &config, self.build)
    }
}

fn main_selected<P: Pipeline>(
    info: &ProgramInfo,
    selection: Option<Selection>,
    build: impl Fn(&Config) -> Result<P, String>,
) -> ExitCode {
    let mut config = match Config::from_args(info, std::env::args().skip(1)) {
        Ok(config) => config,
        Err(CliError::Help(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Err(CliError::Usage(message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    config.selection = selection;
    match run(info, &config, build) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// Runs a program with the given flags (as a binary would be given them).
pub fn run_with_args<P: Pipeline>(
    info: &ProgramInfo,
    args: impl IntoIterator<Item = String>,
    build: impl Fn(&Config) -> Result<P, String>,
) -> Result<(), String> {
    let config = Config::from_args(info, args).map_err(|e| match e {
        CliError::Help(text) | CliError::Usage(text) => text,
    })?;
    run(info, &config, build)
}

/// Runs a program: on Kafka when a stream source reads Kafka, else to the end of its files.
pub fn run<P: Pipeline>(
    info: &ProgramInfo,
    config: &Config,
    build: impl Fn(&Config) -> Result<P, String>,
) -> Result<(), String> {
    if info.sources.iter().enumerate().any(|(i, s)| !s.table && config.reads_kafka(info, i)) {
        return crate::kafka::run::run(info, config, &build);
    }
    run_files(info, config, &build)
}

/// Runs a program on bounded file inputs. Kafka sinks, if any, are written in
/// one transaction (`exactly_once`) that commits when the run succeeds.
fn run_files<P: Pipeline>(
    info: &ProgramInfo,
    config: &Config,
    build: &dyn Fn(&Config) -> Result<P, String>,
) -> Result<(), String> {
    let started = Instant::now();
    // Open every input before building sinks, so a typo in a path fails before any output exists.
    let mut inputs: Vec<(usize, FileSource)> = Vec::new();
    for (index, source) in info.sources.iter().enumerate().filter(|(i, _)| config.source_active(*i)) {
        let path = config.source_path(info, index)?;
        let reader = FileSource::open(&path, source.format).map_err(|e| format!("source `{}`: {e}", source.name))?;
        inputs.push((index, reader));
    }
    let mut config = config.clone();
    config.postgres = std::sync::Arc::default();
    if info.sinks.iter().enumerate().any(|(i, _)| config.writes_kafka(info, i)) {
        let client = crate::kafka::client_config(&crate::kafka::run::brokers(info, &config)?, &config.kafka_options);
        let output = crate::kafka::run::open_output(info, &config, &client)?;
        if let Some(producer) = output.as_ref().and_then(|o| o.transactional.as_ref()) {
            use rdkafka::producer::Producer;
            producer
                .init_transactions(std::time::Duration::from_secs(30))
                .and_then(|()| producer.begin_transaction())
                .map_err(|e| format!("cannot start a Kafka transaction: {e}"))?;
        }
        let transactional = output.as_ref().is_some_and(|o| o.transactional.is_some());
        let databases: Vec<&str> = info
            .sinks
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                matches!(s.kind, crate::config::SinkKind::Postgres { .. })
                    && config.sink_active(*i)
                    && !config.outputs_swapped(info, *i)
            })
            .map(|(_, s)| s.name)
            .collect();
        if transactional && !databases.is_empty() {
            return Err(format!(
                "an exactly_once Kafka sink and a PostgreSQL sink ({}) cannot commit together in one run; set `delivery: at_least_once` on the Kafka sink, or write them from separate programs",
                databases.join(", ")
            ));
        }
        config.kafka_output = output.map(std::sync::Arc::new);
    }
    let config = &config;
    let mut pipeline = build(config)?;
    let mut counters = Counters::new(info.sources.len());

    // Lookup tables are loaded whole before the stream starts.
    for (index, reader) in inputs.iter_mut().filter(|(i, _)| info.sources[*i].table) {
        while let Some(raw) = reader.next_record()? {
            counters.read[*index] += 1;
            let result = pipeline.on_table_row(*index, &raw);
            handle(info, &mut pipeline, *index, &raw, result, &mut counters)?;
        }
    }
    let mut streams: Vec<(usize, FileSource)> = inputs.into_iter().filter(|(i, _)| !info.sources[*i].table).collect();
    let mut last_tick = Instant::now();
    let mut since_tick = 0u32;
    while !streams.is_empty() {
        let mut finished = Vec::new();
        for (slot, (index, reader)) in streams.iter_mut().enumerate() {
            match reader.next_record()? {
                Some(raw) => {
                    counters.read[*index] += 1;
                    let result = pipeline.on_record(*index, *index as u64, &raw);
                    handle(info, &mut pipeline, *index, &raw, result, &mut counters)?;
                }
                None => finished.push(slot),
            }
        }
        for slot in finished.into_iter().rev() {
            let (index, _) = streams.remove(slot);
            pipeline.on_partition_done(index as u64).map_err(|e| fatal(&e))?;
        }
        since_tick += 1;
        if since_tick >= 1024 {
            since_tick = 0;
            if last_tick.elapsed().as_millis() as u64 >= config.flush_interval_ms {
                last_tick = Instant::now();
                let now = crate::time::Timestamp::now().0;
                tolerate(pipeline.on_tick(now), &mut counters)?;
            }
        }
    }
    tolerate(pipeline.on_end(), &mut counters)?;
    if let Err(e) = pipeline.close() {
        pipeline.discard_unpublished();
        return Err(fatal(&e));
    }
    // A run on files commits once, at its end: database rows, Kafka output, then its files.
    let committed = config.postgres.commit_all().and_then(|()| match &config.kafka_output {
        Some(output) => {
            let timeout = std::time::Duration::from_secs(60);
            output.flush_plain(timeout)?;
            if let Some(producer) = &output.transactional {
                use rdkafka::producer::Producer;
                producer.commit_transaction(timeout).map_err(|e| format!("cannot commit the Kafka output: {e}"))?;
            }
            Ok(())
        }
        None => Ok(()),
    });
    if let Err(e) = committed {
        // A failed run leaves no output files behind.
        pipeline.discard_unpublished();
        return Err(e);
    }
    pipeline.publish().map_err(|e| fatal(&e))?;
    if !config.quiet {
        eprintln!("{} in {:.2}s", summary(info, &pipeline, &counters), started.elapsed().as_secs_f64());
    }
    Ok(())
}

/// The end-of-run line: records read, each stat of the program, bad records.
pub(crate) fn summary<P: Pipeline>(info: &ProgramInfo, pipeline: &P, counters: &Counters) -> String {
    let read: u64 = counters.read.iter().sum();
    let mut summary = format!("{}: read {read} records", info.name);
    for (name, value) in pipeline.stats() {
        summary.push_str(&format!(", {name} {value}"));
    }
    if counters.faults > 0 {
        summary.push_str(&format!(", {} bad records ({} dead-lettered)", counters.faults, counters.dead_letters));
    }
    summary
}

fn fatal(error: &Error) -> String {
    error.to_string()
}

/// Faults after a window emitted a row have no source record: they are counted and logged.
pub(crate) fn tolerate(result: Result<(), Error>, counters: &mut Counters) -> Result<(), String> {
    match result {
        Ok(()) => Ok(()),
        Err(Error::Fatal(message)) => Err(message),
        Err(Error::Fault(fault)) => {
            counters.faults += 1;
            report(counters, &format!("skipped an emitted row: {fault}"));
            Ok(())
        }
    }
}

fn report(counters: &mut Counters, message: &str) {
    counters.reported += 1;
    if counters.reported <= 10 {
        eprintln!("warning: {message}");
    } else if counters.reported == 11 {
        eprintln!("warning: more bad records; only the first 10 are shown");
    }
}

/// Routes a record's fault by its source's `on_error`.
pub(crate) fn handle<P: Pipeline>(
    info: &ProgramInfo,
    pipeline: &mut P,
    source: usize,
    raw: &RawRecord<'_>,
    result: Result<(), Error>,
    counters: &mut Counters,
) -> Result<(), String> {
    let fault: Fault = match result {
        Ok(()) => return Ok(()),
        Err(Error::Fatal(message)) => return Err(message),
        Err(Error::Fault(fault)) => fault,
    };
    counters.faults += 1;
    let info_source = &info.sources[source];
    let place = match info_source.kind {
        SourceKind::File { .. } | SourceKind::Kafka { .. } => {
            format!("{} partition {} offset {}", raw.topic, raw.partition, raw.offset)
        }
    };
    match info_source.on_error {
        OnError::Skip => {
            report(counters, &format!("source `{}` ({place}): skipped: {fault}", info_source.name));
            Ok(())
        }
        OnError::Fail => Err(format!("source `{}` ({place}): {fault} (on_error: fail)", info_source.name)),
        OnError::DeadLetter(sink) => {
            counters.dead_letters += 1;
            let letter = DeadLetter::new(info_source.name, raw, &fault);
            pipeline.write_dead_letter(sink, &letter).map_err(|e| fatal(&e))
        }
    }
}
