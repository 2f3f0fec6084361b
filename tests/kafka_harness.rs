//! A real Kafka-protocol broker for the tests: nisshi 0.7.0, installed by
//! `scripts/broker.sh install`, started on a free loopback port in a temporary
//! directory and killed (by its own PID) when the test ends. Topics are made,
//! filled and read with rdkafka, as a user's tools would.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Message, Offset, TopicPartitionList};
use sluice_compiler::cli::build::{build, cache_dir, BuildArgs};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The broker binary: `SLUICE_NISSHI`, else where `scripts/broker.sh install` puts it.
pub fn nisshi() -> PathBuf {
    let path = std::env::var_os("SLUICE_NISSHI")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("nisshi-0.7.0/bin/nisshi"));
    assert!(
        path.is_file(),
        "the test broker is not installed at {}: run `scripts/broker.sh install` (or set SLUICE_NISSHI)",
        path.display()
    );
    path
}

pub struct Broker {
    child: Option<Child>,
    pub address: String,
    port: u16,
    storage: String,
    dir: tempfile::TempDir,
}

impl Broker {
    /// A broker with in-memory storage.
    pub fn start() -> Broker {
        Broker::start_with("memory://nisshi/")
    }

    /// A broker whose storage is a SQLite file in its directory: it survives a kill -9.
    pub fn start_durable() -> Broker {
        Broker::start_with("sqlite://broker.db")
    }

    fn start_with(storage: &str) -> Broker {
        // A port found free can be taken before the broker binds it (by another test's
        // broker, say): then this broker exits, and another free port is tried.
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut broker = Broker {
                child: None,
                address: format!("127.0.0.1:{port}"),
                port,
                storage: storage.to_string(),
                dir: tempfile::tempdir().unwrap(),
            };
            if broker.launch() {
                return broker;
            }
        }
        panic!("the broker exited five times at start: is the port range exhausted?");
    }

    /// Starts the broker and waits until it accepts connections; false if it exited
    /// instead (its port was taken). It must still run a moment after it answers: the
    /// answer may have come from whoever took the port.
    fn launch(&mut self) -> bool {
        let url = format!("tcp://127.0.0.1:{}", self.port);
        let log = std::fs::File::create(self.dir.path().join("broker.log")).unwrap();
        let child = Command::new(nisshi())
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", &self.storage])
            .current_dir(self.dir.path())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("cannot start nisshi");
        self.child = Some(child);
        let exited = |broker: &mut Broker| broker.child.as_mut().is_some_and(|c| !matches!(c.try_wait(), Ok(None)));
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&self.address).is_err() {
            if exited(self) {
                return false;
            }
            assert!(
                Instant::now() < deadline,
                "the broker did not start; see its log in {}",
                self.dir.path().display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(200));
        !exited(self)
    }

    /// A handle on a broker started elsewhere (for a producer thread); dropping it stops nothing.
    pub fn attach(address: &str) -> Broker {
        Broker {
            child: None,
            address: address.to_string(),
            port: 0,
            storage: String::new(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Commits offset 0 of every partition of `topics` for `group`, as an operator resetting a group would.
    pub fn commit_offsets_at_start(&self, group: &str, topics: &[String]) {
        let consumer: BaseConsumer = self.client().set("group.id", group).create().unwrap();
        let mut list = TopicPartitionList::new();
        for topic in topics {
            let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
            for p in metadata.topics()[0].partitions() {
                list.add_partition_offset(topic, p.id(), Offset::Offset(0)).unwrap();
            }
        }
        consumer.commit(&list, rdkafka::consumer::CommitMode::Sync).unwrap();
    }

    /// Produces the crash test's records to `clicks` (4 partitions, record i to partition i % 4).
    pub fn produce_from(&self, records: &[Vec<u8>]) {
        self.produce("clicks", 4, records);
    }

    /// kill -9 of the broker.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the broker again on the same port and storage (after `kill`).
    pub fn restart(&mut self) {
        self.kill();
        assert!(self.launch(), "the broker exited on restart; see its log in {}", self.dir.path().display());
    }

    fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.address);
        config
    }

    pub fn create_topic(&self, name: &str, partitions: i32) {
        let admin: AdminClient<DefaultClientContext> = self.client().create().unwrap();
        let topic = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
        let results = sluice::kafka::block_on(admin.create_topics([&topic], &AdminOptions::new())).unwrap();
        for result in results {
            result.unwrap_or_else(|(topic, code)| panic!("cannot create topic `{topic}`: {code}"));
        }
    }

    /// Produces `payloads` to `topic`, message i to partition i % partitions.
    pub fn produce(&self, topic: &str, partitions: i32, payloads: &[Vec<u8>]) {
        let producer: BaseProducer = self.client().set("linger.ms", "5").create().unwrap();
        for (i, payload) in payloads.iter().enumerate() {
            let mut record = BaseRecord::<[u8], [u8]>::to(topic).payload(payload).partition(i as i32 % partitions);
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((_, back)) => {
                        record = back;
                        producer.poll(Duration::from_millis(10));
                    }
                }
            }
        }
        producer.flush(Duration::from_secs(60)).expect("produce");
    }

    /// Every message of `topic` a `read_committed` consumer sees, to the end of every partition: (key, payload).
    pub fn consume(&self, topic: &str) -> Vec<(Option<String>, String)> {
        self.consume_partitioned(topic).into_iter().map(|(_, key, payload)| (key, payload)).collect()
    }

    /// `consume`, with each message's partition: (partition, key, payload).
    pub fn consume_partitioned(&self, topic: &str) -> Vec<(i32, Option<String>, String)> {
        let consumer: BaseConsumer = self
            .client()
            .set("group.id", "sluice-test-reader")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "true")
            .create()
            .unwrap();
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
        let partitions = metadata.topics()[0].partitions().len();
        let mut list = TopicPartitionList::new();
        for p in 0..partitions {
            list.add_partition_offset(topic, p as i32, Offset::Beginning).unwrap();
        }
        consumer.assign(&list).unwrap();
        let mut ended = std::collections::HashSet::new();
        let mut out = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while ended.len() < partitions {
            assert!(Instant::now() < deadline, "reading `{topic}` did not reach its end");
            match consumer.poll(Duration::from_millis(500)) {
                Some(Ok(m)) => out.push((
                    m.partition(),
                    m.key().map(|k| String::from_utf8_lossy(k).to_string()),
                    String::from_utf8_lossy(m.payload().unwrap_or_default()).to_string(),
                )),
                Some(Err(KafkaError::PartitionEOF(p))) => {
                    ended.insert(p);
                }
                Some(Err(e)) => eprintln!("reading {topic}: {e}"),
                None => {}
            }
        }
        out
    }

    /// What a `read_committed` consumer must see in `topic`, computed from the
    /// broker's own log (a durable broker's SQLite file) by
    /// `tests/kafka/read_committed.py`: Kafka's rule for transaction markers,
    /// applied independently of the pipeline and of librdkafka.
    pub fn read_committed_from_log(&self, topic: &str) -> Vec<String> {
        assert!(self.storage.starts_with("sqlite://"), "only a durable broker keeps a log to read");
        let script = crate::common::workspace_root().join("tests/kafka/read_committed.py");
        let output = Command::new("python3")
            .arg(&script)
            .arg(self.dir.path().join("broker.db"))
            .arg(topic)
            .output()
            .expect("python3 runs the log reader");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().lines().map(str::to_string).collect()
    }

    /// Whether a `read_committed` reader is spared the records of an aborted transaction.
    /// (Measured: nisshi 0.7.0 shows them; Apache Kafka does not.)
    pub fn filters_aborted_transactions(&self) -> bool {
        self.create_topic("probe-aborted", 1);
        let producer: BaseProducer = self.client().set("transactional.id", "sluice-test-probe").create().unwrap();
        producer.init_transactions(Duration::from_secs(30)).unwrap();
        producer.begin_transaction().unwrap();
        producer.send(BaseRecord::<str, str>::to("probe-aborted").payload("aborted").partition(0)).unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
        producer.abort_transaction(Duration::from_secs(30)).unwrap();
        producer.begin_transaction().unwrap();
        producer.send(BaseRecord::<str, str>::to("probe-aborted").payload("committed").partition(0)).unwrap();
        producer.commit_transaction(Duration::from_secs(30)).unwrap();
        let seen: Vec<String> = self.consume("probe-aborted").into_iter().map(|(_, p)| p).collect();
        assert!(seen.contains(&"committed".to_string()), "the committed record is missing: {seen:?}");
        !seen.contains(&"aborted".to_string())
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Builds a program (release) into the shared cache and returns its binary.
pub fn build_program(file: &Path) -> PathBuf {
    let name = file.file_stem().unwrap().to_string_lossy().to_string();
    let output = cache_dir().join("bin").join(format!("kafka-test-{name}"));
    let args = BuildArgs {
        file: file.to_path_buf(),
        output: Some(output),
        emit_rust: None,
        debug: false,
        color: sluice_compiler::cli::ColorChoice::Never,
    };
    build(&args).unwrap_or_else(|_| panic!("`{}` did not build", file.display())).binary
}

/// The lines of a file, as payloads (blank lines skipped).
pub fn lines_of(path: &Path) -> Vec<Vec<u8>> {
    // Bytes, not text: some fixtures hold invalid UTF-8 on purpose.
    std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(<[u8]>::to_vec)
        .collect()
}
