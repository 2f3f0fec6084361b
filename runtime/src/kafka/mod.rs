//! Kafka: direct consumption (the binary assigns every partition itself and
//! keeps offsets in its checkpoints), transactional and idempotent sinks, and
//! the checkpointed run loop. The protocol is described in docs/delivery.md.

pub(crate) mod output;
mod queue;
pub mod run;

pub use output::KafkaOutput;

use rdkafka::config::ClientConfig;
use rdkafka::error::KafkaError;

/// Installs the log subscriber of a Kafka run (once per process; an embedding
/// program that installed its own keeps it). `SLUICE_LOG` filters
/// (`info` by default, `warn` with `--quiet`, `debug` shows every epoch), and
/// `SLUICE_LOG_FORMAT=json` writes one JSON object per event.
pub fn init_logs(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| EnvFilter::new(if quiet { "warn" } else { "info" }));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false);
    let _ = if std::env::var("SLUICE_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().with_current_span(false).try_init()
    } else {
        builder.without_time().with_target(false).try_init()
    };
}

/// The settings every client of a run shares: brokers, then `--kafka-option`s.
pub fn client_config(brokers: &str, options: &[(String, String)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", brokers);
    for (key, value) in options {
        config.set(key, value);
    }
    config
}

/// A client could not be created: name the option, never its value (it may be a secret).
pub fn client_error(what: &str, error: &KafkaError) -> String {
    match error {
        KafkaError::ClientConfig(_, description, key, value) => {
            let description =
                if value.is_empty() { description.clone() } else { description.replace(value.as_str(), "<redacted>") };
            format!("cannot create a Kafka {what}: option `{key}`: {description}")
        }
        other => format!("cannot create a Kafka {what}: {other}"),
    }
}

/// Drives one future to completion on this thread (the admin API is async; the run loop is not).
/// Public for the project's own tests, which create topics the same way.
#[doc(hidden)]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
        std::thread::park_timeout(std::time::Duration::from_millis(50));
    }
}
