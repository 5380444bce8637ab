//! Address globs for the allow-list and type lists. Resource addresses are full of `[`, `]`, `"`
//! and dots, which general-purpose glob syntaxes treat specially; here only `*` (any run of
//! characters, dots included) and `?` (one character) are special, so `aws_instance.web[0]`
//! matches itself and `module.app.*` matches everything inside the module.

pub fn matches(pattern: &str, text: &str) -> bool {
    // Bytes are exact for ASCII, which addresses almost always are; chars otherwise, so `?`
    // still means one character.
    if pattern.is_ascii() && text.is_ascii() {
        wildcard(pattern.as_bytes(), text.as_bytes())
    } else {
        let p: Vec<char> = pattern.chars().collect();
        let t: Vec<char> = text.chars().collect();
        wildcard(&p, &t)
    }
}

fn wildcard<T: Copy + PartialEq + From<u8>>(p: &[T], t: &[T]) -> bool {
    let (star_c, any_c) = (T::from(b'*'), T::from(b'?'));
    // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == star_c => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == any_c || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == star_c)
}

pub fn any_matches(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| matches(p, text))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn star_and_question_mark_only() {
        assert!(matches("module.app.*", "module.app.null_resource.x[\"a\"]"));
        assert!(matches("aws_instance.web[0]", "aws_instance.web[0]"));
        assert!(!matches("aws_instance.web[0]", "aws_instance.web1"));
        assert!(matches("*_db", "null_resource.main_db"));
        assert!(matches("a?c", "abc"));
        assert!(!matches("module.app.*", "module.db.x"));
        assert!(matches("*", ""));
        assert!(matches("module.x[\"ü?\"].*", "module.x[\"üb\"].y"));
        assert!(!matches("a", ""));
    }
}
