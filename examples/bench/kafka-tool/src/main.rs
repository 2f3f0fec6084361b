//! `kafka-tool BROKERS create TOPIC PARTITIONS`
//! `kafka-tool BROKERS produce TOPIC PARTITIONS FILE`: one message per line, line i to partition i % PARTITIONS
//! `kafka-tool BROKERS count TOPIC`: reads every partition from the beginning to its end with a
//!   plain BaseConsumer (the same client and poll loop sluice uses) and prints the count and the rate.

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use std::io::BufRead;
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn block_on<F: std::future::Future>(future: F) -> F::Output {
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
        std::thread::park_timeout(Duration::from_millis(20));
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: kafka-tool BROKERS create|produce|count TOPIC [PARTITIONS] [FILE]");
        return ExitCode::from(2);
    }
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", &args[1]);
    let topic = &args[3];
    match args[2].as_str() {
        "create" => {
            let admin: AdminClient<DefaultClientContext> = client.create().expect("admin client");
            let partitions: i32 = args[4].parse().expect("partitions");
            let new = NewTopic::new(topic, partitions, TopicReplication::Fixed(1));
            for result in block_on(admin.create_topics([&new], &AdminOptions::new())).expect("create") {
                if let Err((topic, code)) = result {
                    eprintln!("{topic}: {code}");
                }
            }
        }
        "produce" => {
            let partitions: i32 = args[4].parse().expect("partitions");
            let producer: BaseProducer = client.set("linger.ms", "20").create().expect("producer");
            let file = std::io::BufReader::new(std::fs::File::open(&args[5]).expect("input file"));
            for (i, line) in file.lines().enumerate() {
                let line = line.expect("a line");
                let mut record = BaseRecord::<[u8], [u8]>::to(topic).payload(line.as_bytes()).partition(i as i32 % partitions);
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
            producer.flush(Duration::from_secs(300)).expect("flush");
        }
        "count" => {
            let consumer: BaseConsumer = client
                .set("group.id", "sluice-bench-raw")
                .set("enable.partition.eof", "true")
                .set("enable.auto.commit", "false")
                // The same fetch setting the sluice runtime uses (see its consumer_config).
                .set("fetch.queue.backoff.ms", "10")
                .create()
                .expect("consumer");
            let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
            let partitions = metadata.topics()[0].partitions().len();
            let mut list = TopicPartitionList::new();
            for p in 0..partitions {
                list.add_partition_offset(topic, p as i32, Offset::Beginning).unwrap();
            }
            consumer.assign(&list).expect("assign");
            let started = Instant::now();
            let (mut count, mut bytes, mut ended) = (0u64, 0u64, 0);
            while ended < partitions {
                match consumer.poll(Duration::from_millis(500)) {
                    Some(Ok(m)) => {
                        count += 1;
                        bytes += m.payload_len() as u64;
                    }
                    Some(Err(KafkaError::PartitionEOF(_))) => ended += 1,
                    Some(Err(e)) => eprintln!("{e}"),
                    None => {}
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            println!("read {count} records ({bytes} bytes) in {seconds:.2}s");
        }
        other => {
            eprintln!("unknown command `{other}`");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}
