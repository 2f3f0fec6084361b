//! Each input partition's own librdkafka queue, read in batches.
//!
//! Why not `BaseConsumer::poll`: it returns one message per call, and each call
//! takes the queue's lock, reads the clock and allocates the message's event
//! handle. Measured on 3M records from nisshi, counting them that way costs
//! 2.3 CPU-s; reading each partition's queue in batches of 512 costs 0.8
//! (docs/benchmarks.md). Separate queues also let the run loop choose which
//! partition to read next (one batch from each in turn, none from a partition
//! held back by watermark alignment) instead of taking whichever partition the
//! last fetch response happened to carry.
//!
//! rdkafka's safe `PartitionQueue` polls one message at a time, so this module
//! calls librdkafka's batch API itself; the unsafe code is confined here (the
//! workspace denies `unsafe` everywhere else).
#![allow(unsafe_code, reason = "librdkafka's batch API has no safe binding in rdkafka")]

use rdkafka::bindings as rd;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::types::RDKafkaRespErr;
use std::ffi::{c_void, CString};
use std::ptr::NonNull;
use std::thread::Thread;

/// One partition's queue, taken off the consumer's shared queue. It must be
/// dropped before its consumer: `TopicInput` declares it first.
pub struct PartitionQueue {
    queue: NonNull<rd::rd_kafka_queue_t>,
    /// The thread to wake when the queue gets a message (the run loop's), boxed
    /// so librdkafka can hold a pointer to it; freed after the callback is off.
    waker: Option<Box<Thread>>,
}

impl PartitionQueue {
    /// Takes `partition` of `topic` off the consumer's queue. Call it after
    /// `assign` (which puts every partition back on the consumer's queue); the
    /// messages fetched before it are still on the consumer's queue, so poll that
    /// first. Whenever this queue gets a message, `waker` is unparked.
    pub fn split<C: ConsumerContext>(
        consumer: &BaseConsumer<C>,
        topic: &str,
        partition: i32,
        waker: Thread,
    ) -> Option<Self> {
        let name = CString::new(topic).ok()?;
        // SAFETY: the consumer's handle is valid while `consumer` lives; the queue
        // returned holds a reference of its own and is destroyed in Drop.
        let queue = unsafe {
            let client = consumer.client().native_ptr();
            NonNull::new(rd::rd_kafka_queue_get_partition(client, name.as_ptr(), partition))?
        };
        let waker = Box::new(waker);
        // SAFETY: `queue` is valid; the callback's opaque pointer is the boxed waker,
        // which lives until Drop has turned the callback off.
        unsafe {
            rd::rd_kafka_queue_forward(queue.as_ptr(), std::ptr::null_mut());
            let opaque = &*waker as *const Thread as *mut c_void;
            rd::rd_kafka_queue_cb_event_enable(queue.as_ptr(), Some(wake), opaque);
        }
        Some(PartitionQueue { queue, waker: Some(waker) })
    }

    /// Moves up to the batch's capacity of waiting messages (and events: the end
    /// of the partition, errors) into `batch`, without waiting; what `batch` held
    /// before is given back to librdkafka first.
    pub fn poll(&self, batch: &mut Batch) -> usize {
        batch.clear();
        // SAFETY: `messages` has room for `capacity` pointers; librdkafka writes at
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
        // SAFETY: the callback is turned off before its opaque pointer is freed, and
        // the queue reference taken in `split` is released once.
        unsafe {
            rd::rd_kafka_queue_cb_event_enable(self.queue.as_ptr(), None, std::ptr::null_mut());
            rd::rd_kafka_queue_destroy(self.queue.as_ptr());
        }
        self.waker.take();
    }
}

/// Called by librdkafka (on its own threads) when a message is put on the queue.
unsafe extern "C" fn wake(_client: *mut rd::rd_kafka_t, opaque: *mut c_void) {
    // SAFETY: `opaque` is the boxed `Thread` of a live `PartitionQueue` (see `split`).
    let thread = unsafe { &*(opaque as *const Thread) };
    // Cheap when the thread is not parked: an atomic swap, no system call.
    thread.unpark();
}

/// Messages polled from a partition queue, owned until `clear` (or drop)
/// gives them back to librdkafka. Like a `PartitionQueue`, it must be dropped
/// before its consumer.
pub struct Batch {
    messages: Vec<*mut rd::rd_kafka_message_t>,
    len: usize,
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

impl Batch {
    pub fn new(capacity: usize) -> Self {
        Batch { messages: vec![std::ptr::null_mut(); capacity.max(1)], len: 0 }
    }

    pub fn get(&self, index: usize) -> Option<Polled<'_>> {
        let message = *self.messages[..self.len].get(index)?;
        // SAFETY: the first `len` pointers are messages librdkafka handed over and
        // that are not yet destroyed; they stay valid while `self` is borrowed.
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

    /// Gives the messages back to librdkafka.
    pub fn clear(&mut self) {
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
