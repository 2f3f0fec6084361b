//! Soundness: a generator of random well-typed programs. Every generated
//! program must pass `sluice check`, and the Rust generated for all of them,
//! compiled together in one batch crate by rustc, must compile: 100%.

use crate::common::{render_plain, workspace_root};
use sluice_compiler::codegen::{generate, CodegenOptions};
use sluice_compiler::{CheckOptions, SourceFile};

#[derive(Clone, Debug, PartialEq)]
enum Ty {
    Int,
    Float,
    Bool,
    Str,
    Ts,
    Dur,
    Opt(Box<Ty>),
    List(Box<Ty>),
}

impl Ty {
    fn text(&self) -> String {
        match self {
            Ty::Int => "int".into(),
            Ty::Float => "float".into(),
            Ty::Bool => "bool".into(),
            Ty::Str => "string".into(),
            Ty::Ts => "timestamp".into(),
            Ty::Dur => "duration".into(),
            Ty::Opt(t) => format!("{}?", t.text()),
            Ty::List(t) => format!("[{}]", t.text()),
        }
    }
}

/// SplitMix64: small, deterministic, good enough to pick program shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_range<T: FromRange>(&mut self, range: std::ops::Range<T>) -> T {
        T::pick(self.next(), range)
    }
}

trait FromRange: Sized {
    fn pick(bits: u64, range: std::ops::Range<Self>) -> Self;
}

impl FromRange for usize {
    fn pick(bits: u64, range: std::ops::Range<Self>) -> Self {
        range.start + (bits % (range.end - range.start) as u64) as usize
    }
}

impl FromRange for i32 {
    fn pick(bits: u64, range: std::ops::Range<Self>) -> Self {
        range.start + (bits % (range.end - range.start) as u64) as i32
    }
}

impl FromRange for u32 {
    fn pick(bits: u64, range: std::ops::Range<Self>) -> Self {
        range.start + (bits % u64::from(range.end - range.start)) as u32
    }
}

impl FromRange for i64 {
    fn pick(bits: u64, range: std::ops::Range<Self>) -> Self {
        range.start + (bits % (range.end - range.start) as u64) as i64
    }
}

struct Gen<'r> {
    rng: &'r mut Rng,
    fields: Vec<(String, Ty)>,
    counter: usize,
}

const SCALARS: &[Ty] = &[Ty::Int, Ty::Float, Ty::Bool, Ty::Str, Ty::Ts, Ty::Dur];

impl Gen<'_> {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.random_range(0..items.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.random_range(0..100) < percent
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    fn field_of(&mut self, ty: &Ty) -> Option<String> {
        let matching: Vec<String> = self.fields.iter().filter(|(_, t)| t == ty).map(|(n, _)| n.clone()).collect();
        if matching.is_empty() {
            None
        } else {
            Some(self.pick(&matching).clone())
        }
    }

    /// An expression of exactly `ty`.
    fn expr(&mut self, ty: &Ty, depth: u32) -> String {
        if depth == 0 || self.chance(30) {
            if let Some(field) = self.field_of(ty) {
                return field;
            }
            return self.leaf(ty);
        }
        let d = depth - 1;
        match ty {
            Ty::Int => match self.rng.random_range(0..9) {
                0 => format!("({} + {})", self.expr(&Ty::Int, d), self.expr(&Ty::Int, d)),
                1 => format!("({} * {})", self.expr(&Ty::Int, d), self.expr(&Ty::Int, d)),
                2 => format!("({} / {})", self.expr(&Ty::Int, d), self.expr(&Ty::Int, d)),
                3 => format!("len({})", self.expr(&Ty::Str, d)),
                4 => format!("abs({})", self.expr(&Ty::Int, d)),
                5 => format!("int({})", self.expr(&Ty::Float, d)),
                6 => format!("millis({})", self.expr(&Ty::Ts, d)),
                7 => format!("({} ?? {})", self.expr(&Ty::Opt(Box::new(Ty::Int)), d), self.expr(&Ty::Int, d)),
                _ => format!(
                    "(if {} then {} else {})",
                    self.expr(&Ty::Bool, d),
                    self.expr(&Ty::Int, d),
                    self.expr(&Ty::Int, d)
                ),
            },
            Ty::Float => match self.rng.random_range(0..7) {
                0 => format!("({} + {})", self.expr(&Ty::Float, d), self.expr(&Ty::Int, d)),
                1 => format!("({} * 1.5)", self.expr(&Ty::Float, d)),
                2 => format!("float({})", self.expr(&Ty::Int, d)),
                3 => format!("round({}, 2)", self.expr(&Ty::Float, d)),
                4 => format!("floor({})", self.expr(&Ty::Float, d)),
                5 => format!("({} / 4.0)", self.expr(&Ty::Int, d)),
                _ => format!("max({}, {})", self.expr(&Ty::Float, d), self.expr(&Ty::Int, d)),
            },
            Ty::Bool => match self.rng.random_range(0..9) {
                0 => format!("({} > {})", self.expr(&Ty::Int, d), self.expr(&Ty::Float, d)),
                1 => format!("({} == {})", self.expr(&Ty::Str, d), self.expr(&Ty::Str, d)),
                2 => format!("({} && {})", self.expr(&Ty::Bool, d), self.expr(&Ty::Bool, d)),
                3 => format!("!{}", self.expr(&Ty::Bool, d)),
                4 => format!("starts_with({}, \"a\")", self.expr(&Ty::Str, d)),
                5 => format!("regex_match({}, \"^[a-z]+\\\\d*$\")", self.expr(&Ty::Str, d)),
                6 => format!("is_null({})", self.expr(&Ty::Opt(Box::new(Ty::Str)), d)),
                7 => format!("({} < {})", self.expr(&Ty::Ts, d), self.expr(&Ty::Ts, d)),
                _ => format!("({} >= {})", self.expr(&Ty::Dur, d), self.expr(&Ty::Dur, d)),
            },
            Ty::Str => match self.rng.random_range(0..8) {
                0 => format!("lower({})", self.expr(&Ty::Str, d)),
                1 => format!("({} + {})", self.expr(&Ty::Str, d), self.expr(&Ty::Str, d)),
                2 => format!("substr({}, 1, 3)", self.expr(&Ty::Str, d)),
                3 => format!("replace({}, \"a\", \"b\")", self.expr(&Ty::Str, d)),
                4 => format!("string({})", self.expr(&Ty::Int, d)),
                5 => format!("string({})", self.expr(&Ty::Ts, d)),
                6 => format!("concat({}, \"-\", {})", self.expr(&Ty::Str, d), self.expr(&Ty::Str, d)),
                _ => format!("({} ?? \"none\")", self.expr(&Ty::Opt(Box::new(Ty::Str)), d)),
            },
            Ty::Ts => match self.rng.random_range(0..4) {
                0 => format!("({} + 5m)", self.expr(&Ty::Ts, d)),
                1 => format!("date_trunc(\"hour\", {})", self.expr(&Ty::Ts, d)),
                2 => format!("to_timestamp({})", self.expr(&Ty::Int, d)),
                _ => format!("({} - {})", self.expr(&Ty::Ts, d), self.expr(&Ty::Dur, d)),
            },
            Ty::Dur => match self.rng.random_range(0..3) {
                0 => format!("({} - {})", self.expr(&Ty::Ts, d), self.expr(&Ty::Ts, d)),
                1 => format!("({} + 1s)", self.expr(&Ty::Dur, d)),
                _ => format!("({} * 2)", self.expr(&Ty::Dur, d)),
            },
            Ty::Opt(inner) => match (self.rng.random_range(0..5), &**inner) {
                (0, Ty::Int) => format!("parse_int({})", self.expr(&Ty::Str, d)),
                (0, Ty::Str) => format!("regex_extract({}, \"(\\\\w+)\")", self.expr(&Ty::Str, d)),
                (1, _) => format!("(if {} then {} else null)", self.expr(&Ty::Bool, d), self.expr(inner, d)),
                (2, Ty::Int) => format!("({} + {})", self.expr(ty, d), self.expr(&Ty::Int, d)),
                (2, Ty::Str) => format!("upper({})", self.expr(ty, d)),
                _ => self.expr(inner, d),
            },
            Ty::List(inner) => match self.rng.random_range(0..2) {
                0 if **inner == Ty::Str => format!("split({}, \",\")", self.expr(&Ty::Str, d)),
                _ => self.leaf(ty),
            },
        }
    }

    fn leaf(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int => self.rng.random_range(-5i64..100).to_string(),
            Ty::Float => format!("{}.5", self.rng.random_range(0..100)),
            Ty::Bool => self.pick(&["true", "false"]).to_string(),
            Ty::Str => self.pick(&["\"a\"", "\"tab\\there\"", "\"\\u{1F600}\"", "\"\""]).to_string(),
            Ty::Ts => "to_timestamp(0)".into(),
            Ty::Dur => self.pick(&["10s", "250ms", "1h"]).to_string(),
            Ty::Opt(inner) => {
                if self.chance(50) {
                    format!("(if false then {} else null)", self.leaf(inner))
                } else {
                    self.leaf(inner)
                }
            }
            Ty::List(inner) => match &**inner {
                Ty::Str => "split(\"a,b\", \",\")".into(),
                _ => self.field_of(ty).unwrap_or_else(|| "split(\"a,b\", \",\")".into()),
            },
        }
    }

    fn random_type(&mut self) -> Ty {
        let base = self.pick(SCALARS).clone();
        if self.chance(25) {
            Ty::Opt(Box::new(base))
        } else {
            base
        }
    }

    /// A whole program: a schema, a file source, a table, a chain of stages, a sink.
    fn program(&mut self) -> String {
        let mut schema = vec![
            ("k".to_string(), Ty::Str),
            ("ts".to_string(), Ty::Ts),
            ("tags".to_string(), Ty::List(Box::new(Ty::Str))),
        ];
        for _ in 0..self.rng.random_range(2..6) {
            let name = self.fresh("f");
            let ty = self.random_type();
            schema.push((name, ty));
        }
        self.fields = schema.clone();
        let mut stages = Vec::new();
        let mut time_kept = true;
        let mut grouped = false;
        for _ in 0..self.rng.random_range(1..6) {
            if grouped {
                break;
            }
            match self.rng.random_range(0..8) {
                0 | 1 => {
                    let cond = self.expr(&Ty::Bool, 3);
                    stages.push(format!("where {cond}"));
                }
                2 => {
                    let ty = self.random_type();
                    let value = self.expr(&ty, 3);
                    let name = self.fresh("x");
                    stages.push(format!("extend {{ {name}: {value} }}"));
                    self.fields.push((name, ty));
                }
                3 => {
                    // Keep `k` and `ts` (and so the event time), compute one more.
                    let ty = self.random_type();
                    let value = self.expr(&ty, 3);
                    let name = self.fresh("s");
                    let keep: Vec<(String, Ty)> = self
                        .fields
                        .iter()
                        .filter(|(n, _)| n == "k" || n == "ts" || self.rng_keep(n))
                        .cloned()
                        .collect();
                    let list = keep.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>().join(", ");
                    stages.push(format!("select {{ {list}, {name}: {value} }}"));
                    self.fields = keep;
                    self.fields.push((name, ty));
                }
                4 if time_kept => stages.push("dedupe by k within 1m".into()),
                5 if self.fields.iter().any(|(n, _)| n == "tags") => {
                    let name = self.fresh("tag");
                    stages.push(format!("explode tags as {name}"));
                    self.fields.retain(|(n, _)| n != "tags");
                    self.fields.push((name, Ty::Str));
                }
                6 => {
                    let left = self.chance(50);
                    stages.push(format!("{}join labels on k == labels.id", if left { "left " } else { "" }));
                    let label_ty = if left { Ty::Opt(Box::new(Ty::Str)) } else { Ty::Str };
                    self.fields.push(("id".into(), if left { Ty::Opt(Box::new(Ty::Str)) } else { Ty::Str }));
                    self.fields.push(("label".into(), label_ty));
                    if self.fields.iter().filter(|(n, _)| n == "id" || n == "label").count() > 2 {
                        // A second join would clash; drop it.
                        stages.pop();
                        self.fields.truncate(self.fields.len() - 2);
                    }
                }
                _ => {
                    let int_field = self.expr(&Ty::Int, 2);
                    let window = match self.rng.random_range(0..4) {
                        0 => "",
                        1 if time_kept => " window tumbling 1m watermark 5s late to late_out",
                        2 if time_kept => " window sliding 1m every 30s",
                        3 if time_kept => " window session 10m",
                        _ => " window tumbling 10s on processing_time",
                    };
                    let opt = self.expr(&Ty::Opt(Box::new(Ty::Float)), 2);
                    let string = self.expr(&Ty::Str, 2);
                    stages.push(format!(
                        "group by k{window} aggregate {{ n: count(), total: sum({int_field}), avg_v: avg({opt}), hi: max({string}), firsts: first({string}), all: collect({int_field}), users: count_distinct({string}) }}"
                    ));
                    grouped = true;
                }
            }
            time_kept = self.fields.iter().any(|(n, t)| n == "ts" && *t == Ty::Ts) && !grouped;
        }
        let schema_text = schema.iter().map(|(n, t)| format!("{n}: {}", t.text())).collect::<Vec<_>>().join(", ");
        let stages_text: String = stages.iter().map(|s| format!("\n  | {s}")).collect();
        let uses_late = stages_text.contains("late to late_out");
        let uses_labels = stages_text.contains("labels");
        format!(
            "schema Event {{ {schema_text} }}\n\
             source events: Event from file {{ path: \"events.jsonl\", event_time: ts }}\n\
             {}\
             sink out to stdout {{}}\n\
             {}\
             pipeline p {{\n  from events{stages_text}\n  | to out\n}}\n",
            if uses_labels {
                "source labels: { id: string, label: string } from file { path: \"labels.jsonl\", table: true }\n"
            } else {
                ""
            },
            if uses_late { "sink late_out to stdout {}\n" } else { "" },
        )
    }

    fn rng_keep(&self, _name: &str) -> bool {
        true
    }
}

#[test]
fn random_well_typed_programs_compile_as_rust() {
    const PROGRAMS: usize = 60;
    // A fixed seed keeps CI repeatable; set SLUICE_SOUNDNESS_SEED to explore others.
    let seed = std::env::var("SLUICE_SOUNDNESS_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let mut rng = Rng(seed);
    let mut modules = String::new();
    let mut failures = Vec::new();
    for i in 0..PROGRAMS {
        let mut gen = Gen { rng: &mut rng, fields: Vec::new(), counter: 0 };
        let text = gen.program();
        let file = SourceFile::new(format!("random{i}.pipe"), text.clone());
        match sluice_compiler::compile_to_plan(&file, &CheckOptions::default()) {
            Ok(checked) => {
                let code = generate(
                    &checked.plan,
                    &file,
                    &CodegenOptions { program_name: format!("random{i}"), embedded: i % 2 == 1 },
                )
                .unwrap_or_else(|e| panic!("program {i} generated unparsable code: {e}\n{text}"));
                modules.push_str(&format!(
                    "/* random{i}.pipe:\n{}*/\nmod random{i} {{\n{code}\n}}\n",
                    text.replace("*/", "* /")
                ));
            }
            Err(diagnostics) => failures.push(format!("program {i}:\n{text}\n{}", render_plain(&diagnostics, &file))),
        }
    }
    // The generator is type-directed: every program it writes must check.
    assert!(failures.is_empty(), "{} generated programs do not check:\n{}", failures.len(), failures.join("\n"));

    let dir = tempfile::tempdir().unwrap();
    let runtime = workspace_root().join("runtime");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!(
            "[package]\nname = \"soundness_batch\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[dependencies]\nsluice = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(workspace_root().join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), format!("{modules}\nfn main() {{}}\n")).unwrap();
    let target = std::env::var_os("SLUICE_TARGET_DIR").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("HOME")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(std::env::temp_dir)
            .join(".cache/sluice/target")
    });
    let output = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["check", "--quiet", "--message-format=short", "--manifest-path"])
        .arg(dir.path().join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        let kept = std::env::temp_dir().join("sluice-soundness-batch.rs");
        let _ = std::fs::copy(dir.path().join("src/main.rs"), &kept);
        panic!(
            "rustc rejected generated code (batch kept in {}):\n{}",
            kept.display(),
            stderr.lines().take(60).collect::<Vec<_>>().join("\n")
        );
    }
}
