//! The registry of diagnostic codes. A code is never reused for another meaning.
//!
//! Ranges: E01xx syntax, E02xx names, E03xx types, E04xx time (windows,
//! watermarks, lateness), E05xx sources, sinks and formats, E06xx `extern fn`,
//! W0xxx warnings, E09xx internal compiler errors.

macro_rules! codes {
    ($($code:ident = $num:literal, $title:literal, $explain:literal;)*) => {
        /// A diagnostic code such as `E0301`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u16)]
        pub enum Code { $($code = $num,)* }

        impl Code {
            /// Every code, in registry order.
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            /// The code as written in messages, e.g. `E0301`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code),)* }
            }

            /// A one-line title.
            pub fn title(self) -> &'static str {
                match self { $(Code::$code => $title,)* }
            }

            /// A longer explanation, shown by `sluice check --explain CODE`.
            pub fn explanation(self) -> &'static str {
                match self { $(Code::$code => $explain,)* }
            }

            pub fn parse(text: &str) -> Option<Code> {
                let text = text.trim().to_ascii_uppercase();
                Code::ALL.iter().copied().find(|code| code.as_str() == text)
            }
        }
    };
}

codes! {
    // --- E01xx: syntax -------------------------------------------------------
    E0101 = 101, "unexpected token",
        "The parser met a token that cannot appear at this point. The message lists what could appear instead.";
    E0102 = 102, "unterminated string literal",
        "A string literal was opened with `\"` but never closed on the same program. Close it with `\"`; write a quote inside a string as `\\\"`.";
    E0103 = 103, "invalid escape in string literal",
        "Strings support the escapes `\\n`, `\\t`, `\\r`, `\\\"`, `\\\\` and `\\u{HEX}` (a Unicode scalar value, 1 to 6 hex digits).";
    E0104 = 104, "number literal out of range",
        "Integer literals must fit in a signed 64-bit integer (`int`); float literals must be finite.";
    E0105 = 105, "program nested too deeply",
        "Brackets, `if` expressions, prefix operators or operator chains are nested beyond what the compiler accepts. Split the expression with `extend` stages.";
    E0106 = 106, "invalid duration literal",
        "A duration is an integer followed directly by one of the units `ms`, `s`, `m`, `h`, `d`, as in `250ms` or `10s`.";
    E0107 = 107, "keyword used as a name",
        "Keywords are reserved. To use one as a field name (a JSON key such as `timestamp` or `from`), quote it in backticks: `` `timestamp`: timestamp `` in the schema and `` `timestamp` `` in expressions.";
    E0108 = 108, "stage after `to`",
        "`to SINK` writes the records out and must be the last stage of a pipeline. To write a stream to two sinks, make a named stream (a pipeline without `to`) and read it from two pipelines.";
    E0109 = 109, "program too large",
        "A program may be at most 16 MiB.";

    // --- E02xx: names --------------------------------------------------------
    E0201 = 201, "unknown name",
        "An expression names something that is neither a field of the record flowing into the stage nor a `param`. Field names are case-sensitive.";
    E0202 = 202, "unknown type",
        "A type names neither a built-in type (`int float bool string timestamp duration`) nor a `schema`.";
    E0203 = 203, "unknown source or stream",
        "`from` must name a `source` or a pipeline without `to` (a named stream).";
    E0204 = 204, "unknown sink",
        "`to`, `late to` and `on_error` must name a `sink`.";
    E0205 = 205, "unknown function",
        "The call names neither a built-in function nor an `extern fn`.";
    E0206 = 206, "duplicate item name",
        "Schemas, params, sources, sinks, extern fns and pipelines share one namespace: each name may be declared once.";
    E0207 = 207, "duplicate field name",
        "A record type (schema, inline record, `select`, `extend`, `aggregate`, group keys) may not have two fields with the same name.";
    E0208 = 208, "cycle between pipelines",
        "Pipelines read each other in a cycle; a pipeline cannot (directly or indirectly) read its own output.";
    E0209 = 209, "`from` names a pipeline that writes to a sink",
        "Only a pipeline without `to` (a named stream) can be read by `from`. Remove the `to` stage and add a pipeline that reads the stream and writes to the sink.";
    E0210 = 210, "unknown field",
        "The record has no field of that name.";
    E0211 = 211, "join against something that is not a table",
        "`join` needs a source declared with `table: true` (a compacted topic or a file, holding the latest value per key).";
    E0212 = 212, "join output has a name clash",
        "A join's output is the stream's fields followed by the table's fields; the two may not share a field name. Rename one side with `select` first.";
    E0213 = 213, "invalid join condition",
        "A join condition is `EXPR == FIELD`: the left side is evaluated on the stream record, the right side names a field of the table (bare or as `TABLE.field`).";
    E0214 = 214, "recursive schema",
        "A schema contains itself (directly or through other schemas). Records are plain values (no references), so a recursive schema has no finite layout, even through an optional field. Use a list of ids, or break the cycle.";

    // --- E03xx: types --------------------------------------------------------
    E0301 = 301, "mismatched types",
        "The expression has a different type from the one required here. The only implicit conversion is int to float in arithmetic, comparisons and branches.";
    E0302 = 302, "invalid operand types",
        "The operator is not defined for these operand types. See the operator table in the language reference.";
    E0303 = 303, "condition is not a bool",
        "`where` and `if` conditions must be `bool` (or `bool?`, where null counts as false).";
    E0304 = 304, "wrong number of arguments",
        "The function was called with a different number of arguments from its signature.";
    E0305 = 305, "invalid argument type",
        "An argument's type does not match the function's signature.";
    E0306 = 306, "optional value where a value is required",
        "An optional (`T?`) value is used where a non-null value is required. Give a default with `??` or `coalesce`, or declare the parameter optional.";
    E0307 = 307, "comparison with `null`",
        "Any comparison with null is null (never true), so `x == null` cannot be what you meant. Use `is_null(x)` or `!is_null(x)`.";
    E0308 = 308, "type of `null` cannot be inferred",
        "A bare `null` has no type, so it cannot be a field's whole value or a key. Use a typed expression instead: a field, or `if CONDITION then VALUE else null`, whose type is that of VALUE made optional.";
    E0309 = 309, "union of different record types",
        "All names after `from` must produce the same record type (same field names and types, in the same order).";
    E0310 = 310, "field access or index on a value that has none",
        "`.field` needs a record and `[index]` needs a list.";
    E0311 = 311, "explode of a field that is not a list",
        "`explode` takes a field of list type `[T]` (or `[T]?`).";
    E0312 = 312, "sink receives records of different types",
        "Every writer to one sink (`to`, `late to`, `on_error`) must send the same record type, because the sink's format is fixed by it.";
    E0313 = 313, "aggregate function outside `aggregate`",
        "`count`, `sum`, `avg`, `count_distinct`, `first`, `last`, `collect`, and `min`/`max` with one argument aggregate many records; they may only appear inside `group by ... aggregate { ... }`.";
    E0314 = 314, "field outside an aggregate function",
        "Inside `aggregate { ... }` every field must be inside an aggregate function or be a group key, and aggregates cannot be nested.";
    E0315 = 315, "argument must be a literal",
        "Regex patterns, regex group numbers, `round` digits and `date_trunc` units are checked at compile time, so they must be literals.";
    E0316 = 316, "invalid regular expression",
        "The regex literal does not compile. Patterns use the syntax of the Rust `regex` crate (RE2-like: no look-around or backreferences).";
    E0317 = 317, "invalid param",
        "A param must have a scalar type (`int float bool string duration timestamp`) and its default must be a literal of that type.";
    E0318 = 318, "branches have different types",
        "Both branches of `if` (and both sides of `??`, and all arguments of `coalesce`) must have the same type; int and float unify to float.";
    E0319 = 319, "computed group key needs a name",
        "A group key that is not a plain field must be named: `group by country: geo.country`.";
    E0320 = 320, "invalid literal argument",
        "The literal argument is outside the values the function accepts (for example a `date_trunc` unit other than \"second\", \"minute\", \"hour\", \"day\").";
    E0321 = 321, "cannot compare or order this type",
        "Equality needs two values of the same scalar type; ordering needs numbers, strings, timestamps or durations.";

    // --- E04xx: time ---------------------------------------------------------
    E0401 = 401, "window on a field that is not a timestamp",
        "`on FIELD` must name a field of type `timestamp`.";
    E0402 = 402, "window on an optional field",
        "A window's (or dedupe's) time field must be non-optional: a record without a time has no window. Fill it first with another event-time value: `extend { ts: ts ?? received_at }` (a `where` does not change the field's type).";
    E0403 = 403, "no event time for this stage",
        "The stage needs an event time, but its input does not carry the source's `event_time` field unchanged. Add `on FIELD` (or `on processing_time` for windows), or declare `event_time:` on the source.";
    E0404 = 404, "invalid window or dedupe duration",
        "Window sizes, slides, session gaps and `within` must be positive; a sliding window's slide may not exceed its size.";
    E0405 = 405, "expected a duration",
        "Sizes, slides, gaps, watermarks and `within` take a duration literal such as `10s`, or a `duration` param.";
    E0406 = 406, "invalid `event_time` option",
        "A source's `event_time` must name a non-optional `timestamp` field of its record.";

    // --- E05xx: sources, sinks, formats --------------------------------------
    E0501 = 501, "unknown connector",
        "Sources read `from kafka` or `from file`; sinks write `to kafka`, `to file`, `to postgres` or `to stdout`.";
    E0502 = 502, "unknown option",
        "The connector has no option of that name. See the connector tables in the language reference.";
    E0503 = 503, "missing required option",
        "kafka sources need `topic` or `topics`; kafka sinks need `topic`; file connectors need `path`; postgres needs `url` and `table`.";
    E0504 = 504, "invalid option value",
        "The option's value has the wrong form or is not one of its allowed words.";
    E0505 = 505, "duplicate option",
        "An option may be given once per connector.";
    E0506 = 506, "format cannot hold the record",
        "CSV holds flat records only (no lists or nested records); `text` holds records of exactly `{ line: string }`.";
    E0507 = 507, "source type is not a record",
        "A source's type must be a schema or an inline record type.";
    E0508 = 508, "option names an unknown field",
        "`event_time`, `key` and postgres `key` must name fields of the record.";
    E0509 = 509, "conflicting options",
        "The options contradict each other (for example both `topic` and `topics`, or `mode: upsert` without `key`).";
    E0510 = 510, "topic read twice",
        "Two stream sources (or one source's `topics`) read the same Kafka topic. A run reads each topic once; read it with one source, and let several pipelines read that source (or a named stream). A table may read a topic that a stream also reads.";

    // --- E06xx: extern fn ----------------------------------------------------
    E0601 = 601, "extern fn without a Rust file",
        "In a `.pipe` file an `extern fn` must say where its Rust code is: `extern fn f(x: int) -> int from \"udf/f.rs\"`.";
    E0602 = 602, "extern fn file not found",
        "The Rust file named by `from` does not exist (paths are relative to the `.pipe` file).";
    E0603 = 603, "extern fn with a Rust file inside `stream!`",
        "Inside `sluice::stream!` an `extern fn` is a Rust function in scope where the macro is invoked; `from \"file.rs\"` is for `.pipe` files. Remove `from ...` and bring the function into scope (`use`).";

    // --- W0xxx: warnings -----------------------------------------------------
    W0001 = 1, "unused source",
        "The source is declared but no pipeline reads it and no `join` uses it.";
    W0002 = 2, "unused sink",
        "The sink is declared but nothing writes to it.";
    W0003 = 3, "unused param",
        "The param is declared but no expression uses it.";
    W0004 = 4, "windowed aggregate without `late to`",
        "Records that arrive after their window was emitted are counted and dropped. Add `late to SINK` to keep them.";
    W0005 = 5, "unused named stream",
        "A pipeline without `to` is a named stream, but no pipeline reads it, so its work is never done.";
    W0006 = 6, "unused extern fn",
        "The extern fn is declared but never called.";
    W0007 = 7, "input listed twice in one `from`",
        "A `from` lists the same source or stream twice. Its records go through the pipeline once all the same (unlike a union of a stream with itself in Spark or Flink, which doubles it), so the second is redundant, or a typo for another input.";
    W0008 = 8, "`select` of no field",
        "`select {}` keeps no field, so every record after it is empty (`{}` in JSON, an empty row in CSV, a Parquet file without columns). Name the fields to keep, or remove the stage.";

    // --- E09xx: internal -----------------------------------------------------
    E0901 = 901, "internal compiler error",
        "The compiler hit a bug. Please report it with the program that triggered it.";
}

/// The reference page of every code (docs/errors.md), generated from the registry.
pub fn codes_reference() -> String {
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Generated from `compiler/src/diagnostics/codes.rs` (a test keeps the two in step).\n\
         `sluice check --explain CODE` prints one entry.\n\n\
         | range | area |\n|---|---|\n\
         | E01xx | syntax |\n| E02xx | names |\n| E03xx | types |\n| E04xx | time: windows, watermarks, lateness |\n\
         | E05xx | sources, sinks, formats |\n| E06xx | `extern fn` |\n| W0xxx | warnings |\n| E09xx | internal compiler errors |\n",
    );
    for code in Code::ALL {
        out.push_str(&format!("\n## {}: {}\n\n{}\n", code.as_str(), code.title(), code.explanation()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Code;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(*code as u16), "{code:?} reuses a number");
            let text = code.as_str();
            assert_eq!(text.len(), 5);
            let expected_number: u16 = text[1..].parse().unwrap();
            assert_eq!(expected_number, *code as u16, "{text} has the wrong number");
            assert!(!code.title().is_empty() && !code.explanation().is_empty());
            assert_eq!(Code::parse(&text.to_lowercase()), Some(*code));
        }
    }
}
