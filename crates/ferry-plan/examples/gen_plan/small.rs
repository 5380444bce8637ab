//! The monorepo shape: hundreds of thousands of small resource changes (~1 KiB each) in two
//! levels of for_each'd modules (`module.team["t3"].module.app17["s2"]`), each resource counted
//! (`[0]`..`[2]`), with nested blocks, maps, sensitive attributes that differ per resource, and
//! `planned_values`/`prior_state` trees repeating the values before and after
//! `resource_changes`, as Terraform writes them. 100 module calls (`--module-calls`) of 32
//! resource blocks give 3,200 configuration addresses, all in the `configuration` section.

use crate::{mix, open_out, Args};
use std::fmt::Write as _;
use std::io::Write;

const TYPES: u64 = 8;
const NAMES: u64 = 4;
/// `count = var.replicas`.
const COUNT: u64 = 3;
/// Module calls `app0`..`app99` inside the team module, unless `--module-calls` says otherwise.
const APPS: u64 = 100;
/// for_each keys of each app module call.
const KEYS: u64 = 8;
const PER_APP: u64 = TYPES * NAMES * COUNT;

#[derive(Clone, Copy, PartialEq)]
enum Act {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    Forget,
}

impl Act {
    fn json(self) -> &'static str {
        match self {
            Act::NoOp => r#"["no-op"]"#,
            Act::Create => r#"["create"]"#,
            Act::Update => r#"["update"]"#,
            Act::Replace => r#"["delete","create"]"#,
            Act::Delete => r#"["delete"]"#,
            Act::Forget => r#"["forget"]"#,
        }
    }
}

struct Res {
    ty: u64,
    name: u64,
    k: u64,
    app: u64,
    key: u64,
    team: u64,
    act: Act,
    r: u64,
}

fn resource(seed: u64, apps: u64, i: u64) -> Res {
    let per_key = PER_APP * apps;
    let r = mix(seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let act = match r % 1000 {
        0..=819 => Act::NoOp,
        820..=924 | 995..=999 => Act::Update,
        925..=959 => Act::Create,
        960..=974 => Act::Replace,
        975..=989 => Act::Delete,
        _ => Act::Forget,
    };
    Res {
        ty: i % TYPES,
        name: (i / TYPES) % NAMES,
        k: (i / (TYPES * NAMES)) % COUNT,
        app: (i / PER_APP) % apps,
        key: (i / per_key) % KEYS,
        team: i / (per_key * KEYS),
        act,
        r,
    }
}

/// (type, resource name prefix, replace path, sensitive mirror)
fn type_info(ty: u64) -> (&'static str, &'static str, &'static str, &'static str) {
    match ty {
        0 => (
            "aws_ssm_parameter",
            "param",
            "name",
            r#"{"value":true,"tags":{}}"#,
        ),
        1 => (
            "aws_security_group_rule",
            "rule",
            "protocol",
            r#"{"cidr_blocks":[false]}"#,
        ),
        2 => ("aws_route53_record", "dns", "name", r#"{"alias":[{}]}"#),
        3 => (
            "aws_iam_role_policy_attachment",
            "attach",
            "policy_arn",
            "{}",
        ),
        4 => (
            "aws_cloudwatch_metric_alarm",
            "alarm",
            "alarm_name",
            r#"{"dimensions":{},"tags":{}}"#,
        ),
        5 => ("aws_sqs_queue", "queue", "name", r#"{"tags":{}}"#),
        6 => (
            "random_password",
            "secret",
            "keepers",
            r#"{"result":true,"bcrypt_hash":true,"keepers":{}}"#,
        ),
        _ => (
            "aws_dynamodb_table",
            "table",
            "hash_key",
            r#"{"attribute":[{}],"point_in_time_recovery":[{}],"tags":{}}"#,
        ),
    }
}

fn module(res: &Res) -> String {
    format!(
        "module.team[\\\"t{}\\\"].module.app{}[\\\"s{}\\\"]",
        res.team, res.app, res.key
    )
}

fn address(res: &Res) -> String {
    let (ty, prefix, _, _) = type_info(res.ty);
    format!("{}.{ty}.{prefix}{}[{}]", module(res), res.name, res.k)
}

/// The attribute values; `generation` 0 is the prior object, 1 the planned one.
fn values(res: &Res, env: &str, generation: u32, known: bool) -> String {
    let changed = generation == 1 && matches!(res.act, Act::Update | Act::Replace | Act::Create);
    let ver = if changed { "42" } else { "41" };
    let (t, a, s, k, r) = (res.team, res.app, res.key, res.k, res.r);
    let tags = format!(
        "{{\"Env\":\"{env}\",\"Team\":\"t{t}\",\"App\":\"app{a}\",\"Version\":\"v{ver}\"}}"
    );
    let mut o = String::with_capacity(512);
    o.push('{');
    if known {
        let _ = write!(o, "\"id\":\"{:012x}\",", r >> 16);
    }
    let _ = match res.ty {
        0 => write!(
            o,
            "\"name\":\"/{env}/t{t}/app{a}/s{s}/p{}-{k}\",\"type\":\"SecureString\",\"value\":\"ssm-{r:016x}-{ver}\",\"tier\":\"Standard\",\"tags\":{tags}",
            res.name
        ),
        1 => write!(
            o,
            "\"type\":\"ingress\",\"from_port\":{p},\"to_port\":{p},\"protocol\":\"tcp\",\"cidr_blocks\":[\"10.{}.{}.0/24\"],\"security_group_id\":\"sg-{:08x}\",\"description\":\"app{a} port {p} v{ver}\"",
            t % 256,
            a,
            r % 0xffff_ffff,
            p = 8000 + res.name
        ),
        2 => write!(
            o,
            "\"zone_id\":\"Z{:010X}\",\"name\":\"app{a}-s{s}-{k}.t{t}.{env}.example.com\",\"type\":\"A\",\"ttl\":null,\"records\":null,\"alias\":[{{\"name\":\"lb-{:08x}.eu-west-1.elb.amazonaws.com\",\"zone_id\":\"Z32O12XQLNTSW2\",\"evaluate_target_health\":true}}],\"set_identifier\":\"v{ver}\"",
            r % 0xff_ffff_ffff,
            (r >> 20) % 0xffff_ffff
        ),
        3 => write!(
            o,
            "\"role\":\"t{t}-app{a}-s{s}-{k}\",\"policy_arn\":\"arn:aws:iam::123456789012:policy/app{a}-p{}-v{ver}\"",
            res.name
        ),
        4 => write!(
            o,
            "\"alarm_name\":\"t{t}-app{a}-s{s}-{k}-lag\",\"comparison_operator\":\"GreaterThanThreshold\",\"evaluation_periods\":2,\"metric_name\":\"ApproximateAgeOfOldestMessage\",\"namespace\":\"AWS/SQS\",\"period\":60,\"statistic\":\"Maximum\",\"threshold\":{},\"dimensions\":{{\"QueueName\":\"q-{:08x}\"}},\"tags\":{tags}",
            if changed { 90 } else { 80 },
            r % 0xffff_ffff
        ),
        5 => write!(
            o,
            "\"name\":\"t{t}-app{a}-s{s}-{k}\",\"visibility_timeout_seconds\":30,\"message_retention_seconds\":345600,\"redrive_policy\":\"{{\\\"deadLetterTargetArn\\\":\\\"arn:aws:sqs:eu-west-1:123456789012:dlq-{:08x}\\\",\\\"maxReceiveCount\\\":5}}\",\"tags\":{tags}",
            r % 0xffff_ffff
        ),
        6 => {
            let secret = if known {
                format!(",\"result\":\"pw-{r:016x}{:08x}\",\"bcrypt_hash\":\"$2a$10${:022x}\"", r % 0x0fff_ffff, r >> 3)
            } else {
                String::new()
            };
            write!(o, "\"length\":24,\"special\":true,\"upper\":true,\"numeric\":true,\"keepers\":{{\"version\":\"v{ver}\"}}{secret}")
        }
        _ => write!(
            o,
            "\"name\":\"t{t}-app{a}-s{s}-{k}-{env}\",\"billing_mode\":\"PAY_PER_REQUEST\",\"hash_key\":\"pk\",\"attribute\":[{{\"name\":\"pk\",\"type\":\"S\"}}],\"point_in_time_recovery\":[{{\"enabled\":true}}],\"tags\":{tags}"
        ),
    };
    o.push('}');
    o
}

fn unknown(res: &Res) -> &'static str {
    match (res.act, res.ty) {
        (Act::Create | Act::Replace, 6) => r#"{"id":true,"result":true,"bcrypt_hash":true}"#,
        (Act::Create | Act::Replace, _) => r#"{"id":true}"#,
        _ => "{}",
    }
}

fn change_entry(o: &mut String, res: &Res, env: &str) {
    let (ty, prefix, replace_path, mask) = type_info(res.ty);
    let (before, after) = match res.act {
        Act::Create => ("null".to_string(), values(res, env, 1, false)),
        Act::Delete | Act::Forget => (values(res, env, 0, true), "null".to_string()),
        Act::Replace => (values(res, env, 0, true), values(res, env, 1, false)),
        Act::Update => (values(res, env, 0, true), values(res, env, 1, true)),
        Act::NoOp => (values(res, env, 0, true), values(res, env, 0, true)),
    };
    let (bs, as_) = match res.act {
        Act::Create => ("false", mask),
        Act::Delete | Act::Forget => (mask, "false"),
        _ => (mask, mask),
    };
    let _ = write!(
        o,
        "{{\"address\":\"{}\",\"module_address\":\"{}\",\"mode\":\"managed\",\"type\":\"{ty}\",\"name\":\"{prefix}{}\",\"index\":{},\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\
         \"change\":{{\"actions\":{},\"before\":{before},\"after\":{after},\"after_unknown\":{},\"before_sensitive\":{bs},\"after_sensitive\":{as_}",
        address(res),
        module(res),
        res.name,
        res.k,
        res.act.json(),
        unknown(res)
    );
    if res.act == Act::Replace {
        let _ = write!(o, ",\"replace_paths\":[[\"{replace_path}\"]]");
    }
    o.push('}');
    match res.act {
        Act::Replace => o.push_str(",\"action_reason\":\"replace_because_cannot_update\""),
        Act::Delete => o.push_str(",\"action_reason\":\"delete_because_no_resource_config\""),
        _ => {}
    }
    o.push('}');
}

fn state_entry(o: &mut String, res: &Res, env: &str, planned: bool) {
    let (ty, prefix, _, mask) = type_info(res.ty);
    let v = values(
        res,
        env,
        u32::from(planned),
        !planned || res.act == Act::Update || res.act == Act::NoOp,
    );
    let _ = write!(
        o,
        "{{\"address\":\"{}\",\"mode\":\"managed\",\"type\":\"{ty}\",\"name\":\"{prefix}{}\",\"index\":{},\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\"schema_version\":0,\"values\":{v},\"sensitive_values\":{mask}}}",
        address(res),
        res.name,
        res.k
    );
}

type Io = fn(std::io::Error) -> String;
const IO: Io = |e| e.to_string();

/// Writes one module tree (`planned_values` or `prior_state`'s values): the resources that
/// `keep` selects, grouped into their team and app module instances (the index order keeps
/// each module instance's resources together).
fn tree(
    w: &mut impl Write,
    a: &Args,
    n: u64,
    env: &str,
    planned: bool,
    keep: fn(Act) -> bool,
) -> Result<(), String> {
    w.write_all(b"{\"root_module\":{\"child_modules\":[")
        .map_err(IO)?;
    let mut buf = String::with_capacity(1 << 16);
    let (mut team, mut app): (Option<u64>, Option<(u64, u64)>) = (None, None);
    for i in 0..n {
        let r = resource(a.seed, apps(a), i);
        if !keep(r.act) {
            continue;
        }
        buf.clear();
        if app != Some((r.app, r.key)) || team != Some(r.team) {
            if app.is_some() {
                buf.push_str("]}");
            }
            if team != Some(r.team) {
                if team.is_some() {
                    buf.push_str("]},");
                }
                let _ = write!(
                    buf,
                    "{{\"address\":\"module.team[\\\"t{}\\\"]\",\"child_modules\":[",
                    r.team
                );
                team = Some(r.team);
            } else {
                buf.push(',');
            }
            let _ = write!(buf, "{{\"address\":\"{}\",\"resources\":[", module(&r));
            app = Some((r.app, r.key));
        } else {
            buf.push(',');
        }
        state_entry(&mut buf, &r, env, planned);
        w.write_all(buf.as_bytes()).map_err(IO)?;
    }
    if team.is_some() {
        w.write_all(b"]}]}").map_err(IO)?;
    }
    w.write_all(b"]}}").map_err(IO)
}

fn apps(a: &Args) -> u64 {
    a.module_calls.unwrap_or(APPS).max(1)
}

fn configuration(apps: u64) -> String {
    let mut blocks = Vec::new();
    for ty in 0..TYPES {
        let (t, prefix, _, _) = type_info(ty);
        for name in 0..NAMES {
            blocks.push(format!(
                "{{\"address\":\"{t}.{prefix}{name}\",\"mode\":\"managed\",\"type\":\"{t}\",\"name\":\"{prefix}{name}\",\"provider_config_key\":\"aws\",\
                 \"expressions\":{{\"tags\":{{\"references\":[\"var.env\",\"var.team\"]}},\"name\":{{\"references\":[\"var.env\",\"var.team\",\"each.key\",\"count.index\"]}}}},\
                 \"schema_version\":0,\"count_expression\":{{\"references\":[\"var.replicas\"]}}}}"
            ));
        }
    }
    let app_module = format!(
        "{{\"variables\":{{\"env\":{{}},\"team\":{{}},\"replicas\":{{}}}},\"resources\":[{}]}}",
        blocks.join(",")
    );
    let calls: Vec<String> = (0..apps)
        .map(|a| format!(
            "\"app{a}\":{{\"source\":\"../app\",\"for_each_expression\":{{\"references\":[\"local.keys\"]}},\
             \"expressions\":{{\"env\":{{\"references\":[\"var.env\"]}},\"team\":{{\"references\":[\"each.key\"]}},\"replicas\":{{\"references\":[\"var.replicas\"]}}}},\"module\":{app_module}}}"
        ))
        .collect();
    format!(
        "{{\"provider_config\":{{\"aws\":{{\"name\":\"aws\",\"full_name\":\"registry.terraform.io/hashicorp/aws\"}}}},\"root_module\":{{\
         \"variables\":{{\"env\":{{}},\"replicas\":{{}},\"teams\":{{}},\"db_password\":{{\"sensitive\":true}}}},\
         \"module_calls\":{{\"team\":{{\"source\":\"./modules/team\",\"for_each_expression\":{{\"references\":[\"var.teams\"]}},\
         \"expressions\":{{\"env\":{{\"references\":[\"var.env\"]}},\"replicas\":{{\"references\":[\"var.replicas\"]}}}},\
         \"module\":{{\"variables\":{{\"env\":{{}},\"replicas\":{{}}}},\"module_calls\":{{{}}}}}}}}}}}}}",
        calls.join(",")
    )
}

/// Writes the plan of `a` in the monorepo shape.
pub(crate) fn run(a: &Args) -> Result<(), String> {
    let env = a.env.as_str();
    let n = match (a.resources, a.size_mb) {
        (Some(n), _) => n,
        (None, Some(mb)) => {
            let mut sample = String::new();
            let mut per = 0u64;
            for i in 0..2400 {
                let r = resource(a.seed, apps(a), i);
                sample.clear();
                change_entry(&mut sample, &r, "prod");
                state_entry(&mut sample, &r, "prod", true);
                state_entry(&mut sample, &r, "prod", false);
                per += sample.len() as u64 + 3;
            }
            ((mb << 20) * 2400 / per.max(1)).max(1)
        }
        (None, None) => 0,
    };
    let mut w = open_out(a)?;
    let teams = n.div_ceil(PER_APP * apps(a) * KEYS);
    write!(
        w,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.11.4\",\"variables\":{{\"env\":{{\"value\":\"{env}\"}},\"replicas\":{{\"value\":{COUNT}}},\"teams\":{{\"value\":{teams}}},\"db_password\":{{\"value\":\"gen-root-password-{env}\"}}}},\"planned_values\":"
    )
    .map_err(IO)?;
    tree(&mut w, a, n, env, true, |act| {
        !matches!(act, Act::Delete | Act::Forget)
    })?;
    w.write_all(b",\"resource_changes\":[").map_err(IO)?;
    let mut buf = String::with_capacity(1 << 16);
    for i in 0..n {
        buf.clear();
        if i > 0 {
            buf.push(',');
        }
        change_entry(&mut buf, &resource(a.seed, apps(a), i), env);
        w.write_all(buf.as_bytes()).map_err(IO)?;
    }
    w.write_all(b"],\"output_changes\":{\"endpoint\":{\"actions\":[\"no-op\"],\"before\":\"https://example\",\"after\":\"https://example\",\"after_unknown\":false,\"before_sensitive\":false,\"after_sensitive\":false}},\"prior_state\":{\"format_version\":\"1.0\",\"terraform_version\":\"1.11.4\",\"values\":")
        .map_err(IO)?;
    tree(&mut w, a, n, env, false, |act| act != Act::Create)?;
    writeln!(
        w,
        "}},\"configuration\":{},\"timestamp\":\"2026-01-01T00:00:00Z\",\"applyable\":true,\"complete\":true,\"errored\":false}}",
        configuration(apps(a))
    )
    .map_err(IO)?;
    w.flush().map_err(IO)?;
    eprintln!("gen_plan: {n} resource changes (small shape, {teams} teams), env {env}");
    Ok(())
}
