//! Số dòng — the line a CSV row starts on, counted from the file's bytes. The csv crate's
//! own line numbers leave out the blank lines it skips, so a bad row after a blank line
//! would be named a line or two too early; its byte offsets are right, and this reader
//! counts the newlines before them. Blank lines are noted as they pass, so the count can
//! step over those a row's parsing began with.

use std::collections::VecDeque;
use std::io::Read;

/// A reader that notes where its newlines and blank lines are, for the rows read from it.
#[derive(Debug)]
pub(crate) struct CountingLines<R> {
    inner: R,
    /// Bytes read so far.
    read: u64,
    /// Offsets of the newlines not yet passed by a row.
    newlines: VecDeque<u64>,
    /// Offsets of the newlines that end a blank line (empty, or a lone `\r`), not yet passed.
    blank_ends: VecDeque<u64>,
    /// Newlines already passed.
    passed: u64,
    /// The current line holds nothing but perhaps `\r` so far.
    line_is_blank: bool,
}

impl<R: Read> CountingLines<R> {
    pub(crate) fn new(inner: R) -> Self {
        CountingLines {
            inner,
            read: 0,
            newlines: VecDeque::new(),
            blank_ends: VecDeque::new(),
            passed: 0,
            line_is_blank: true,
        }
    }

    /// The 1-based line of a row whose parsing began at `byte`, skipping the blank lines
    /// at its start. Rows are asked for in the order they are read.
    pub(crate) fn line_at(&mut self, byte: u64) -> u64 {
        let mut start = byte;
        while let Some(&end) = self.blank_ends.front() {
            if end < start {
                self.blank_ends.pop_front();
            } else if end == start || end == start + 1 {
                // A blank line where the row's parsing began: the row starts after it.
                self.blank_ends.pop_front();
                start = end + 1;
            } else {
                break;
            }
        }
        while self.newlines.front().is_some_and(|&n| n < start) {
            self.newlines.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }
}

impl<R: Read> Read for CountingLines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            let at = self.read + i as u64;
            match b {
                b'\n' => {
                    self.newlines.push_back(at);
                    if self.line_is_blank {
                        self.blank_ends.push_back(at);
                    }
                    self.line_is_blank = true;
                }
                b'\r' => {}
                _ => self.line_is_blank = false,
            }
        }
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_after_blank_lines_get_the_line_they_are_on() {
        let text = "a,b\n1,2\n\n\n3,4\n\r\n5,6\n   \n7,8\n\"x\ny\",9\n10,11\n";
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(CountingLines::new(text.as_bytes()));
        let mut record = csv::StringRecord::new();
        let mut lines = Vec::new();
        while reader.read_record(&mut record).unwrap() {
            let byte = record.position().map_or(0, |p| p.byte());
            lines.push((record.get(0).unwrap_or("").to_owned(), reader.get_mut().line_at(byte)));
        }
        let expected = [
            ("1", 2),
            ("3", 5),
            ("5", 7),
            ("   ", 8),
            ("7", 9),
            ("x\ny", 10),
            ("10", 12),
        ];
        let expected: Vec<(String, u64)> = expected.iter().map(|(f, l)| ((*f).to_owned(), *l)).collect();
        assert_eq!(lines, expected);
    }
}
