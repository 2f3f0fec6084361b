//! PostgreSQL sinks: rows are buffered and written with `COPY ... FROM STDIN
//! (FORMAT csv)` (upserts through a temporary staging table and `INSERT ...
//! ON CONFLICT`), inside one database transaction per checkpoint epoch. In a
//! Kafka run the epoch's source offsets are written to `sluice_offsets` in
//! the same transaction, which makes the commit atomic: rows and offsets are
//! there together or not at all (docs/delivery.md). A run on files commits
//! once, at its end.
//!
//! Record types map to SQL types as `int` → bigint, `float` → double
//! precision, `bool` → boolean, `string` → text, `timestamp` → timestamptz,
//! `duration` → bigint (milliseconds), lists and records → jsonb.

use crate::checkpoint::PartitionOffset;
use crate::fault::Error;
use crate::schema::{cell_json, cells, Cell, Column, ColumnType};
use postgres::{Client, NoTls};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The database connections of a run, one per distinct URL, shared by its sinks.
#[derive(Default)]
pub struct PgRegistry {
    connections: Mutex<Vec<Arc<PgConnection>>>,
}

pub struct PgConnection {
    url: String,
    /// The URL without its password, for messages.
    shown: String,
    client: Mutex<Session>,
}

struct Session {
    client: Client,
    in_transaction: bool,
}

/// A database error that may pass (the connection dropped, the server restarts)
/// makes a Kafka run start again from its checkpoint instead of stopping.
fn is_transient(error: &postgres::Error) -> bool {
    match error.as_db_error() {
        // Client side: a closed connection or an I/O error may pass; a conversion error will not.
        None => {
            error.is_closed()
                || std::error::Error::source(error).is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some())
        }
        Some(db) => {
            let code = db.code().code();
            // Connection, shutdown, serialization, deadlock, idle-in-transaction timeout, cancel.
            code.starts_with("08") || code.starts_with("57P") || matches!(code, "40001" | "40P01" | "25P03" | "57014")
        }
    }
}

fn failure(what: &str, error: &postgres::Error) -> Error {
    if is_transient(error) {
        crate::kafka::output::mark_send_failure();
    }
    Error::Fatal(format!("{what}: {}", describe(error)))
}

/// The server's message with its detail and hint, when it sent them.
fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(detail) = db.detail() {
                text.push_str(&format!(" ({detail})"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(s) = source {
                text.push_str(&format!(": {s}"));
                source = s.source();
            }
            text
        }
    }
}

impl PgRegistry {
    /// The connection to `url`, opened on first use (10 s connect timeout).
    pub fn connect(&self, url: &str) -> Result<Arc<PgConnection>, String> {
        let mut connections = self.connections.lock().map_err(|_| "internal error: a poisoned lock".to_string())?;
        if let Some(c) = connections.iter().find(|c| c.url == url) {
            return Ok(Arc::clone(c));
        }
        // The parser's message could quote the URL, password included: not shown.
        let mut config: postgres::Config = url.parse().map_err(|_| {
            "the PostgreSQL url is not valid (expected postgres://user:password@host:port/database, or key=value pairs)"
                .to_string()
        })?;
        let shown = show(&config);
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        // A connection that silently went away (a half-open socket) fails in about 30 s
        // instead of hanging the run loop.
        config.keepalives(true).keepalives_idle(Duration::from_secs(15));
        config.keepalives_interval(Duration::from_secs(5)).keepalives_retries(3);
        config.application_name("sluice");
        let client =
            config.connect(NoTls).map_err(|e| format!("cannot connect to PostgreSQL at {shown}: {}", describe(&e)))?;
        let connection = Arc::new(PgConnection {
            url: url.to_string(),
            shown,
            client: Mutex::new(Session { client, in_transaction: false }),
        });
        connections.push(Arc::clone(&connection));
        Ok(connection)
    }

    pub fn connections(&self) -> Vec<Arc<PgConnection>> {
        self.connections.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Commits every connection's open transaction (the end of a run on files).
    pub fn commit_all(&self) -> Result<(), String> {
        for connection in self.connections() {
            connection.commit(None).map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// `postgres://user@host:port/db`, never the password.
fn show(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().map(|u| format!("{u}@")).unwrap_or_default();
    let db = config.get_dbname().map(|d| format!("/{d}")).unwrap_or_default();
    // An unescaped `@` in a password ends it early and leaves the rest in the host.
    let host = if host.contains('@') { "***".to_string() } else { host };
    let shown = format!("postgres://{user}{host}:{port}{db}");
    // A password with an unescaped `@` or `/` parses partly into the host: never show any of it.
    match config.get_password().map(String::from_utf8_lossy) {
        Some(password) if !password.is_empty() => {
            let mut safe = shown.replace(password.as_ref(), "***");
            for piece in password.split(['@', '/', ':']).filter(|p| p.len() >= 3) {
                safe = safe.replace(piece, "***");
            }
            safe
        }
        _ => shown,
    }
}

/// One committed epoch as the database holds it.
pub struct CommittedEpoch {
    pub epoch: u64,
    pub lineage: String,
    pub offsets: Vec<PartitionOffset>,
}

const OFFSETS_TABLE: &str = "CREATE TABLE IF NOT EXISTS sluice_offsets (
    pipeline text NOT NULL,
    topic text NOT NULL,
    partition integer NOT NULL,
    next_offset bigint NOT NULL,
    epoch bigint NOT NULL,
    lineage text NOT NULL,
    committed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pipeline, topic, partition))";

/// The row that holds a pipeline's committed epoch (its `next_offset` is the epoch).
const EPOCH_TOPIC: &str = "";
const EPOCH_PARTITION: i32 = -1;

impl PgConnection {
    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn session(&self) -> Result<MutexGuard<'_, Session>, Error> {
        self.client.lock().map_err(|_| Error::Fatal("internal error: a poisoned lock".into()))
    }

    /// Runs `f` inside the connection's open transaction (begun on first use);
    /// a failure is reported as `what`.
    fn in_transaction<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Client) -> Result<R, postgres::Error>,
    ) -> Result<R, Error> {
        let mut session = self.session()?;
        if !session.in_transaction {
            session.client.batch_execute("BEGIN").map_err(|e| failure(what, &e))?;
            session.in_transaction = true;
        }
        let result = f(&mut session.client);
        if result.is_err() {
            // The transaction is aborted; the next use begins a new one (after a restart from the checkpoint).
            let _ = session.client.batch_execute("ROLLBACK");
            session.in_transaction = false;
        }
        result.map_err(|e| failure(what, &e))
    }

    /// The epoch the pipeline `group` last committed here, with its offsets.
    /// (A failure that may pass is marked so: the run then starts again later.)
    pub fn committed(&self, group: &str) -> Result<Option<CommittedEpoch>, Error> {
        let what = format!("cannot read the committed offsets at {}", self.shown);
        let mut session = self.session()?;
        let exists: bool = session
            .client
            .query_one("SELECT to_regclass('sluice_offsets') IS NOT NULL", &[])
            .and_then(|row| row.try_get(0))
            .map_err(|e| failure(&what, &e))?;
        if !exists {
            return Ok(None);
        }
        let rows = session
            .client
            .query("SELECT topic, partition, next_offset, lineage FROM sluice_offsets WHERE pipeline = $1", &[&group])
            .map_err(|e| failure(&what, &e))?;
        let mut epoch = None;
        let mut lineage = String::new();
        let mut offsets = Vec::new();
        let bad = |e: postgres::Error| {
            Error::Fatal(format!("the table sluice_offsets at {} is not sluice's: {e}", self.shown))
        };
        for row in rows {
            let topic: String = row.try_get(0).map_err(bad)?;
            let partition: i32 = row.try_get(1).map_err(bad)?;
            let next_offset: i64 = row.try_get(2).map_err(bad)?;
            if topic == EPOCH_TOPIC && partition == EPOCH_PARTITION {
                epoch = Some(next_offset as u64);
                lineage = row.try_get(3).map_err(bad)?;
            } else {
                offsets.push(PartitionOffset { topic, partition, next_offset });
            }
        }
        Ok(epoch.map(|epoch| CommittedEpoch { epoch, lineage, offsets }))
    }

    /// Creates the offsets table when it is missing (before the run reads anything).
    pub fn prepare_offsets(&self) -> Result<(), Error> {
        let mut session = self.session()?;
        session
            .client
            .batch_execute(OFFSETS_TABLE)
            .map_err(|e| failure(&format!("cannot create the table sluice_offsets at {}", self.shown), &e))
    }

    /// Commits the open transaction; with `epoch`, the pipeline's offsets and epoch
    /// are written in it first, after checking no other instance committed past it.
    /// `Some(message)`: another instance did, and this transaction was rolled back.
    pub fn commit(&self, epoch: Option<(&str, u64, &str, &[PartitionOffset])>) -> Result<Option<String>, Error> {
        let Some((group, epoch, lineage, offsets)) = epoch else {
            let mut session = self.session()?;
            if session.in_transaction {
                session.in_transaction = false;
                session
                    .client
                    .batch_execute("COMMIT")
                    .map_err(|e| failure(&format!("cannot commit to {}", self.shown), &e))?;
            }
            return Ok(None);
        };
        let what = format!("cannot write the offsets to {}", self.shown);
        let fenced = self.in_transaction(&what, |client| {
                let previous = client.query_opt(
                    "SELECT next_offset FROM sluice_offsets WHERE pipeline = $1 AND topic = $2 AND partition = $3 FOR UPDATE",
                    &[&group, &EPOCH_TOPIC, &EPOCH_PARTITION],
                )?;
                match previous.map(|row| row.try_get::<_, i64>(0)).transpose()? {
                    Some(previous) if previous >= epoch as i64 => return Ok(Some(previous)),
                    Some(_) => {}
                    None => {
                        // The first commit: two instances starting at once must not both pass.
                        let claimed = client.execute(
                            "INSERT INTO sluice_offsets (pipeline, topic, partition, next_offset, epoch, lineage)
                             VALUES ($1, $2, $3, $4, $4, $5) ON CONFLICT DO NOTHING",
                            &[&group, &EPOCH_TOPIC, &EPOCH_PARTITION, &(epoch as i64), &lineage],
                        )?;
                        if claimed == 0 {
                            return Ok(Some(epoch as i64));
                        }
                    }
                }
                let mut topics: Vec<&str> = offsets.iter().map(|o| o.topic.as_str()).collect();
                let mut partitions: Vec<i32> = offsets.iter().map(|o| o.partition).collect();
                let mut next: Vec<i64> = offsets.iter().map(|o| o.next_offset).collect();
                topics.push(EPOCH_TOPIC);
                partitions.push(EPOCH_PARTITION);
                next.push(epoch as i64);
                client.execute(
                    "INSERT INTO sluice_offsets (pipeline, topic, partition, next_offset, epoch, lineage)
                     SELECT $1, t, p, o, $5, $6 FROM unnest($2::text[], $3::int[], $4::int8[]) AS x(t, p, o)
                     ON CONFLICT (pipeline, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset,
                       epoch = EXCLUDED.epoch, lineage = EXCLUDED.lineage, committed_at = now()",
                    &[&group, &topics, &partitions, &next, &(epoch as i64), &lineage],
                )?;
                Ok(None)
            })?;
        let mut session = self.session()?;
        if let Some(previous) = fenced {
            let _ = session.client.batch_execute("ROLLBACK");
            session.in_transaction = false;
            return Ok(Some(format!(
                "another instance of pipeline `{group}` committed epoch {previous} to {} while this one was at epoch {epoch}; this one stops",
                self.shown
            )));
        }
        session.in_transaction = false;
        session
            .client
            .batch_execute("COMMIT")
            .map(|()| None)
            .map_err(|e| failure(&format!("cannot commit to {}", self.shown), &e))
    }
}

/// A sink writing one table.
pub struct PgSink {
    name: &'static str,
    connection: Arc<PgConnection>,
    table: String,
    columns: &'static [Column],
    copy: String,
    /// Upsert: the staging table and the merge statement, and the buffered rows by key.
    upsert: Option<Upsert>,
    buffer: Vec<u8>,
    /// Buffered rows are copied into the open transaction past this many bytes (`--db-batch-size`).
    batch_bytes: usize,
}

struct Upsert {
    stage: String,
    merge: String,
    key_columns: Vec<usize>,
    /// Buffered rows in arrival order; a row replaced by a newer one of its key is None.
    rows: Vec<Option<Vec<u8>>>,
    by_key: HashMap<Vec<u8>, usize>,
    bytes: usize,
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The SQL type a column is created with.
fn sql_type(ty: &ColumnType) -> &'static str {
    match ty.required().0 {
        ColumnType::Int | ColumnType::Duration => "bigint",
        ColumnType::Float => "double precision",
        ColumnType::Bool => "boolean",
        ColumnType::String => "text",
        ColumnType::Timestamp => "timestamptz",
        ColumnType::List(_) | ColumnType::Record(_) | ColumnType::Optional(_) => "jsonb",
    }
}

/// Whether a column of PostgreSQL type `typname` can hold the field.
fn compatible(ty: &ColumnType, typname: &str) -> bool {
    let accepted: &[&str] = match ty.required().0 {
        // No narrower types: a value that overflows one would stop the run for good.
        ColumnType::Int => &["int8", "numeric"],
        ColumnType::Duration => &["int8", "numeric"],
        ColumnType::Float => &["float8", "numeric"],
        ColumnType::Bool => &["bool"],
        ColumnType::String => &["text", "varchar", "bpchar", "name", "citext"],
        ColumnType::Timestamp => &["timestamptz", "timestamp"],
        ColumnType::List(_) | ColumnType::Record(_) | ColumnType::Optional(_) => &["jsonb", "json"],
    };
    accepted.contains(&typname)
}

impl PgSink {
    /// Checks (or creates) the table before anything is read, so a bad configuration fails at start.
    pub fn open(
        name: &'static str,
        connection: Arc<PgConnection>,
        table: &str,
        columns: &'static [Column],
        upsert_key: Option<&'static [&'static str]>,
        create: bool,
    ) -> Result<PgSink, String> {
        if upsert_key.is_some() && columns.iter().any(|c| c.name == "sluice_seq") {
            return Err(format!(
                "sink `{name}`: `mode: upsert` numbers staged rows in a column `sluice_seq`; rename the field with `select`"
            ));
        }
        if table.is_empty() || !table.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"') {
            return Err(format!(
                "sink `{name}`: `{table}` is not a table name (letters, digits, `_`, a `schema.` prefix)"
            ));
        }
        let shown = connection.shown().to_string();
        let fail = |e: postgres::Error| {
            if is_transient(&e) {
                crate::kafka::output::mark_send_failure();
            }
            format!("sink `{name}`: table `{table}` at {shown}: {}", describe(&e))
        };
        let mut session = connection.session().map_err(|e| e.to_string())?;
        let client = &mut session.client;
        let exists: bool = client.query_one("SELECT to_regclass($1) IS NOT NULL", &[&table]).map_err(fail)?.get(0);
        if !exists {
            let definition: Vec<String> = columns
                .iter()
                .map(|c| {
                    let not_null = if c.ty.required().1 { "" } else { " NOT NULL" };
                    format!("{} {}{not_null}", quote_ident(c.name), sql_type(&c.ty))
                })
                .chain(upsert_key.map(|keys| {
                    format!("PRIMARY KEY ({})", keys.iter().map(|k| quote_ident(k)).collect::<Vec<_>>().join(", "))
                }))
                .collect();
            let ddl = format!("CREATE TABLE IF NOT EXISTS {table} ({})", definition.join(", "));
            if !create {
                return Err(format!(
                    "sink `{name}`: table `{table}` does not exist at {shown}; create it, or add `create: true` to the sink to have it created as:\n    {ddl}"
                ));
            }
            client.batch_execute(&ddl).map_err(fail)?;
            tracing::info!(sink = name, table, "created the table");
        }
        // Every field needs a column that can hold it; other columns need a default.
        let rows = client
            .query(
                "SELECT a.attname::text, t.typname::text, a.attnotnull, a.atthasdef OR a.attidentity <> ''
                 FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                 WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped",
                &[&table],
            )
            .map_err(fail)?;
        let table_columns: Vec<(String, String, bool, bool)> =
            rows.iter().map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))).collect();
        let mut problems = Vec::new();
        for column in columns {
            match table_columns.iter().find(|(n, ..)| n == column.name) {
                None => problems.push(format!(
                    "it has no column `{}` for the field `{}: {}` (add it: ALTER TABLE {table} ADD COLUMN {} {})",
                    column.name,
                    column.name,
                    column.ty,
                    quote_ident(column.name),
                    sql_type(&column.ty)
                )),
                Some((_, typname, not_null, _)) => {
                    if !compatible(&column.ty, typname) {
                        problems.push(format!(
                            "column `{}` is `{typname}`, which cannot hold the field's `{}` (use {})",
                            column.name,
                            column.ty,
                            sql_type(&column.ty)
                        ));
                    } else if *not_null && column.ty.required().1 {
                        problems.push(format!(
                            "column `{}` is NOT NULL but the field is optional (`{}`); drop the constraint or give the field a value",
                            column.name, column.ty
                        ));
                    }
                }
            }
        }
        for (column, _, not_null, has_default) in &table_columns {
            if *not_null && !has_default && !columns.iter().any(|c| c.name == column) {
                problems
                    .push(format!("column `{column}` is NOT NULL without a default, and the record has no such field"));
            }
        }
        if let Some(keys) = upsert_key {
            let unique: Vec<Vec<String>> = client
                .query(
                    "SELECT array_agg(a.attname::text) FROM pg_index i
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                     WHERE i.indrelid = to_regclass($1) AND i.indisunique
                       AND i.indpred IS NULL AND i.indexprs IS NULL GROUP BY i.indexrelid",
                    &[&table],
                )
                .map_err(fail)?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let wanted: std::collections::BTreeSet<&str> = keys.iter().copied().collect();
            if !unique
                .iter()
                .any(|cols| cols.iter().map(String::as_str).collect::<std::collections::BTreeSet<_>>() == wanted)
            {
                let list = keys.iter().map(|k| quote_ident(k)).collect::<Vec<_>>().join(", ");
                problems.push(format!(
                    "`mode: upsert` needs a unique index on exactly the key ({}); add one: ALTER TABLE {table} ADD PRIMARY KEY ({list})",
                    keys.join(", ")
                ));
            }
        }
        if !problems.is_empty() {
            return Err(format!(
                "sink `{name}`: table `{table}` at {shown} does not fit the records:\n  - {}",
                problems.join("\n  - ")
            ));
        }
        let names = columns.iter().map(|c| quote_ident(c.name)).collect::<Vec<_>>().join(", ");
        let upsert = match upsert_key {
            Some(keys) => {
                let stage = quote_ident(&format!("sluice_stage_{name}"));
                client
                    .batch_execute(&format!(
                        // The record's columns only, without the table's constraints (an identity
                        // or NOT NULL column must not reject the staged rows).
                        // `sluice_seq` numbers the staged rows in arrival order.
                        "CREATE TEMP TABLE IF NOT EXISTS {stage} AS SELECT {names} FROM {table} WITH NO DATA;
                         ALTER TABLE {stage} ADD COLUMN IF NOT EXISTS sluice_seq bigserial"
                    ))
                    .map_err(fail)?;
                let updates: Vec<String> = columns
                    .iter()
                    .filter(|c| !keys.contains(&c.name))
                    .map(|c| format!("{0} = EXCLUDED.{0}", quote_ident(c.name)))
                    .collect();
                let action = if updates.is_empty() {
                    "DO NOTHING".to_string()
                } else {
                    format!("DO UPDATE SET {}", updates.join(", "))
                };
                let key_list = keys.iter().map(|k| quote_ident(k)).collect::<Vec<_>>().join(", ");
                Some(Upsert {
                    // The buffer keeps one row per key by its text; keys the database holds equal
                    // (citext, padded char, -0.0) are reduced to their last row here as well, or
                    // ON CONFLICT would refuse to update one row twice.
                    merge: format!(
                        "INSERT INTO {table} ({names}) SELECT DISTINCT ON ({key_list}) {names} FROM {stage}
                         ORDER BY {key_list}, sluice_seq DESC ON CONFLICT ({key_list}) {action}; TRUNCATE {stage}"
                    ),
                    key_columns: keys.iter().filter_map(|k| columns.iter().position(|c| c.name == *k)).collect(),
                    stage,
                    rows: Vec::new(),
                    by_key: HashMap::new(),
                    bytes: 0,
                })
            }
            None => None,
        };
        let target = upsert.as_ref().map_or(table.to_string(), |u| u.stage.clone());
        drop(session);
        Ok(PgSink {
            name,
            connection,
            table: table.to_string(),
            columns,
            copy: format!("COPY {target} ({names}) FROM STDIN WITH (FORMAT csv)"),
            upsert,
            buffer: Vec::with_capacity(1 << 16),
            batch_bytes: 4 << 20,
        })
    }

    pub fn set_batch_bytes(&mut self, bytes: usize) {
        self.batch_bytes = bytes.max(1);
    }

    /// Buffers one row (an upsert keeps only the last row of each key).
    pub fn write<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), Error> {
        let row = cells(record).map_err(|e| Error::Fatal(format!("sink `{}`: {e}", self.name)))?;
        // PostgreSQL text cannot hold NUL: the record is a bad record (`on_error`), not a stuck run.
        if row.iter().any(holds_nul) {
            return Err(Error::Fault(
                crate::fault::Fault::new(format!(
                    "sink `{}`: a text value holds a NUL character, which PostgreSQL cannot store",
                    self.name
                ))
                .at("to"),
            ));
        }
        match &mut self.upsert {
            None => {
                csv_row(self.columns, &row, &mut self.buffer);
                if self.buffer.len() >= self.batch_bytes {
                    self.flush()?;
                }
            }
            Some(upsert) => {
                let mut line = Vec::with_capacity(128);
                csv_row(self.columns, &row, &mut line);
                let mut key = Vec::new();
                for &i in &upsert.key_columns {
                    csv_cell(&self.columns[i].ty, &row[i], &mut key);
                    key.push(0);
                }
                upsert.bytes += line.len();
                // The newest row of a key moves to the end: staged order stays arrival order,
                // which the merge's `DISTINCT ON ... sluice_seq DESC` relies on.
                if let Some(slot) = upsert.by_key.insert(key, upsert.rows.len()) {
                    upsert.rows[slot] = None;
                }
                upsert.rows.push(Some(line));
                if upsert.bytes >= self.batch_bytes {
                    self.flush()?;
                }
            }
        }
        Ok(())
    }

    /// Copies the buffered rows into the open transaction.
    pub fn flush(&mut self) -> Result<(), Error> {
        if let Some(upsert) = &mut self.upsert {
            for row in upsert.rows.drain(..).flatten() {
                self.buffer.extend_from_slice(&row);
            }
            upsert.by_key.clear();
            upsert.bytes = 0;
        }
        if self.buffer.is_empty() {
            return Ok(());
        }
        let merge = self.upsert.as_ref().map(|u| u.merge.clone());
        let copy = &self.copy;
        let buffer = &self.buffer;
        let what = format!("sink `{}`: cannot write to table `{}`", self.name, self.table);
        self.connection.in_transaction(&what, |client| {
            use std::io::Write;
            let mut writer = client.copy_in(copy.as_str())?;
            // An I/O error here surfaces again, with the server's reason, from `finish`.
            let _ = writer.write_all(buffer);
            writer.finish()?;
            if let Some(merge) = &merge {
                client.batch_execute(merge)?;
            }
            Ok(())
        })?;
        self.buffer.clear();
        Ok(())
    }
}

fn holds_nul(cell: &Cell) -> bool {
    match cell {
        Cell::Str(s) => s.contains('\0'),
        Cell::List(cells) | Cell::Record(cells) => cells.iter().any(holds_nul),
        _ => false,
    }
}

/// One CSV line for COPY: null as an empty field, text quoted.
fn csv_row(columns: &[Column], row: &[Cell], out: &mut Vec<u8>) {
    for (i, (column, cell)) in columns.iter().zip(row).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        csv_cell(&column.ty, cell, out);
    }
    out.push(b'\n');
}

fn csv_quoted(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for byte in text.bytes() {
        if byte == b'"' {
            out.push(b'"');
        }
        out.push(byte);
    }
    out.push(b'"');
}

fn csv_cell(ty: &ColumnType, cell: &Cell, out: &mut Vec<u8>) {
    use std::io::Write;
    let (ty, _) = ty.required();
    match (ty, cell) {
        (_, Cell::Null) => {}
        (ColumnType::Timestamp, Cell::Int(ms)) => {
            let _ = write!(out, "{}", crate::time::Timestamp(*ms));
        }
        (ColumnType::List(_) | ColumnType::Record(_), cell) => csv_quoted(&cell_json(ty, cell).to_string(), out),
        (_, Cell::Int(v)) => {
            let _ = write!(out, "{v}");
        }
        (_, Cell::Float(v)) if v.is_nan() => out.extend_from_slice(b"NaN"),
        (_, Cell::Float(v)) if v.is_infinite() => {
            out.extend_from_slice(if *v > 0.0 { b"Infinity" } else { b"-Infinity" })
        }
        (_, Cell::Float(v)) => {
            let _ = write!(out, "{v:?}");
        }
        (_, Cell::Bool(v)) => out.push(if *v { b't' } else { b'f' }),
        (_, Cell::Str(s)) => csv_quoted(s, out),
        (_, other) => csv_quoted(&cell_json(ty, other).to_string(), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_round_trip_what_postgres_reads() {
        let mut out = Vec::new();
        static COLUMNS: [Column; 5] = [
            Column { name: "s", ty: ColumnType::String },
            Column { name: "n", ty: ColumnType::Optional(&ColumnType::Int) },
            Column { name: "t", ty: ColumnType::Timestamp },
            Column { name: "l", ty: ColumnType::List(&ColumnType::Timestamp) },
            Column { name: "f", ty: ColumnType::Float },
        ];
        csv_row(
            &COLUMNS,
            &[
                Cell::Str("a \"q\", b".into()),
                Cell::Null,
                Cell::Int(0),
                Cell::List(vec![Cell::Int(1000)]),
                Cell::Float(2.0),
            ],
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a \"\"q\"\", b\",,1970-01-01T00:00:00.000Z,\"[\"\"1970-01-01T00:00:01.000Z\"\"]\",2.0\n"
        );
    }
}
