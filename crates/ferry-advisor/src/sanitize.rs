//! Model text is untrusted: it is shown in terminals and stored in the ledger, so escape
//! sequences (colour, cursor moves, OSC 8 links, title changes, OSC 52 clipboard writes) and
//! other control characters are removed before it is shown or stored. Newlines and tabs stay.

/// `text` without ANSI/VT escape sequences, C0/C1 control characters (except `\n` and `\t`),
/// bidirectional overrides, or `\r` (which could overwrite a line on screen).
pub fn untrusted_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // C1 CSI / OSC / DCS introduce sequences just as ESC [ / ESC ] / ESC P do.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars<'_>) {
    match chars.next() {
        Some('[') => skip_csi(chars),
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => skip_string(chars),
        // Two-character sequences (ESC c, ESC 7, …), and ESC ( B style charset selections.
        Some('(') | Some(')') | Some('*') | Some('+') | Some('#') => {
            chars.next();
        }
        _ => {}
    }
}

/// CSI: parameters and intermediates, then one final byte in `@`..=`~`.
fn skip_csi(chars: &mut Chars<'_>) {
    for c in chars.by_ref() {
        if ('@'..='~').contains(&c) {
            break;
        }
    }
}

/// OSC/DCS/…: up to BEL or ST (ESC \ or U+009C).
fn skip_string(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::untrusted_text;

    #[test]
    fn escapes_and_controls_are_removed_text_stays() {
        let text = "\u{1b}[31mred\u{1b}[0m \u{1b}]8;;http://evil\u{7}link\u{1b}]8;;\u{7} \
                    \u{1b}]52;c;ZXZpbA==\u{1b}\\clip\r\nnext\tline\u{0}\u{8}\u{202e}x \u{9b}2Jdone é";
        assert_eq!(untrusted_text(text), "red link clip\nnext\tlinex done é");
    }
}
