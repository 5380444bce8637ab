//! Runs a review: digests the plan and the baseline on two threads, compares them, scrubs
//! secrets and orders the findings worst first. Turns internal refusals into [`PlanError`]s that
//! name the file and the line.

use crate::compare::{compare, BaselineComparison, Side};
use crate::config::ReviewConfig;
use crate::diff::{Secrets, SENSITIVE_MARKER};
use crate::digest::Digest;
use crate::error::{PlanError, RawError};
use crate::parse::{parse, Header, Refusal};
use crate::record::{ChangeSum, Recorder};
use ferry_core::{Finding, FindingKind, Review, Summary};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A review and what it was made from.
#[derive(Debug, Clone)]
pub struct ReviewOutcome {
    /// The contract of DESIGN.md ("Review output").
    pub review: Review,
    pub plan: PlanInfo,
    pub baseline: Option<PlanInfo>,
    /// Present when a baseline was given.
    pub comparison: Option<BaselineComparison>,
}

/// What a plan document says about itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanInfo {
    pub format_version: String,
    pub terraform_version: Option<String>,
    /// The engine reported errors while planning; such a plan is reviewed as blocked.
    pub errored: bool,
    pub complete: Option<bool>,
    pub resource_changes: u64,
    pub resource_drift: u64,
}

/// Where a plan comes from.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    File(&'a Path),
    Bytes(&'a [u8], &'static str),
}

impl Input<'_> {
    fn name(&self) -> PathBuf {
        match self {
            Input::File(p) => p.to_path_buf(),
            Input::Bytes(_, name) => PathBuf::from(name),
        }
    }

    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        Ok(match self {
            Input::File(p) => Box::new(std::fs::File::open(p)?),
            Input::Bytes(b, _) => Box::new(*b),
        })
    }

    /// 1-based line and column of a byte offset, found by reading up to it again (errors only).
    fn locate(&self, offset: u64) -> (u64, u64) {
        let Ok(mut r) = self.open() else {
            return (0, 0);
        };
        let (mut line, mut line_start, mut pos) = (1u64, 0u64, 0u64);
        let mut buf = vec![0u8; 1 << 20];
        while pos < offset {
            let n = match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let take = usize::try_from((offset - pos).min(n as u64)).unwrap_or(n);
            for (i, b) in buf.iter().take(take).enumerate() {
                if *b == b'\n' {
                    line += 1;
                    line_start = pos + i as u64 + 1;
                }
            }
            pos += n as u64;
        }
        (line, offset - line_start + 1)
    }

    fn refused(&self, r: Refusal) -> PlanError {
        let path = self.name();
        match r {
            Refusal::Raw(RawError::Io(source)) => PlanError::Io { path, source },
            Refusal::Raw(RawError::At { offset, message }) => {
                let (line, column) = self.locate(offset);
                PlanError::Invalid {
                    path,
                    offset,
                    line,
                    column,
                    message,
                }
            }
            Refusal::NotAPlan(message) => PlanError::NotAPlan { path, message },
            Refusal::Version(version) => PlanError::UnsupportedVersion { path, version },
        }
    }
}

struct Digested<'c> {
    header: Header,
    digest: Digest<'c>,
    record: Option<Recorder>,
}

impl Digested<'_> {
    fn info(&self) -> PlanInfo {
        PlanInfo {
            format_version: self.header.format_version.clone().unwrap_or_default(),
            terraform_version: self.header.terraform_version.clone(),
            errored: self.header.errored,
            complete: self.header.complete,
            resource_changes: self.digest.changes,
            resource_drift: self.digest.drifts,
        }
    }

    fn side(&self) -> Side<'_> {
        Side {
            resources: &self.digest.resources,
            instances: &self.digest.instances,
            variables: &self.header.variables,
            configuration: self.header.configuration.as_ref(),
        }
    }

    /// Values of root variables declared `sensitive`, to scrub from every message.
    fn sensitive_variable_values(&self, into: &mut Secrets) {
        let Some(config) = &self.header.configuration else {
            return;
        };
        for (name, var) in &config.root_module.variables {
            if !var.sensitive {
                continue;
            }
            if let Some(v) = self
                .header
                .variables
                .get(name)
                .and_then(|t| serde_json::from_str(t).ok())
            {
                into.leaves(&v, 0);
            }
        }
    }
}

fn digest<'c>(
    input: Input<'_>,
    config: &'c ReviewConfig,
    findings_on: bool,
    record: bool,
) -> Result<Digested<'c>, PlanError> {
    let reader = input.open().map_err(|source| PlanError::Io {
        path: input.name(),
        source,
    })?;
    let mut digest = Digest::new(config, findings_on);
    let mut rec = record.then(Recorder::default);
    if record {
        digest.sum = Some(ChangeSum::default());
    }
    match parse(reader, &mut digest, rec.as_mut()) {
        Ok(header) => {
            if let (Some(r), Some(sum)) = (rec.as_mut(), digest.sum.take()) {
                r.sum = sum;
            }
            Ok(Digested {
                header,
                digest,
                record: rec,
            })
        }
        Err(r) => Err(input.refused(r)),
    }
}

/// Order of kinds within one severity: the engine failing first, data loss next.
fn rank(kind: FindingKind) -> u8 {
    match kind {
        FindingKind::PlanErrored => 0,
        FindingKind::StatefulDelete => 1,
        FindingKind::StatefulReplace => 2,
        FindingKind::Delete => 3,
        FindingKind::Replace => 4,
        FindingKind::DowntimeUpdate => 5,
        FindingKind::NotInBaseline => 6,
        FindingKind::Drift => 7,
        FindingKind::Forget => 8,
        FindingKind::KindDifference => 9,
        FindingKind::StructuralDifference => 10,
        FindingKind::CheckFailed => 11,
        FindingKind::Moved => 12,
        FindingKind::Import => 13,
    }
}

pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(rank(a.kind).cmp(&rank(b.kind)))
            .then_with(|| a.address.cmp(&b.address))
    });
}

/// Reviews `plan` against `baseline`; with `record`, also returns what policies and the change
/// digest need from the plan (see [`crate::record`]).
pub(crate) fn review(
    plan: Input<'_>,
    baseline: Option<Input<'_>>,
    config: &ReviewConfig,
    record: bool,
) -> Result<(ReviewOutcome, Option<Recorder>), PlanError> {
    let (plan_d, base_d) = std::thread::scope(|s| {
        let handle = baseline.map(|b| (b, s.spawn(move || digest(b, config, false, false))));
        let p = digest(plan, config, true, record);
        let b = handle.map(|(input, h)| {
            h.join().unwrap_or_else(|_| {
                Err(PlanError::Io {
                    path: input.name(),
                    source: std::io::Error::other("the thread reading this file failed"),
                })
            })
        });
        (p, b)
    });
    let plan_d = plan_d?;
    let base_d = base_d.transpose()?;

    let summary: Summary = plan_d.digest.summary;
    let mut secrets = Secrets::default();
    plan_d.sensitive_variable_values(&mut secrets);
    let mut findings = Vec::new();
    if plan_d.header.errored {
        findings.push(Finding {
            kind: FindingKind::PlanErrored,
            severity: config.severity(FindingKind::PlanErrored),
            address: "*".into(),
            attribute: None,
            message: "the engine reported errors while planning (`errored: true`): the plan is partial and must not be applied; fix the errors and plan again".into(),
            explained_by: vec![],
        });
    }
    for c in &plan_d.header.checks {
        findings.push(Finding {
            kind: FindingKind::CheckFailed,
            severity: config.severity(FindingKind::CheckFailed),
            address: c.address.clone(),
            attribute: None,
            message: c.message(),
            explained_by: vec![],
        });
    }
    let comparison = base_d.as_ref().map(|b| {
        let (found, comparison) = compare(&plan_d.side(), &b.side(), config);
        findings.extend(found);
        comparison
    });
    if let Some(b) = &base_d {
        b.sensitive_variable_values(&mut secrets);
    }
    let plan_info = plan_d.info();
    let base_info = base_d.as_ref().map(Digested::info);
    let Digested { digest, record, .. } = plan_d;
    findings.extend(digest.findings.finish());
    secrets.merge(digest.secrets);
    if let Some(b) = base_d {
        secrets.merge(b.digest.secrets);
    }
    let texts = findings
        .iter()
        .flat_map(|f| std::iter::once(f.message.as_str()).chain(f.attribute.as_deref()));
    if let Some(scrub) = secrets.scrubber_for(texts) {
        let clean = |text: &str| {
            let mut out = String::with_capacity(text.len());
            scrub.replace_all_with(text, &mut out, |_, _, dst| {
                dst.push_str(SENSITIVE_MARKER);
                true
            });
            // A whole string that was a secret reads as the marker, as a masked value does,
            // not as a string whose text is the marker.
            out.replace(&format!("\"{SENSITIVE_MARKER}\""), SENSITIVE_MARKER)
        };
        for f in &mut findings {
            f.message = clean(&f.message);
            f.attribute = f.attribute.as_deref().map(clean);
        }
    }
    sort_findings(&mut findings);
    let outcome = ReviewOutcome {
        review: Review::new(summary, findings),
        plan: plan_info,
        baseline: base_info,
        comparison,
    };
    Ok((outcome, record))
}
