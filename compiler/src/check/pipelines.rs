//! Pipelines: `from` resolution, dependency order and cycles, then the stages.

use super::stages::{Flow, StageOutcome};
use super::{Checker, ItemRef};
use crate::diagnostics::{Code, Diagnostic};
use crate::plan::{Input, Output, PipelineId, PipelinePlan, RecordType, Writer};
use crate::syntax::ast::{self, Item, StageKind};
use std::collections::HashMap;

fn writes_to_sink(pipeline: &ast::Pipeline) -> Option<&ast::Stage> {
    pipeline.stages.iter().find(|s| matches!(s.kind, StageKind::To(_)))
}

impl<'a> Checker<'a> {
    pub(super) fn check_pipelines(&mut self) {
        let pipelines: Vec<&'a ast::Pipeline> = self
            .program
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Pipeline(p) if self.is_canonical(&p.name) => Some(p),
                _ => None,
            })
            .collect();
        let order = self.dependency_order(&pipelines);
        let mut ids: HashMap<&str, PipelineId> = HashMap::new();
        for pipeline in order {
            let id = PipelineId(self.plan.pipelines.len());
            if let Some(plan) = self.check_pipeline(pipeline, id, &ids) {
                ids.insert(pipeline.name.node.as_str(), id);
                self.plan.pipelines.push(plan);
            }
        }
    }

    /// Pipelines ordered so every stream comes before its readers; cycles reported
    /// (pipelines on a cycle are left out of the order).
    fn dependency_order(&self, pipelines: &[&'a ast::Pipeline]) -> Vec<&'a ast::Pipeline> {
        let by_name: HashMap<&str, usize> =
            pipelines.iter().enumerate().map(|(i, p)| (p.name.node.as_str(), i)).collect();
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Active,
            Done,
            Broken,
        }
        let mut marks = vec![Mark::New; pipelines.len()];
        let mut order = Vec::new();
        // Iterative DFS (programs can be long; no recursion on user input).
        for root in 0..pipelines.len() {
            if marks[root] != Mark::New {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
            marks[root] = Mark::Active;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let from = &pipelines[node].from;
                if *next < from.len() {
                    let dep_ident = &from[*next];
                    *next += 1;
                    let Some(&dep) = by_name.get(dep_ident.node.as_str()) else { continue };
                    match marks[dep] {
                        Mark::New => {
                            marks[dep] = Mark::Active;
                            stack.push((dep, 0));
                        }
                        Mark::Active => {
                            let cycle_start = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                            let names: Vec<&str> =
                                stack[cycle_start..].iter().map(|(n, _)| pipelines[*n].name.node.as_str()).collect();
                            let mut diagnostic = Diagnostic::error(
                                Code::E0208,
                                format!(
                                    "pipelines read each other in a cycle: {} -> {}",
                                    names.join(" -> "),
                                    dep_ident.node
                                ),
                            )
                            .with_primary(
                                dep_ident.span,
                                format!("`{}` reads `{}` here", pipelines[node].name.node, dep_ident.node),
                            );
                            for (n, _) in &stack[cycle_start..] {
                                marks[*n] = Mark::Broken;
                                if *n != node {
                                    diagnostic =
                                        diagnostic.with_secondary(pipelines[*n].name.span, "part of the cycle");
                                }
                            }
                            marks[dep] = Mark::Broken;
                            self.report(diagnostic.with_help(
                                "a pipeline cannot read its own output; break the cycle by reading a source instead",
                            ));
                        }
                        Mark::Done | Mark::Broken => {}
                    }
                } else {
                    stack.pop();
                    if marks[node] == Mark::Active {
                        marks[node] = Mark::Done;
                        order.push(pipelines[node]);
                    }
                }
            }
        }
        order
    }

    fn check_pipeline(
        &self,
        pipeline: &'a ast::Pipeline,
        id: PipelineId,
        ids: &HashMap<&str, PipelineId>,
    ) -> Option<PipelinePlan> {
        let mut inputs = Vec::new();
        let mut flows: Vec<(Flow, &ast::Ident)> = Vec::new();
        let mut broken = false;
        for (index, name) in pipeline.from.iter().enumerate() {
            if let Some(first) = pipeline.from[..index].iter().find(|earlier| earlier.node == name.node) {
                self.report(
                    Diagnostic::warning(Code::W0007, format!("`{}` is listed twice in this `from`", name.node))
                        .with_primary(name.span, "listed again here")
                        .with_secondary(first.span, "first listed here")
                        .with_help("its records go through the pipeline once all the same: remove one, or name the input you meant"),
                );
            }
            match self.items.get(name.node.as_str()).copied() {
                Some(ItemRef::Source(_)) => {
                    let source_id = self.source_ids[&name.node];
                    self.used_sources.borrow_mut().insert(source_id);
                    let source = &self.plan.sources[source_id.0];
                    if source.table {
                        self.report(
                            Diagnostic::error(Code::E0203, format!("`{}` is a lookup table, so it cannot be read with `from`", name.node))
                                .with_primary(name.span, "declared with `table: true`")
                                .with_secondary(source.span, "declared here")
                                .with_help(format!(
                                    "join it (`| join {} on KEY == FIELD`), or declare a second source without `table: true` to stream the same data",
                                    name.node
                                )),
                        );
                        broken = true;
                        continue;
                    }
                    inputs.push(Input::Source(source_id));
                    let mut flow = Flow::new(source.record.clone(), source.event_time.clone());
                    flow.time_unknown = self.bad_event_time.borrow().contains(&source.name);
                    flow.origin = Some(source.name.clone());
                    flow.origin_has_event_time = source.event_time.is_some() || flow.time_unknown;
                    flows.push((flow, name));
                }
                Some(ItemRef::Pipeline(other)) => {
                    if let Some(to) = writes_to_sink(other) {
                        self.report(
                            Diagnostic::error(Code::E0209, format!("`{}` writes to a sink, so it cannot be read with `from`", name.node))
                                .with_primary(name.span, "not a named stream")
                                .with_secondary(to.span, "because it ends here")
                                .with_help(format!(
                                    "remove `{}` from `{}` to make it a named stream, and write to the sink from a pipeline that reads it",
                                    self.snippet(to.span),
                                    name.node
                                )),
                        );
                        broken = true;
                    } else if let Some(&stream) = ids.get(name.node.as_str()) {
                        let plan = &self.plan.pipelines[stream.0];
                        inputs.push(Input::Stream(stream));
                        flows.push((Flow::new(plan.output_record.clone(), plan.event_time.clone()), name));
                    } else {
                        broken = true; // on a cycle, already reported
                    }
                }
                Some(other) => {
                    let kind = match other {
                        ItemRef::Schema(_) => "a schema",
                        ItemRef::Param(_) => "a param",
                        ItemRef::Sink(_) => "a sink",
                        _ => "an extern fn",
                    };
                    self.report(
                        Diagnostic::error(Code::E0203, format!("`{}` is {kind}, not a source or stream", name.node))
                            .with_primary(name.span, "cannot be read with `from`")
                            .with_help("`from` reads a `source`, or a pipeline without `to`"),
                    );
                    broken = true;
                }
                None => {
                    let candidates = self.names_of(|item| match item {
                        ItemRef::Source(_) => true,
                        ItemRef::Pipeline(p) => writes_to_sink(p).is_none(),
                        _ => false,
                    });
                    self.unknown(
                        Code::E0203,
                        "source or stream",
                        name,
                        candidates,
                        Some("declare it with `source NAME: Schema from kafka { ... }`".into()),
                    );
                    broken = true;
                }
            }
        }
        // A union needs one record type.
        let mut flow = match flows.first() {
            Some((first, _)) => first.clone(),
            None => Flow::new(RecordType::anonymous(Vec::new()), None),
        };
        for (other, name) in flows.iter().skip(1) {
            if !other.record.same_shape(&flow.record) && !other.record.has_error() && !flow.record.has_error() {
                let (first_flow, first_name) = &flows[0];
                self.report(
                    Diagnostic::error(
                        Code::E0309,
                        format!("`{}` and `{}` have different record types", first_name.node, name.node),
                    )
                    .with_primary(name.span, format!("records are {}", other.record.structure()))
                    .with_secondary(first_name.span, format!("records are {}", first_flow.record.structure()))
                    .with_help(
                        "a union needs the same fields, in the same order: `select` them in a named stream first",
                    ),
                );
                broken = true;
            }
            if other.event_time != flow.event_time {
                flow.event_time = None;
            }
            flow.time_unknown |= other.time_unknown;
            flow.origin = None;
        }
        if broken {
            // Keep checking the stages against an unknown record, without cascading.
            flow.record = RecordType::anonymous(vec![crate::plan::Field::new("{unknown}", crate::plan::Type::Error)]);
            flow.event_time = None;
        }
        let input_record = flow.record.clone();
        let mut stages = Vec::new();
        let mut output = Output::Stream;
        let mut after_to = false;
        for (index, stage) in pipeline.stages.iter().enumerate() {
            if after_to {
                self.report(
                    Diagnostic::error(Code::E0108, format!("`{}` after `to`", stage.kind.keyword()))
                        .with_primary(stage.span, "`to` must be the last stage")
                        .with_help("to write to two sinks, make this pipeline a named stream (no `to`) and read it from two pipelines"),
                );
                break;
            }
            match self.stage(stage, flow, id, index) {
                StageOutcome::Next(plan_stage, next) => {
                    stages.push(*plan_stage);
                    flow = next;
                }
                StageOutcome::Skip(next) => flow = next,
                StageOutcome::To(sink, same) => {
                    match sink {
                        Some(sink) => {
                            self.record_write(sink, Writer::Pipeline(id), same.record.clone(), stage.span);
                            output = Output::Sink(sink);
                        }
                        None => broken = true,
                    }
                    flow = same;
                    after_to = true;
                }
            }
        }
        if broken {
            return None;
        }
        Some(PipelinePlan {
            name: pipeline.name.node.clone(),
            span: pipeline.span,
            inputs,
            input_record,
            stages,
            output,
            output_record: flow.record,
            event_time: flow.event_time,
        })
    }
}
