//! A real PostgreSQL server for the tests: a new cluster per test, made and
//! started by `scripts/postgres.sh start` on a free loopback port, stopped and
//! removed when the test ends. Tables are read back with the `postgres`
//! client crate, as a user's tools would.

use crate::common::workspace_root;
use serde_json::Value;
use std::process::Command;

pub struct Postgres {
    dir: String,
    pub url: String,
}

impl Postgres {
    pub fn start() -> Postgres {
        // A port found free can be taken before the server binds it: then another is tried.
        let mut attempts = 0;
        let output = loop {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let output = Command::new(workspace_root().join("scripts/postgres.sh"))
                .args(["start", &port.to_string()])
                .output()
                .expect("run scripts/postgres.sh");
            attempts += 1;
            if output.status.success() || attempts == 3 {
                break output;
            }
        };
        assert!(
            output.status.success(),
            "PostgreSQL did not start (install it with `scripts/postgres.sh install`): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        let value = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("no `{key}` in {stdout}"))
                .to_string()
        };
        Postgres { dir: value("dir="), url: value("url=") }
    }

    /// Stops the server at once, as a crash would (its data stays).
    pub fn crash(&self) {
        self.script("crash");
    }

    /// Starts it again on the same port.
    pub fn restart(&self) {
        self.script("restart");
    }

    fn script(&self, command: &str) {
        let output = Command::new(workspace_root().join("scripts/postgres.sh"))
            .args([command, &self.dir])
            .output()
            .expect("run scripts/postgres.sh");
        assert!(output.status.success(), "postgres.sh {command}: {}", String::from_utf8_lossy(&output.stderr));
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect to the test database")
    }

    /// Every row of `query`, each as a JSON object of its columns read as text
    /// (`to_json` of the row: timestamps are rendered by the caller's query).
    pub fn rows(&self, query: &str) -> Vec<Value> {
        let mut client = self.client();
        client
            .query(&format!("SELECT to_json(q)::text FROM ({query}) q"), &[])
            .unwrap_or_else(|e| panic!("{query}: {e}"))
            .iter()
            .map(|row| serde_json::from_str(row.get::<_, &str>(0)).unwrap())
            .collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new(workspace_root().join("scripts/postgres.sh")).args(["stop", &self.dir]).output();
    }
}

/// A timestamp column as the JSON sinks write it (RFC 3339, UTC, milliseconds).
pub fn rfc3339(column: &str) -> String {
    format!("to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS {column}")
}
