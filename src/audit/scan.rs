//! A byte scanner over JSON that finds values without building them: the
//! HAR reader uses it to walk down to `log.entries` and to cut out one
//! entry at a time, so a 1 GiB file is read in bounded memory.
//!
//! It checks only what it must to find where a value ends (strings with
//! their escapes, nesting); whatever it cuts out is parsed by serde_json,
//! which finds every other syntax error.

use std::io::{self, Read};

/// Why scanning stopped.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// Reading the file failed.
    Io(io::Error),
    /// The file ended inside a value.
    Eof,
    /// Something other than what the structure needs, at a byte offset.
    Unexpected {
        /// What was expected.
        expected: &'static str,
        /// What was found (a byte, shown escaped).
        found: String,
        /// Byte offset in the file.
        offset: u64,
    },
}

impl From<io::Error> for ScanError {
    fn from(e: io::Error) -> Self {
        ScanError::Io(e)
    }
}

/// How a captured value ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Captured {
    /// Whole, in the buffer.
    Whole,
    /// Longer than the cap: skipped, the buffer holds its start only.
    OverCap,
}

pub(crate) struct Scanner<R> {
    reader: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
}

const CHUNK: usize = 256 * 1024;

/// Nesting levels whose bracket kinds are checked.
const MAX_TRACKED: usize = 256;

impl<R: Read> Scanner<R> {
    pub(crate) fn new(reader: R) -> Self {
        Scanner {
            reader,
            buf: vec![0; CHUNK].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
        }
    }

    /// File offset of the next byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Makes at least one byte available; false at the end of the file.
    fn fill(&mut self) -> io::Result<bool> {
        if self.pos < self.end {
            return Ok(true);
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
        loop {
            match self.reader.read(&mut self.buf) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.end = n;
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The next byte that is not JSON whitespace (a UTF-8 byte order mark
    /// at the very start is skipped too: Windows tools write one), without
    /// consuming it; `None` at the end of the file.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>, ScanError> {
        loop {
            if !self.fill()? {
                return Ok(None);
            }
            let b = self.buf[self.pos];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                0xEF if self.offset() == 0 => {
                    // The BOM is EF BB BF; a file is never valid JSON
                    // starting with EF otherwise.
                    self.pos += 1;
                    for _ in 0..2 {
                        if self.fill()? {
                            self.pos += 1;
                        }
                    }
                }
                _ => return Ok(Some(b)),
            }
        }
    }

    /// Consumes the next non-whitespace byte, which must be `want`.
    pub(crate) fn expect(&mut self, want: u8, expected: &'static str) -> Result<(), ScanError> {
        match self.peek()? {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => Err(self.unexpected(expected, b)),
            None => Err(ScanError::Eof),
        }
    }

    /// Consumes one byte (after a [`Scanner::peek`]).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    pub(crate) fn unexpected(&self, expected: &'static str, b: u8) -> ScanError {
        ScanError::Unexpected {
            expected,
            found: std::ascii::escape_default(b).to_string(),
            offset: self.offset(),
        }
    }

    /// Reads an object key (a string) into `out`, raw (escapes are kept as
    /// written: the keys the reader looks for have none). Keeps at most
    /// 256 bytes: longer keys are not the ones looked for.
    pub(crate) fn key(&mut self, out: &mut Vec<u8>) -> Result<(), ScanError> {
        out.clear();
        self.expect(b'"', "a string key")?;
        let mut escaped = false;
        loop {
            if !self.fill()? {
                return Err(ScanError::Eof);
            }
            let b = self.buf[self.pos];
            self.pos += 1;
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                return Ok(());
            }
            if out.len() < 256 {
                out.push(b);
            }
        }
    }

    /// Skips the next value; when `capture` is given, copies it there
    /// unless it grows past `cap` bytes (then the value is still skipped
    /// to its end, and [`Captured::OverCap`] says the copy is partial).
    pub(crate) fn value(
        &mut self,
        mut capture: Option<&mut Vec<u8>>,
        cap: usize,
    ) -> Result<Captured, ScanError> {
        if let Some(c) = capture.as_deref_mut() {
            c.clear();
        }
        let first = self.peek()?.ok_or(ScanError::Eof)?;
        let mut over = false;
        // Open brackets, innermost last: a closer that does not match ends
        // the value there (serde_json then says what is wrong), so one
        // broken entry does not swallow the ones after it. Beyond
        // MAX_TRACKED levels only the depth is counted (serde_json refuses
        // that nesting anyway).
        let mut open: Vec<u8> = Vec::new();
        let mut deeper: u64 = 0;
        let mut in_string = false;
        let mut escaped = false;
        // A scalar (number, true, false, null) ends before a delimiter.
        let scalar = !matches!(first, b'{' | b'[' | b'"');
        loop {
            if !self.fill()? {
                if scalar {
                    return Ok(Captured::Whole);
                }
                return Err(ScanError::Eof);
            }
            let start = self.pos;
            let chunk = &self.buf[start..self.end];
            let mut done_at = None;
            let mut i = 0;
            while i < chunk.len() {
                if in_string {
                    // Fast path: jump to the next quote or backslash.
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    match chunk[i..].iter().position(|&b| b == b'"' || b == b'\\') {
                        // The rest of the chunk is inside the string.
                        None => break,
                        Some(k) => {
                            i += k;
                            if chunk[i] == b'\\' {
                                escaped = true;
                            } else {
                                in_string = false;
                                if open.is_empty() {
                                    done_at = Some(i + 1);
                                    break;
                                }
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                let b = chunk[i];
                if scalar {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        done_at = Some(i);
                        break;
                    }
                    i += 1;
                    continue;
                }
                match b {
                    b'"' => in_string = true,
                    b'{' | b'[' if open.len() < MAX_TRACKED => {
                        open.push(if b == b'{' { b'}' } else { b']' })
                    }
                    b'{' | b'[' => deeper += 1,
                    b'}' | b']' if deeper > 0 => deeper -= 1,
                    b'}' | b']' => match open.pop() {
                        Some(want) if want == b && !open.is_empty() => {}
                        // The outermost bracket closed, or a closer that
                        // does not match (see above): the value ends.
                        _ => {
                            done_at = Some(i + 1);
                            break;
                        }
                    },
                    _ => {}
                }
                i += 1;
            }
            let upto = done_at.unwrap_or(chunk.len());
            if let Some(c) = capture.as_deref_mut()
                && !over
            {
                if c.len() + upto > cap {
                    over = true;
                } else {
                    c.extend_from_slice(&chunk[..upto]);
                }
            }
            self.pos = start + upto;
            if done_at.is_some() {
                return Ok(if over {
                    Captured::OverCap
                } else {
                    Captured::Whole
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<String> {
        let mut s = Scanner::new(text.as_bytes());
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while s.peek().expect("reads").is_some() {
            s.value(Some(&mut buf), 1 << 20).expect("value");
            out.push(String::from_utf8(buf.clone()).expect("utf8"));
            if s.peek().expect("reads") == Some(b',') {
                s.bump();
            }
        }
        out
    }

    #[test]
    fn cuts_values_with_strings_escapes_and_nesting() {
        assert_eq!(
            values(r#"{"a":"}\"]","b":[1,{"c":"\\"}]} , [] ,"x\"y", 12.5e3,true , null"#),
            [
                r#"{"a":"}\"]","b":[1,{"c":"\\"}]}"#,
                "[]",
                r#""x\"y""#,
                "12.5e3",
                "true",
                "null"
            ]
        );
    }

    #[test]
    fn a_mismatched_closer_ends_the_value_so_the_next_one_is_found() {
        assert_eq!(
            values(r#"{"a":[1,}, {"b":2}"#),
            [r#"{"a":[1,}"#, r#"{"b":2}"#]
        );
        assert_eq!(values("[[[]]]"), ["[[[]]]"]);
    }

    #[test]
    fn a_value_over_the_cap_is_skipped_whole() {
        let text = format!("[\"{}\"] 7", "x".repeat(1000));
        let mut s = Scanner::new(text.as_bytes());
        let mut buf = Vec::new();
        assert_eq!(
            s.value(Some(&mut buf), 100).expect("skips"),
            Captured::OverCap
        );
        assert!(buf.len() <= 100);
        s.value(Some(&mut buf), 100).expect("next");
        assert_eq!(buf, b"7");
    }

    #[test]
    fn values_across_chunk_boundaries_and_truncation() {
        // Longer than one chunk, with an escape right at the boundary.
        let mut inner = "a".repeat(CHUNK - 3);
        inner.push_str("\\\"b");
        let text = format!("{{\"k\":\"{inner}\"}}");
        let mut s = Scanner::new(text.as_bytes());
        let mut buf = Vec::new();
        s.value(Some(&mut buf), usize::MAX).expect("whole");
        assert_eq!(buf, text.as_bytes());
        let mut s = Scanner::new(&b"{\"a\": [1, 2"[..]);
        assert!(matches!(s.value(None, 0), Err(ScanError::Eof)));
    }

    #[test]
    fn keys_and_bom() {
        let mut s = Scanner::new(&b"\xEF\xBB\xBF  {\"log\": 1}"[..]);
        s.expect(b'{', "{").expect("after the BOM");
        let mut k = Vec::new();
        s.key(&mut k).expect("key");
        assert_eq!(k, b"log");
        assert_eq!(s.offset(), 11, "BOM, spaces, brace, quoted key");
    }
}
