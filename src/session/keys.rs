//! Keys to the bytes a remote terminal expects (xterm conventions): Enter
//! is `\r`, arrows follow the remote's application-cursor mode (DECCKM, as
//! the vt100 parser tracks it), Ctrl-letters are control characters, Alt
//! prefixes ESC.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The bytes for `k`; `app_cursor` is the remote's DECCKM state. `None` for
/// keys a terminal has no encoding for.
pub fn key_bytes(k: KeyEvent, app_cursor: bool) -> Option<Vec<u8>> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let alt = k.modifiers.contains(KeyModifiers::ALT);
    let arrow = |c: u8| {
        if app_cursor {
            vec![0x1b, b'O', c]
        } else {
            vec![0x1b, b'[', c]
        }
    };
    let tilde = |n: &str| format!("\x1b[{n}~").into_bytes();
    let mut out = match k.code {
        KeyCode::Char(c) if ctrl => {
            let b = match c.to_ascii_lowercase() {
                c @ 'a'..='z' => c as u8 - b'a' + 1,
                ' ' | '@' | '2' => 0,
                '[' | '3' => 0x1b,
                '\\' | '4' => 0x1c,
                ']' | '5' => 0x1d,
                '^' | '6' => 0x1e,
                '_' | '7' | '/' => 0x1f,
                '8' | '?' => 0x7f,
                _ => return None,
            };
            vec![b]
        }
        KeyCode::Char(c) => c.to_string().into_bytes(),
        KeyCode::Enter => vec![b'\r'],
        KeyCode::Tab => vec![b'\t'],
        KeyCode::BackTab => b"\x1b[Z".to_vec(),
        KeyCode::Backspace => vec![0x7f],
        KeyCode::Esc => vec![0x1b],
        KeyCode::Up => arrow(b'A'),
        KeyCode::Down => arrow(b'B'),
        KeyCode::Right => arrow(b'C'),
        KeyCode::Left => arrow(b'D'),
        KeyCode::Home => arrow(b'H'),
        KeyCode::End => arrow(b'F'),
        KeyCode::Insert => tilde("2"),
        KeyCode::Delete => tilde("3"),
        KeyCode::PageUp => tilde("5"),
        KeyCode::PageDown => tilde("6"),
        KeyCode::F(n @ 1..=4) => vec![0x1b, b'O', b'P' + n - 1],
        KeyCode::F(n) => tilde(match n {
            5 => "15",
            6 => "17",
            7 => "18",
            8 => "19",
            9 => "20",
            10 => "21",
            11 => "23",
            12 => "24",
            _ => return None,
        }),
        _ => return None,
    };
    if alt {
        out.insert(0, 0x1b);
    }
    Some(out)
}

/// Pasted text as the remote expects it: wrapped in bracketed-paste marks
/// when the remote turned that mode on, line ends as `\r`.
pub fn paste_bytes(text: &str, bracketed: bool) -> Vec<u8> {
    // Control characters other than tab and line ends are dropped: an ESC
    // in the clipboard could end the bracketed paste and run the rest.
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let body = clean.replace("\r\n", "\r").replace('\n', "\r");
    if bracketed {
        format!("\x1b[200~{body}\x1b[201~").into_bytes()
    } else {
        body.into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_follow_xterm() {
        let n = KeyModifiers::NONE;
        assert_eq!(
            key_bytes(k(KeyCode::Char('a'), n), false),
            Some(b"a".to_vec())
        );
        assert_eq!(key_bytes(k(KeyCode::Enter, n), false), Some(b"\r".to_vec()));
        assert_eq!(
            key_bytes(k(KeyCode::Char('c'), KeyModifiers::CONTROL), false),
            Some(vec![3])
        );
        assert_eq!(
            key_bytes(k(KeyCode::Char('d'), KeyModifiers::CONTROL), false),
            Some(vec![4])
        );
        assert_eq!(
            key_bytes(k(KeyCode::Up, n), false),
            Some(b"\x1b[A".to_vec())
        );
        assert_eq!(
            key_bytes(k(KeyCode::Up, n), true),
            Some(b"\x1bOA".to_vec()),
            "DECCKM"
        );
        assert_eq!(
            key_bytes(k(KeyCode::Char('x'), KeyModifiers::ALT), false),
            Some(b"\x1bx".to_vec())
        );
        assert_eq!(
            key_bytes(k(KeyCode::F(1), n), false),
            Some(b"\x1bOP".to_vec())
        );
        assert_eq!(
            key_bytes(k(KeyCode::F(12), n), false),
            Some(b"\x1b[24~".to_vec())
        );
        assert_eq!(
            key_bytes(k(KeyCode::Char('é'), n), false),
            Some("é".as_bytes().to_vec())
        );
        assert_eq!(
            key_bytes(k(KeyCode::Char('5'), KeyModifiers::CONTROL), false),
            Some(vec![0x1d])
        );
    }

    #[test]
    fn paste_is_bracketed_when_asked() {
        assert_eq!(paste_bytes("a\nb", false), b"a\rb".to_vec());
        assert_eq!(paste_bytes("ls", true), b"\x1b[200~ls\x1b[201~".to_vec());
        assert_eq!(
            paste_bytes("a\x1b[201~\rrm -rf ~\r", true),
            b"\x1b[200~a[201~\rrm -rf ~\r\x1b[201~".to_vec(),
            "an ESC in the clipboard cannot end the paste"
        );
    }
}
