//! The producers of a run, shared by every Kafka sink: one transactional
//! producer for `exactly_once` sinks (its transaction is committed with the
//! input offsets at each checkpoint) and one idempotent producer for
//! `at_least_once` sinks (flushed before each checkpoint is written).

use crate::fault::Error;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::DeliveryResult;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::ClientContext;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Counts failed deliveries of the idempotent producer; a checkpoint is not
/// written while any failed, so the records are produced again after a restart.
#[derive(Default)]
pub struct DeliveryWatch {
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryWatch {}

impl ProducerContext for DeliveryWatch {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((error, _)) = result {
            self.failed.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut first) = self.first_error.lock() {
                first.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

pub type Producer_ = BaseProducer<DeliveryWatch>;

/// Set when a send failed for a reason that may pass (a failed transaction, a broker
/// going away): the run loop then restarts from the checkpoint instead of exiting.
static SEND_FAILED: AtomicBool = AtomicBool::new(false);

/// A write failed for a reason that may pass (a database connection dropped):
/// the run starts again from its checkpoint.
#[cfg_attr(not(feature = "postgres"), expect(dead_code, reason = "only database sinks report transient failures"))]
pub(crate) fn mark_send_failure() {
    SEND_FAILED.store(true, Ordering::Relaxed);
}

/// Whether a send failed since the last call (and clears it).
pub(crate) fn take_send_failure() -> bool {
    SEND_FAILED.swap(false, Ordering::Relaxed)
}

pub struct KafkaOutput {
    pub(crate) transactional: Option<Producer_>,
    pub(crate) plain: Option<Producer_>,
    sent: AtomicU64,
}

impl KafkaOutput {
    /// Creates the producers the sinks need. `transactional_id` is set when some sink is `exactly_once`.
    pub fn new(
        client: &ClientConfig,
        transactional_id: Option<&str>,
        at_least_once: bool,
    ) -> Result<KafkaOutput, String> {
        let make = |transactional: Option<&str>| -> Result<Producer_, String> {
            let mut config = client.clone();
            // Throughput defaults; `--kafka-option` (already in `client`) wins over them.
            // Keyed messages go where Java clients (Kafka Streams, Flink) put them:
            // murmur2, also the hash of sluice's task partitions (`crate::state`).
            for (key, value) in [("linger.ms", "5"), ("batch.num.messages", "10000"), ("partitioner", "murmur2_random")]
            {
                if config.get(key).is_none() {
                    config.set(key, value);
                }
            }
            match transactional {
                Some(id) => {
                    config.set("transactional.id", id);
                    if config.get("transaction.timeout.ms").is_none() {
                        config.set("transaction.timeout.ms", "60000");
                    }
                }
                None => {
                    config.set("enable.idempotence", "true");
                }
            }
            config.create_with_context(DeliveryWatch::default()).map_err(|e| super::client_error("producer", &e))
        };
        Ok(KafkaOutput {
            transactional: transactional_id.map(|id| make(Some(id))).transpose()?,
            plain: if at_least_once { Some(make(None)?) } else { None },
            sent: AtomicU64::new(0),
        })
    }

    /// Queues one message; waits while librdkafka's queue is full.
    pub fn send(&self, exactly_once: bool, topic: &str, key: Option<&[u8]>, payload: &[u8]) -> Result<(), Error> {
        let producer = if exactly_once { self.transactional.as_ref() } else { self.plain.as_ref() }
            .ok_or_else(|| Error::Fatal(format!("internal error: no producer for topic `{topic}`")))?;
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(topic).payload(payload);
        if let Some(key) = key {
            record = record.key(key);
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(20));
                }
                Err((error, _)) => {
                    // A record the broker can never take stops the run; anything else is retried.
                    let permanent = matches!(
                        error,
                        KafkaError::MessageProduction(
                            RDKafkaErrorCode::MessageSizeTooLarge
                                | RDKafkaErrorCode::InvalidMessageSize
                                | RDKafkaErrorCode::TopicAuthorizationFailed
                        )
                    );
                    if !permanent {
                        SEND_FAILED.store(true, Ordering::Relaxed);
                    }
                    return Err(Error::Fatal(format!("cannot send to Kafka topic `{topic}`: {error}")));
                }
            }
        }
        // Serve delivery reports (BaseProducer has no thread of its own). One poll serves
        // one report batch, and acknowledged messages stay in memory until served.
        if self.sent.fetch_add(1, Ordering::Relaxed).is_multiple_of(64) {
            producer.poll(Duration::ZERO);
        }
        Ok(())
    }

    /// Waits until every message of the transactional producer is acknowledged,
    /// before its commit (which would otherwise wait in 100 ms steps).
    pub fn drain_transactional(&self, timeout: Duration) -> Result<(), String> {
        match &self.transactional {
            Some(producer) => drain(producer, timeout),
            None => Ok(()),
        }
    }

    /// Waits until every message of the idempotent producer is acknowledged;
    /// fails if any was not (the checkpoint must not be written then).
    pub fn flush_plain(&self, timeout: Duration) -> Result<(), String> {
        let Some(producer) = &self.plain else { return Ok(()) };
        drain(producer, timeout).map_err(|e| format!("Kafka sinks did not acknowledge every record: {e}"))?;
        let watch = producer.context();
        let failed = watch.failed.swap(0, Ordering::Relaxed);
        if failed > 0 {
            let first = watch.first_error.lock().ok().and_then(|mut f| f.take()).unwrap_or_default();
            return Err(format!("{failed} records could not be written to Kafka (first error: {first})"));
        }
        Ok(())
    }
}

/// Waits until `producer` has no message in flight, serving its delivery
/// reports. rdkafka's `flush` (also run inside `commit_transaction`) serves
/// them in 100 ms waits once a message is in flight, which cost every
/// checkpoint about 100 ms of wall time (measured); this checks every 0.5 ms.
/// It sleeps between checks rather than polling with a timeout: rdkafka's poll
/// spins on the clock for the last millisecond of its timeout (its deadline is
/// passed to librdkafka in whole milliseconds), which made each checkpoint cost
/// milliseconds of CPU (measured with perf).
fn drain(producer: &Producer_, timeout: Duration) -> Result<(), String> {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        // A zero-time flush sends what `linger.ms` still holds back, without waiting.
        let _ = producer.flush(Duration::ZERO);
        // One poll serves one batch of delivery reports: poll while they keep coming.
        let mut in_flight = producer.in_flight_count();
        while in_flight > 0 {
            producer.poll(Duration::ZERO);
            let now = producer.in_flight_count();
            if now >= in_flight {
                break;
            }
            in_flight = now;
        }
        if in_flight == 0 {
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            return Err(format!("{} messages still in flight after {timeout:?}", producer.in_flight_count()));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}
