//! A consumer whose partitions are each read from their own librdkafka queue,
//! in batches.
//!
//! Why not `BaseConsumer::poll`: it returns one message per call, and each call
//! takes the queue's lock, reads the clock and allocates the message's event
//! handle. Measured on 3M records from nisshi, counting them that way costs
//! 2.4 CPU-s; reading each partition's queue in batches of 512 costs 0.7
//! (docs/benchmarks.md). Separate queues also let the run loop choose which
//! partition to read next (one batch from each in turn, none from a partition
//! held back by watermark alignment) instead of taking whichever partition the
//! last fetch response happened to carry.
//!
//! rdkafka's safe `PartitionQueue` polls one message at a time, so this module
//! calls librdkafka's batch API itself; the unsafe code is confined here (the
//! workspace denies `unsafe` everywhere else). `SplitConsumer` owns the
//! consumer together with its queues and polled messages, so that they cannot
//! outlive it: its fields drop in order, queues and messages first.
#![allow(unsafe_code, reason = "librdkafka's batch API has no safe binding in rdkafka")]

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::types::RDKafkaRespErr;
use std::ffi::{c_void, CString};
use std::ptr::NonNull;
use std::thread::Thread;

/// A consumer of one topic, each partition of which has its own queue.
pub struct SplitConsumer<C: ConsumerContext + 'static> {
    // Drop order: queues and messages before the consumer whose handle they use.
    queues: Vec<PartitionQueue>,
    batch: Batch,
    consumer: BaseConsumer<C>,
    topic: CString,
}

impl<C: ConsumerContext + 'static> SplitConsumer<C> {
    /// Takes partitions `0..partitions` of `topic` off the consumer's shared queue,
    /// each once. Call it before `assign`: a queue the application has forwarded
    /// stays as it is when the partition starts fetching (librdkafka's
    /// `RD_KAFKA_Q_F_FWD_APP`), so no message of these partitions ever reaches the
    /// shared queue. Whenever a partition's queue gets a message, `waker` is
    /// unparked. A batch holds at most `batch` messages.
    pub fn new(
        consumer: BaseConsumer<C>,
        topic: &str,
        partitions: usize,
        batch: usize,
        waker: Thread,
    ) -> Result<Self, String> {
        let name = CString::new(topic).map_err(|_| format!("topic `{topic}` has a NUL byte in its name"))?;
        let mut split =
            SplitConsumer { queues: Vec::with_capacity(partitions), batch: Batch::new(batch), consumer, topic: name };
        for partition in 0..partitions as i32 {
            let queue = PartitionQueue::split(&split.consumer, topic, partition, waker.clone())
                .ok_or_else(|| format!("cannot read partition {partition} of `{topic}` on its own"))?;
            split.queues.push(queue);
        }
        Ok(split)
    }

    pub fn consumer(&self) -> &BaseConsumer<C> {
        &self.consumer
    }

    /// The partition's end (high watermark) as the last fetch response for it
    /// reported it, once one has come: not ListOffsets, which nisshi 0.7.0 gets wrong.
    pub fn fetched_end(&self, partition: i32) -> Option<i64> {
        let (mut low, mut high) = (-1i64, -1i64);
        // SAFETY: the handle is valid while `self.consumer` lives, the topic is a
        // NUL-terminated string, and librdkafka writes the two offsets only.
        let error = unsafe {
            rd::rd_kafka_get_watermark_offsets(
                self.consumer.client().native_ptr(),
                self.topic.as_ptr(),
                partition,
                &mut low,
                &mut high,
            )
        };
        (error == RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0).then_some(high)
    }

    /// Moves up to a batch of `partition`'s waiting messages (and events: its end,
    /// errors) into the batch, without waiting, and returns how many; the batch's
    /// previous messages are given back to librdkafka first. Read them with `get`.
    pub fn poll(&mut self, partition: usize) -> usize {
        match self.queues.get(partition) {
            Some(queue) => queue.poll(&mut self.batch),
            None => 0,
        }
    }

    /// The `index`th entry of the last batch polled.
    pub fn get(&self, index: usize) -> Option<Polled<'_>> {
        self.batch.get(index)
    }

    /// Gives the last batch's messages back to librdkafka.
    pub fn release(&mut self) {
        self.batch.clear();
    }
}

/// One entry of a batch.
pub enum Polled<'a> {
    Message {
        partition: i32,
        offset: i64,
        payload: &'a [u8],
    },
    /// The partition's end (`enable.partition.eof`): every record up to the
    /// fetch's high watermark has been delivered.
    End {
        partition: i32,
    },
    Error(String),
}

/// One partition's queue, taken off the consumer's shared queue.
struct PartitionQueue {
    queue: NonNull<rd::rd_kafka_queue_t>,
    /// The thread to wake when the queue gets a message (the run loop's), boxed
    /// so librdkafka can hold a pointer to it; freed after the callback is off.
    waker: Option<Box<Thread>>,
}

impl PartitionQueue {
    fn split<C: ConsumerContext>(
        consumer: &BaseConsumer<C>,
        topic: &str,
        partition: i32,
        waker: Thread,
    ) -> Option<Self> {
        let name = CString::new(topic).ok()?;
        // SAFETY: the consumer's handle is valid while `consumer` lives (and
        // `SplitConsumer` drops this queue first); the queue returned holds a
        // reference of its own, released in Drop.
        let queue = unsafe {
            let client = consumer.client().native_ptr();
            NonNull::new(rd::rd_kafka_queue_get_partition(client, name.as_ptr(), partition))?
        };
        let waker = Box::new(waker);
        // SAFETY: `queue` is valid; the callback's opaque pointer is the boxed waker,
        // which lives until Drop has turned the callback off. Each partition is split
        // once (`SplitConsumer::new`), so no other callback is replaced.
        unsafe {
            rd::rd_kafka_queue_forward(queue.as_ptr(), std::ptr::null_mut());
            let opaque = &*waker as *const Thread as *mut c_void;
            rd::rd_kafka_queue_cb_event_enable(queue.as_ptr(), Some(wake), opaque);
        }
        Some(PartitionQueue { queue, waker: Some(waker) })
    }

    fn poll(&self, batch: &mut Batch) -> usize {
        batch.clear();
        // SAFETY: `messages` has room for `len()` pointers; librdkafka writes at
        // most that many and returns how many (or -1 on error).
        let n = unsafe {
            rd::rd_kafka_consume_batch_queue(self.queue.as_ptr(), 0, batch.messages.as_mut_ptr(), batch.messages.len())
        };
        batch.len = n.clamp(0, batch.messages.len() as isize) as usize;
        batch.len
    }
}

impl Drop for PartitionQueue {
    fn drop(&mut self) {
        // SAFETY: turning the callback off takes the queue's lock, which librdkafka
        // holds while it calls the callback: none runs after this returns, so the
        // opaque pointer can be freed. The reference taken in `split` is released once.
        unsafe {
            rd::rd_kafka_queue_cb_event_enable(self.queue.as_ptr(), None, std::ptr::null_mut());
            rd::rd_kafka_queue_destroy(self.queue.as_ptr());
        }
        self.waker.take();
    }
}

/// Called by librdkafka (on its own threads, with the queue's lock held) when a
/// message is put on an empty queue.
unsafe extern "C" fn wake(_client: *mut rd::rd_kafka_t, opaque: *mut c_void) {
    // SAFETY: `opaque` is the boxed `Thread` of a live `PartitionQueue` (see `split`).
    let thread = unsafe { &*(opaque as *const Thread) };
    // Cheap when the thread is not parked: an atomic swap, no system call.
    thread.unpark();
}

/// Messages polled from a partition queue, owned until `clear` (or drop)
/// gives them back to librdkafka.
struct Batch {
    messages: Vec<*mut rd::rd_kafka_message_t>,
    len: usize,
}

impl Batch {
    fn new(capacity: usize) -> Self {
        Batch { messages: vec![std::ptr::null_mut(); capacity.max(1)], len: 0 }
    }

    fn get(&self, index: usize) -> Option<Polled<'_>> {
        let message = *self.messages[..self.len].get(index)?;
        // SAFETY: the first `len` pointers are messages librdkafka handed over and
        // that are not yet destroyed; they stay valid while `self` is borrowed
        // (destroying them takes `&mut self`).
        let m = unsafe { &*message };
        Some(match m.err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NO_ERROR => {
                let payload = if m.payload.is_null() {
                    &[][..]
                } else {
                    // SAFETY: librdkafka's payload pointer and length describe one allocation.
                    unsafe { std::slice::from_raw_parts(m.payload as *const u8, m.len) }
                };
                Polled::Message { partition: m.partition, offset: m.offset, payload }
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__PARTITION_EOF => Polled::End { partition: m.partition },
            code => {
                // SAFETY: rd_kafka_err2str returns a static string.
                let text = unsafe { std::ffi::CStr::from_ptr(rd::rd_kafka_err2str(code)) };
                Polled::Error(text.to_string_lossy().into_owned())
            }
        })
    }

    fn clear(&mut self) {
        for message in &self.messages[..self.len] {
            // SAFETY: each of the first `len` pointers is destroyed exactly once.
            unsafe { rd::rd_kafka_message_destroy(*message) };
        }
        self.len = 0;
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        self.clear();
    }
}
