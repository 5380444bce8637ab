//! Recognisers for values whose difference is only a matter of size: cloud machine types within one
//! family, storage and memory sizes, durations, CPU amounts. Each recogniser returns what the value
//! *is* (the family) and how big it is, so two values of one family differ in quantity only.

/// A machine/instance type split into the part that decides what is built (the family) and the
/// part that only scales it (the size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineType {
    pub cloud: &'static str,
    pub family: String,
    pub size: String,
}

const AWS_SIZES: &[&str] = &[
    "nano", "micro", "small", "medium", "large", "xlarge", "metal",
];

fn is_aws_size(seg: &str) -> bool {
    AWS_SIZES.contains(&seg)
        || seg
            .strip_suffix("xlarge")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        || seg
            .strip_prefix("metal-")
            .is_some_and(|n| n.ends_with("xl"))
}

/// AWS: `t3.small`, `m6i.2xlarge`, `db.r6g.large`, `cache.t4g.micro`, `r6g.large.search`.
fn aws(value: &str) -> Option<MachineType> {
    let segs: Vec<&str> = value.split('.').collect();
    if segs.len() < 2 || segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    let pos = segs.iter().position(|s| is_aws_size(s))?;
    let family: Vec<&str> = segs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != pos)
        .map(|(_, s)| *s)
        .collect();
    let class = family
        .iter()
        .find(|s| !matches!(**s, "db" | "cache" | "search" | "elasticsearch"))?;
    // The instance class itself looks like `t3`, `r6g`, `m7i-flex`: a letter then a digit.
    let mut chars = class.chars();
    if !(chars.next()?.is_ascii_lowercase() && class.chars().any(|c| c.is_ascii_digit())) {
        return None;
    }
    Some(MachineType {
        cloud: "aws",
        family: family.join("."),
        size: segs[pos].to_string(),
    })
}

const GCP_SIZE_WORDS: &[&str] = &["micro", "small", "medium"];

/// GCP: `e2-standard-2`, `n2-highmem-8`, `e2-micro`, `db-custom-2-7680`, `db-n1-standard-4`.
fn gcp(value: &str) -> Option<MachineType> {
    let segs: Vec<&str> = value.split('-').collect();
    if segs.len() < 2 || segs.iter().any(|s| s.is_empty()) {
        return None;
    }
    let mut cut = segs.len();
    while cut > 1
        && (segs[cut - 1].chars().all(|c| c.is_ascii_digit())
            || GCP_SIZE_WORDS.contains(&segs[cut - 1]))
    {
        cut -= 1;
    }
    if cut == segs.len() || cut == 0 {
        return None;
    }
    let family = segs[..cut].join("-");
    // Families start with a series like `e2`, `n2d`, `c3`, `f1`, `g1`, or are Cloud SQL's `db-...`.
    let first = segs[0];
    let series = first.len() <= 4
        && first.starts_with(|c: char| c.is_ascii_lowercase())
        && first.chars().any(|c| c.is_ascii_digit());
    if !(series || first == "db") {
        return None;
    }
    Some(MachineType {
        cloud: "gcp",
        family,
        size: segs[cut..].join("-"),
    })
}

/// Azure: `Standard_D2s_v5`, `Standard_E16ds_v4`, `Standard_B1ms`, `GP_Standard_D4s_v3`,
/// `Standard_M64-32ms`. The series letters and the version decide the family; the vCPU count
/// (and the constrained-core suffix) is the size; feature letters (`s`, `d`, `m`) stay in the
/// family because they change what the machine can attach.
fn azure(value: &str) -> Option<MachineType> {
    let (tier, rest) = match value.split_once("Standard_") {
        Some((tier, rest)) if tier.is_empty() || tier.ends_with('_') => (tier, rest),
        _ => value.split_once("Basic_").map(|(_, r)| ("Basic_", r))?,
    };
    let (name, version) = match rest.split_once('_') {
        Some((n, v)) => (n, Some(v)),
        None => (rest, None),
    };
    let series_len = name.find(|c: char| c.is_ascii_digit())?;
    if series_len == 0 {
        return None;
    }
    let series = &name[..series_len];
    let after = &name[series_len..];
    let size_len = after
        .find(|c: char| !(c.is_ascii_digit() || c == '-'))
        .unwrap_or(after.len());
    let size = &after[..size_len];
    let features = &after[size_len..];
    if size.is_empty() || !features.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    let version = version.map(|v| format!("_{v}")).unwrap_or_default();
    Some(MachineType {
        cloud: "azure",
        family: format!("{tier}Standard_{series}*{features}{version}"),
        size: size.to_string(),
    })
}

pub fn machine_type(value: &str) -> Option<MachineType> {
    azure(value).or_else(|| aws(value)).or_else(|| gcp(value))
}

/// A storage, memory or bandwidth amount in bytes: `20GB`, `100Gi`, `512MiB`, `1T`.
pub fn byte_size(value: &str) -> Option<f64> {
    let v = value.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let unit = unit.trim();
    let k: f64 = match unit {
        "B" => 1.0,
        "K" | "KB" | "kB" => 1e3,
        "M" | "MB" => 1e6,
        "G" | "GB" => 1e9,
        "T" | "TB" => 1e12,
        "P" | "PB" => 1e15,
        "Ki" | "KiB" => 1024.0,
        "Mi" | "MiB" => 1024f64.powi(2),
        "Gi" | "GiB" => 1024f64.powi(3),
        "Ti" | "TiB" => 1024f64.powi(4),
        "Pi" | "PiB" => 1024f64.powi(5),
        _ => return None,
    };
    Some(n * k)
}

/// A duration or a CPU amount: `30s`, `5m`, `2h`, `1d`, `500ms`, `250m` (millicores).
pub fn small_unit_amount(value: &str) -> Option<f64> {
    let v = value.trim();
    let split = v.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = v.split_at(split);
    let n: f64 = num.parse().ok()?;
    let k = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    Some(n * k)
}

/// Cloud regions and zones: `us-east-1`, `eu-west-1a`, `us-gov-west-1`, `europe-west4`,
/// `us-central1-b`. (Azure's `westeurope` is only recognised through the variable's name.)
pub fn is_region(value: &str) -> bool {
    let segs: Vec<&str> = value.split('-').collect();
    let alpha = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
    let aws_tail = |s: &str| {
        let digits = s.trim_end_matches(|c: char| c.is_ascii_lowercase());
        !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && s.len() - digits.len() <= 1
    };
    let gcp_region = |s: &str| {
        let letters = s.trim_end_matches(|c: char| c.is_ascii_digit());
        alpha(letters) && letters.len() < s.len()
    };
    const AWS_GEO: &[&str] = &["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn"];
    const GCP_GEO: &[&str] = &[
        "us",
        "europe",
        "asia",
        "australia",
        "northamerica",
        "southamerica",
        "me",
        "africa",
    ];
    match segs.as_slice() {
        [geo, dir, n] if AWS_GEO.contains(geo) && alpha(dir) && aws_tail(n) => true,
        [geo, "gov", dir, n] if AWS_GEO.contains(geo) && alpha(dir) && aws_tail(n) => true,
        [geo, r] if GCP_GEO.contains(geo) && gcp_region(r) => true,
        [geo, r, zone] => GCP_GEO.contains(geo) && gcp_region(r) && zone.len() == 1 && alpha(zone),
        _ => false,
    }
}

/// Version strings: `14.7`, `v1.29.2`, `8.0.35`, `15`. Only used when the variable's name says it
/// is a version, or the value has two dots or a `v` prefix (so `1.5` stays a plain number).
pub fn looks_like_version(value: &str) -> bool {
    let v = value.strip_prefix('v').unwrap_or(value);
    let core = v.split(['-', '+']).next().unwrap_or(v);
    !core.is_empty()
        && core
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
}

/// IPv4 CIDR blocks: `10.0.0.0/16`. Returns the prefix length.
pub fn cidr_prefix(value: &str) -> Option<u8> {
    let (addr, prefix) = value.split_once('/')?;
    let octets: Vec<&str> = addr.split('.').collect();
    if octets.len() != 4 || !octets.iter().all(|o| o.parse::<u8>().is_ok()) {
        return None;
    }
    prefix.parse::<u8>().ok().filter(|p| *p <= 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fam(v: &str) -> Option<(String, String)> {
        machine_type(v).map(|m| (m.family, m.size))
    }

    #[test]
    fn machine_families() {
        assert_eq!(fam("t3.small"), Some(("t3".into(), "small".into())));
        assert_eq!(fam("t3.xlarge"), Some(("t3".into(), "xlarge".into())));
        assert_eq!(
            fam("db.r6g.2xlarge"),
            Some(("db.r6g".into(), "2xlarge".into()))
        );
        assert_eq!(
            fam("db.t4g.medium"),
            Some(("db.t4g".into(), "medium".into()))
        );
        assert_eq!(
            fam("cache.t4g.micro"),
            Some(("cache.t4g".into(), "micro".into()))
        );
        assert_eq!(
            fam("r6g.large.search"),
            Some(("r6g.search".into(), "large".into()))
        );
        assert_eq!(
            fam("e2-standard-2"),
            Some(("e2-standard".into(), "2".into()))
        );
        assert_eq!(fam("e2-micro"), Some(("e2".into(), "micro".into())));
        assert_eq!(
            fam("db-custom-2-7680"),
            Some(("db-custom".into(), "2-7680".into()))
        );
        assert_eq!(
            fam("Standard_D2s_v5"),
            Some(("Standard_D*s_v5".into(), "2".into()))
        );
        assert_eq!(
            fam("Standard_D8s_v5"),
            Some(("Standard_D*s_v5".into(), "8".into()))
        );
        assert_eq!(
            fam("GP_Standard_D4s_v3"),
            Some(("GP_Standard_D*s_v3".into(), "4".into()))
        );
        assert_eq!(
            fam("Standard_B1ms"),
            Some(("Standard_B*ms".into(), "1".into()))
        );
        assert_eq!(fam("us-east-1"), None);
        assert_eq!(fam("postgres"), None);
        assert_eq!(fam("my.large"), None);
        assert_eq!(fam("app-2"), None);
    }

    #[test]
    fn sizes_durations_regions_versions() {
        assert_eq!(byte_size("20GB"), Some(20e9));
        assert_eq!(byte_size("100Gi"), Some(100.0 * 1024f64.powi(3)));
        assert_eq!(byte_size("20 GB"), Some(20e9));
        assert_eq!(byte_size("20"), None);
        assert_eq!(byte_size("v20GB"), None);
        assert_eq!(small_unit_amount("500m"), Some(30000.0));
        assert_eq!(small_unit_amount("2h"), Some(7200.0));
        for r in [
            "us-east-1",
            "eu-west-1a",
            "us-gov-west-1",
            "europe-west4",
            "us-central1-b",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "e2-standard-2",
            "postgres",
            "prod-db",
            "t3.small",
            "db-custom-2",
            "app-v2",
        ] {
            assert!(!is_region(r), "{r}");
        }
        assert!(
            looks_like_version("14.7")
                && looks_like_version("v1.29.2")
                && looks_like_version("8.0.35-log")
        );
        assert!(!looks_like_version("latest"));
        assert_eq!(cidr_prefix("10.0.0.0/16"), Some(16));
        assert_eq!(cidr_prefix("10.0.0/16"), None);
    }
}
