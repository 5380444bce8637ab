//! The original benchmark shape: services in for_each'd modules with counted instances, nested
//! blocks, long strings (600-800 characters), sensitive values and about 4 KiB of plan per
//! resource change; `planned_values` and `prior_state` repeat the values as real plans do.

use crate::{mix, open_out, Args};
use std::fmt::Write as _;
use std::io::{BufWriter, Write};

/// Resources per service block; see `kind_of`.
const BLOCK: u64 = 12;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Instance(u64),
    SecurityGroup,
    Bucket,
    Role,
    Lambda,
    Db,
    ParamGroup,
    LogGroup,
    Ami,
}

fn kind_of(i: u64) -> Kind {
    match i % BLOCK {
        n @ 0..=3 => Kind::Instance(n),
        4 => Kind::SecurityGroup,
        5 => Kind::Bucket,
        6 => Kind::Role,
        7 => Kind::Lambda,
        8 => Kind::Db,
        9 => Kind::ParamGroup,
        10 => Kind::LogGroup,
        _ => Kind::Ami,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Act {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    Forget,
    Read,
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
            Act::Read => r#"["read"]"#,
        }
    }
}

struct Res {
    i: u64,
    kind: Kind,
    act: Act,
    r: u64,
}

fn resource(seed: u64, i: u64) -> Res {
    let r = mix(seed ^ i.wrapping_mul(0x2545_F491_4F6C_DD1D));
    let kind = kind_of(i);
    let act = if kind == Kind::Ami {
        Act::Read
    } else {
        match r % 200 {
            0..=109 => Act::NoOp,
            110..=153 => Act::Update,
            154..=173 => Act::Create,
            174..=185 => Act::Replace,
            186..=197 => Act::Delete,
            _ => Act::Forget,
        }
    };
    Res { i, kind, act, r }
}

fn service(i: u64) -> u64 {
    i / BLOCK
}

fn type_name(k: Kind) -> (&'static str, &'static str, &'static str) {
    // (module call, type, name)
    match k {
        Kind::Instance(_) => ("svc", "aws_instance", "web"),
        Kind::SecurityGroup => ("svc", "aws_security_group", "web"),
        Kind::Bucket => ("svc", "aws_s3_bucket", "logs"),
        Kind::Role => ("svc", "aws_iam_role", "task"),
        Kind::Lambda => ("svc", "aws_lambda_function", "hook"),
        Kind::Db => ("db", "aws_db_instance", "main"),
        Kind::ParamGroup => ("db", "aws_db_parameter_group", "main"),
        Kind::LogGroup => ("", "aws_cloudwatch_log_group", "app"),
        Kind::Ami => ("svc", "aws_ami", "base"),
    }
}

fn address(res: &Res) -> (String, String) {
    let (module, ty, name) = type_name(res.kind);
    let s = service(res.i);
    let data = if res.kind == Kind::Ami { "data." } else { "" };
    let index = match res.kind {
        Kind::Instance(n) => format!("[{n}]"),
        Kind::LogGroup => format!("[\\\"svc-{s}\\\"]"),
        _ => String::new(),
    };
    if module.is_empty() {
        (format!("{data}{ty}.{name}{index}"), String::new())
    } else {
        let m = format!("module.{module}[\\\"svc-{s}\\\"]");
        (format!("{m}.{data}{ty}.{name}{index}"), m)
    }
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn blob(r: u64, len: usize) -> String {
    let mut x = r | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            B64[(x % 64) as usize] as char
        })
        .collect()
}

/// The attribute values of a resource; `gen` 0 is the prior object, 1 the planned one.
fn values(res: &Res, env: &str, generation: u32, known_ids: bool) -> String {
    let s = service(res.i);
    let id = if known_ids {
        format!("\"id\":\"{:016x}\",", res.r)
    } else {
        String::new()
    };
    let version = if generation == 0 { "41" } else { "42" };
    let changed = generation == 1 && matches!(res.act, Act::Update | Act::Replace | Act::Create);
    let ver = if changed { version } else { "41" };
    let tags = format!(
        "{{\"Name\":\"svc-{s}\",\"Env\":\"{env}\",\"Team\":\"team-{}\",\"CostCenter\":\"cc-{}\",\"Version\":\"v{ver}\"}}",
        res.r % 17,
        res.r % 5
    );
    let mut o = String::with_capacity(2400);
    o.push('{');
    o.push_str(&id);
    match res.kind {
        Kind::Instance(n) => {
            let itype = if env == "prod" && changed && res.r.is_multiple_of(50) {
                "m5.xlarge"
            } else if env == "prod" {
                "m5.large"
            } else {
                "t3.medium"
            };
            let ami = if res.act == Act::Replace && generation == 1 {
                "ami-0new"
            } else {
                "ami-0old"
            };
            let _ = write!(
                o,
                "\"ami\":\"{ami}\",\"arn\":\"arn:aws:ec2:eu-west-1:123456789012:instance/i-{:016x}\",\"instance_type\":\"{itype}\",\"availability_zone\":\"eu-west-1{}\",\
                 \"tags\":{tags},\"tags_all\":{tags},\"user_data\":\"{}\",\"vpc_security_group_ids\":[\"sg-{:08x}\",\"sg-{:08x}\"],\
                 \"ebs_block_device\":[{{\"device_name\":\"/dev/sdb\",\"volume_size\":{},\"volume_type\":\"gp3\",\"encrypted\":true,\"iops\":3000,\"throughput\":125,\"delete_on_termination\":true}}],\
                 \"root_block_device\":[{{\"volume_size\":20,\"volume_type\":\"gp3\",\"encrypted\":true}}],\
                 \"metadata_options\":[{{\"http_endpoint\":\"enabled\",\"http_tokens\":\"required\",\"http_put_response_hop_limit\":1}}],\
                 \"private_ip\":\"10.{}.{}.{}\",\"monitoring\":true,\"ebs_optimized\":false",
                res.r,
                ["a", "b", "c"][(n % 3) as usize],
                blob(res.r, 600),
                res.r % 0xffff_ffff,
                (res.r >> 8) % 0xffff_ffff,
                50 + res.r % 50,
                s % 256,
                n,
                res.r % 250
            );
        }
        Kind::SecurityGroup => {
            let _ = write!(o, "\"name\":\"svc-{s}-web\",\"description\":\"web tier of svc-{s}\",\"tags\":{tags},\"ingress\":[");
            for p in 0..6 {
                let _ = write!(
                    o,
                    "{}{{\"from_port\":{},\"to_port\":{},\"protocol\":\"tcp\",\"cidr_blocks\":[\"10.{}.0.0/16\"],\"description\":\"rule {p}\",\"self\":false}}",
                    if p > 0 { "," } else { "" },
                    8000 + p,
                    8000 + p,
                    p
                );
            }
            o.push_str("],\"egress\":[{\"from_port\":0,\"to_port\":0,\"protocol\":\"-1\",\"cidr_blocks\":[\"0.0.0.0/0\"]}]");
        }
        Kind::Bucket => {
            let _ = write!(
                o,
                "\"bucket\":\"svc-{s}-logs-{env}\",\"force_destroy\":false,\"tags\":{tags},\"versioning\":[{{\"enabled\":true,\"mfa_delete\":false}}],\
                 \"lifecycle_rule\":[{{\"id\":\"expire\",\"enabled\":true,\"expiration\":[{{\"days\":90}}]}}],\"policy\":\"{}\"",
                blob(res.r, 700)
            );
        }
        Kind::Role => {
            let _ = write!(
                o,
                "\"name\":\"svc-{s}-task\",\"assume_role_policy\":\"{{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[{{\\\"Effect\\\":\\\"Allow\\\",\\\"Principal\\\":{{\\\"Service\\\":\\\"ecs-tasks.amazonaws.com\\\"}},\\\"Action\\\":\\\"sts:AssumeRole\\\"}}]}}\",\
                 \"tags\":{tags},\"max_session_duration\":3600,\"inline_policy\":[{{\"name\":\"s3\",\"policy\":\"{}\"}}]",
                blob(res.r, 800)
            );
        }
        Kind::Lambda => {
            let _ = write!(
                o,
                "\"function_name\":\"svc-{s}-hook\",\"runtime\":\"python3.12\",\"handler\":\"main.handler\",\"memory_size\":{},\"timeout\":30,\"tags\":{tags},\
                 \"environment\":[{{\"variables\":{{\"ENV\":\"{env}\",\"LOG_LEVEL\":\"info\",\"TOKEN\":\"tok-{:x}\"}}}}],\"source_code_hash\":\"{}\"",
                if env == "prod" { 512 } else { 256 },
                res.r,
                blob(res.r, 44)
            );
        }
        Kind::Db => {
            let _ = write!(
                o,
                "\"identifier\":\"svc-{s}-{env}\",\"engine\":\"postgres\",\"engine_version\":\"16.3\",\"instance_class\":\"{}\",\"allocated_storage\":100,\
                 \"storage_type\":\"gp3\",\"username\":\"app\",\"password\":\"gen-secret-{:x}\",\"multi_az\":{},\"tags\":{tags},\
                 \"backup_retention_period\":7,\"backup_window\":\"03:00-04:00\",\"maintenance_window\":\"sun:05:00-sun:06:00\"",
                if env == "prod" { "db.r6g.large" } else { "db.t4g.medium" },
                res.r,
                env == "prod"
            );
        }
        Kind::ParamGroup => {
            let _ = write!(
                o,
                "\"name\":\"svc-{s}\",\"family\":\"postgres16\",\"tags\":{tags},\"parameter\":["
            );
            for p in 0..8 {
                let _ = write!(
                    o,
                    "{}{{\"name\":\"param_{p}\",\"value\":\"{}\",\"apply_method\":\"immediate\"}}",
                    if p > 0 { "," } else { "" },
                    p * 10
                );
            }
            o.push(']');
        }
        Kind::LogGroup => {
            let _ = write!(
                o,
                "\"name\":\"/svc/{s}\",\"retention_in_days\":{},\"tags\":{tags}",
                if env == "prod" { 365 } else { 30 }
            );
        }
        Kind::Ami => {
            let _ = write!(o, "\"most_recent\":true,\"owners\":[\"amazon\"],\"name\":\"al2023-ami-{}\",\"architecture\":\"x86_64\"", res.r % 9);
        }
    }
    o.push('}');
    o
}

fn sensitive_mask(res: &Res) -> &'static str {
    match res.kind {
        Kind::Db => r#"{"password":true,"tags":{}}"#,
        Kind::Lambda => r#"{"environment":[{"variables":{"TOKEN":true}}],"tags":{}}"#,
        _ => r#"{"tags":{}}"#,
    }
}

fn change_entry(o: &mut String, res: &Res, env: &str) {
    let (addr, module) = address(res);
    let (_, ty, name) = type_name(res.kind);
    let mode = if res.kind == Kind::Ami {
        "data"
    } else {
        "managed"
    };
    let (before, after, unknown) = match res.act {
        Act::Create | Act::Read => (
            "null".to_string(),
            values(res, env, 1, false),
            r#"{"id":true,"arn":true}"#,
        ),
        Act::Delete | Act::Forget => (values(res, env, 0, true), "null".to_string(), "{}"),
        Act::Replace => (
            values(res, env, 0, true),
            values(res, env, 1, false),
            r#"{"id":true,"arn":true}"#,
        ),
        Act::Update => (values(res, env, 0, true), values(res, env, 1, true), "{}"),
        Act::NoOp => (values(res, env, 0, true), values(res, env, 0, true), "{}"),
    };
    let mask = sensitive_mask(res);
    let (bs, as_) = match res.act {
        Act::Create | Act::Read => ("false", mask),
        Act::Delete | Act::Forget => (mask, "false"),
        _ => (mask, mask),
    };
    let module_field = if module.is_empty() {
        String::new()
    } else {
        format!("\"module_address\":\"{module}\",")
    };
    let _ = write!(
        o,
        "{{\"address\":\"{addr}\",{module_field}\"mode\":\"{mode}\",\"type\":\"{ty}\",\"name\":\"{name}\",\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\
         \"change\":{{\"actions\":{},\"before\":{before},\"after\":{after},\"after_unknown\":{unknown},\"before_sensitive\":{bs},\"after_sensitive\":{as_}",
        res.act.json()
    );
    if res.act == Act::Replace {
        o.push_str(",\"replace_paths\":[[\"ami\"]]");
    }
    o.push('}');
    match res.act {
        Act::Replace => o.push_str(",\"action_reason\":\"replace_because_cannot_update\""),
        Act::Delete => o.push_str(",\"action_reason\":\"delete_because_count_index\""),
        _ => {}
    }
    o.push('}');
}

fn state_entry(o: &mut String, res: &Res, env: &str, planned: bool) {
    let (addr, _) = address(res);
    let (_, ty, name) = type_name(res.kind);
    let mode = if res.kind == Kind::Ami {
        "data"
    } else {
        "managed"
    };
    let v = values(
        res,
        env,
        u32::from(planned),
        !planned || res.act != Act::Create,
    );
    let _ = write!(
        o,
        "{{\"address\":\"{addr}\",\"mode\":\"{mode}\",\"type\":\"{ty}\",\"name\":\"{name}\",\"provider_name\":\"registry.terraform.io/hashicorp/aws\",\"schema_version\":1,\"values\":{v},\"sensitive_values\":{}}}",
        sensitive_mask(res)
    );
}

const CONFIGURATION: &str = r#"{"provider_config":{"aws":{"name":"aws","full_name":"registry.terraform.io/hashicorp/aws"}},"root_module":{
"variables":{"env":{},"instance_type":{},"db_class":{},"db_password":{"sensitive":true},"services":{}},
"resources":[{"address":"aws_cloudwatch_log_group.app","mode":"managed","type":"aws_cloudwatch_log_group","name":"app","expressions":{"name":{"references":["each.key"]},"retention_in_days":{"references":["local.retention"]},"tags":{"references":["local.tags"]}},"for_each_expression":{"references":["var.services"]}}],
"module_calls":{
 "svc":{"source":"./modules/svc","for_each_expression":{"references":["var.services"]},"expressions":{"env":{"references":["var.env"]},"instance_type":{"references":["var.instance_type"]},"tags":{"references":["local.tags"]}},
  "module":{"variables":{"env":{},"instance_type":{},"tags":{}},"resources":[
   {"address":"aws_instance.web","mode":"managed","type":"aws_instance","name":"web","count_expression":{"constant_value":4},"expressions":{"ami":{"references":["data.aws_ami.base.id","data.aws_ami.base"]},"instance_type":{"references":["var.instance_type"]},"tags":{"references":["var.tags","var.env"]},"ebs_block_device":[{"volume_size":{"constant_value":60}}]}},
   {"address":"aws_security_group.web","mode":"managed","type":"aws_security_group","name":"web","expressions":{"name":{"references":["each.key"]},"tags":{"references":["var.tags"]}}},
   {"address":"aws_s3_bucket.logs","mode":"managed","type":"aws_s3_bucket","name":"logs","expressions":{"bucket":{"references":["var.env"]},"tags":{"references":["var.tags"]}}},
   {"address":"aws_iam_role.task","mode":"managed","type":"aws_iam_role","name":"task","expressions":{"tags":{"references":["var.tags"]}}},
   {"address":"aws_lambda_function.hook","mode":"managed","type":"aws_lambda_function","name":"hook","expressions":{"memory_size":{"references":["var.env"]},"environment":[{"variables":{"references":["var.env"]}}],"tags":{"references":["var.tags"]}}},
   {"address":"data.aws_ami.base","mode":"data","type":"aws_ami","name":"base","expressions":{"most_recent":{"constant_value":true}}}]}},
 "db":{"source":"./modules/db","for_each_expression":{"references":["var.services"]},"expressions":{"instance_class":{"references":["var.db_class"]},"password":{"references":["var.db_password"]},"env":{"references":["var.env"]}},
  "module":{"variables":{"instance_class":{},"password":{"sensitive":true},"env":{}},"resources":[
   {"address":"aws_db_instance.main","mode":"managed","type":"aws_db_instance","name":"main","expressions":{"instance_class":{"references":["var.instance_class"]},"password":{"references":["var.password"]},"identifier":{"references":["var.env"]},"tags":{"references":["var.env"]}}},
   {"address":"aws_db_parameter_group.main","mode":"managed","type":"aws_db_parameter_group","name":"main","expressions":{"tags":{"references":["var.env"]}}}]}}}}}"#;

/// Writes the plan of `a` (the original shape: few, large resource changes).
pub(crate) fn run(a: &Args) -> Result<(), String> {
    let env = a.env.as_str();
    let target = a.size_mb.map(|m| m << 20);
    // Each resource costs about the same in all three sections; size the count from a sample,
    // the same for every environment so that plan and baseline hold the same resources.
    let n = match (a.resources, target) {
        (Some(n), _) => n,
        (None, Some(bytes)) => {
            let mut sample = String::new();
            let mut per = 0u64;
            for i in 0..1200 {
                let r = resource(a.seed, i);
                sample.clear();
                change_entry(&mut sample, &r, "prod");
                state_entry(&mut sample, &r, "prod", true);
                state_entry(&mut sample, &r, "prod", false);
                per += sample.len() as u64 + 3;
            }
            (bytes * 1200 / per.max(1)).max(1)
        }
        (None, None) => 0,
    };
    let mut w = open_out(a)?;
    let io = |e: std::io::Error| e.to_string();
    let services = n.div_ceil(BLOCK);
    let (itype, db_class) = if env == "prod" {
        ("m5.large", "db.r6g.large")
    } else {
        ("t3.medium", "db.t4g.medium")
    };
    write!(
        w,
        "{{\"format_version\":\"1.2\",\"terraform_version\":\"1.9.8\",\"variables\":{{\"env\":{{\"value\":\"{env}\"}},\"instance_type\":{{\"value\":\"{itype}\"}},\"db_class\":{{\"value\":\"{db_class}\"}},\"db_password\":{{\"value\":\"gen-root-password-{env}\"}},\"services\":{{\"value\":{services}}}}},"
    )
    .map_err(io)?;
    let mut buf = String::with_capacity(1 << 16);
    let mut section = |w: &mut BufWriter<Box<dyn Write>>,
                       head: &str,
                       tail: &str,
                       each: &dyn Fn(&mut String, &Res)|
     -> Result<(), String> {
        w.write_all(head.as_bytes()).map_err(io)?;
        let mut first = true;
        for i in 0..n {
            let r = resource(a.seed, i);
            buf.clear();
            each(&mut buf, &r);
            if buf.is_empty() {
                continue;
            }
            if !first {
                w.write_all(b",").map_err(io)?;
            }
            first = false;
            w.write_all(buf.as_bytes()).map_err(io)?;
        }
        w.write_all(tail.as_bytes()).map_err(io)
    };
    section(
        &mut w,
        "\"planned_values\":{\"root_module\":{\"resources\":[",
        "]}},",
        &|o, r| {
            if !matches!(r.act, Act::Delete | Act::Forget) {
                state_entry(o, r, env, true)
            }
        },
    )?;
    section(&mut w, "\"resource_changes\":[", "],", &|o, r| {
        change_entry(o, r, env)
    })?;
    w.write_all(b"\"output_changes\":{\"endpoint\":{\"actions\":[\"no-op\"],\"before\":\"https://example\",\"after\":\"https://example\",\"after_unknown\":false,\"before_sensitive\":false,\"after_sensitive\":false}},")
        .map_err(io)?;
    section(&mut w, "\"prior_state\":{\"format_version\":\"1.0\",\"terraform_version\":\"1.9.8\",\"values\":{\"root_module\":{\"resources\":[", "]}}},", &|o, r| {
        if r.act != Act::Create {
            state_entry(o, r, env, false)
        }
    })?;
    writeln!(w, "\"configuration\":{CONFIGURATION},\"timestamp\":\"2026-01-01T00:00:00Z\",\"complete\":true}}").map_err(io)?;
    w.flush().map_err(io)?;
    eprintln!("gen_plan: {n} resource changes ({services} services), env {env}");
    Ok(())
}
