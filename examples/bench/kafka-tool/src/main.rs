//! `kafka-tool BROKERS create TOPIC PARTITIONS`
//! `kafka-tool BROKERS produce TOPIC PARTITIONS FILE`: one message per line, line i to partition i % PARTITIONS
//! `kafka-tool BROKERS count TOPIC`: reads every partition from the beginning to its end with a
//!   plain BaseConsumer and its poll loop (one message per `poll`), and prints the count and the rate.
//! `kafka-tool BROKERS count-batch TOPIC`: the same with the reads sluice's runtime does: each
//!   partition's own queue, 512 messages per call (librdkafka's batch API). The lower limit.

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

/// A consumer with the runtime's fetch settings plus `settings`, and the topic's partition count.
fn counting_consumer(client: &mut ClientConfig, topic: &str, settings: &[(&str, &str)]) -> (BaseConsumer, usize) {
    client
        .set("group.id", "sluice-bench-raw")
        .set("enable.partition.eof", "true")
        .set("enable.auto.commit", "false")
        // The same fetch setting the sluice runtime uses (see its consumer_config).
        .set("fetch.queue.backoff.ms", "10");
    for (key, value) in settings {
        client.set(*key, *value);
    }
    let consumer: BaseConsumer = client.create().expect("consumer");
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).expect("metadata");
    let partitions = metadata.topics()[0].partitions().len();
    (consumer, partitions)
}

/// Assigns every partition of `topic`, from its beginning.
fn assign_from_start(consumer: &BaseConsumer, topic: &str, partitions: usize) {
    let mut list = TopicPartitionList::new();
    for p in 0..partitions {
        list.add_partition_offset(topic, p as i32, Offset::Beginning).unwrap();
    }
    consumer.assign(&list).expect("assign");
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: kafka-tool BROKERS create|produce|count|count-batch TOPIC [PARTITIONS] [FILE]");
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
                let mut record =
                    BaseRecord::<[u8], [u8]>::to(topic).payload(line.as_bytes()).partition(i as i32 % partitions);
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
            let (consumer, partitions) = counting_consumer(&mut client, topic, &[]);
            assign_from_start(&consumer, topic, partitions);
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
        "count-batch" => {
            // The runtime's prefetch for 4 partitions: 4 MB and 20,000 messages over them (its consumer_config).
            let settings = [
                ("queued.max.messages.kbytes", "1024"),
                ("queued.min.messages", "5000"),
                ("fetch.max.bytes", "2097152"),
            ];
            let (consumer, partitions) = counting_consumer(&mut client, topic, &settings);
            let name = std::ffi::CString::new(topic.as_str()).unwrap();
            let queues: Vec<*mut rdkafka::bindings::rd_kafka_queue_t> = (0..partitions)
                .map(|p| unsafe {
                    let q = rdkafka::bindings::rd_kafka_queue_get_partition(
                        rdkafka::client::Client::native_ptr(consumer.client()),
                        name.as_ptr(),
                        p as i32,
                    );
                    rdkafka::bindings::rd_kafka_queue_forward(q, std::ptr::null_mut());
                    q
                })
                .collect();
            // Split before assigning, as the runtime does, so that no message lands on the shared queue.
            assign_from_start(&consumer, topic, partitions);
            let started = Instant::now();
            let (mut count, mut bytes) = (0u64, 0u64);
            let mut done = vec![false; partitions];
            let mut batch: Vec<*mut rdkafka::bindings::rd_kafka_message_t> = vec![std::ptr::null_mut(); 512];
            while done.iter().any(|d| !d) {
                let mut got = 0;
                for (p, q) in queues.iter().enumerate() {
                    if done[p] {
                        continue;
                    }
                    let n = unsafe {
                        rdkafka::bindings::rd_kafka_consume_batch_queue(*q, 0, batch.as_mut_ptr(), batch.len())
                    };
                    for m in batch.iter().take(n.max(0) as usize) {
                        unsafe {
                            if (**m).err == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR__PARTITION_EOF {
                                done[p] = true;
                            } else if (**m).err == rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR {
                                count += 1;
                                bytes += (**m).len as u64;
                            }
                            rdkafka::bindings::rd_kafka_message_destroy(*m);
                        }
                    }
                    got += n.max(0);
                }
                consumer.poll(Duration::ZERO);
                if got == 0 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            for q in queues {
                unsafe { rdkafka::bindings::rd_kafka_queue_destroy(q) };
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
