//! The subunit v1 text protocol: a streaming parser that synthesises the v2
//! packets python-subunit's v1→v2 conversion produces, and a writer.
//!
//! Accepted grammar (what python-subunit's `TestProtocolServer` accepts and
//! stestr repositories contain): `test:`/`testing:`, `success:`/
//! `successful:`, `failure:`, `error:`, `skip:`, `xfail:`, `uxsuccess:`
//! (the colon is optional), `tags:`, `time:` with fractional seconds,
//! `progress:`, bracketed details (`[` … `]`, `" ]"` escaping) and multipart
//! details with hex chunk lengths. Everything else is noise (stdout).

use std::io::{self, Write};

use crate::sink::{Corruption, Progress, Sink};
use crate::v2::{MAX_PACKET_LEN, Packet, PacketStatus, Tags, Timestamp};

/// A line longer than this is processed in pieces (as noise or detail
/// content) so memory stays bounded.
const LINE_LIMIT: usize = MAX_PACKET_LEN;

const TRACEBACK_MIME: &str = "text/x-traceback; charset=\"utf8\"";
const TEXT_MIME: &str = "text/plain; charset=\"utf8\"";

/// A v1 outcome directive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// `success:` / `successful:`.
    Success,
    /// `failure:`.
    Failure,
    /// `error:`.
    Error,
    /// `skip:`.
    Skip,
    /// `xfail:`.
    ExpectedFail,
    /// `uxsuccess:`.
    UnexpectedSuccess,
}

impl Outcome {
    /// The v2 status it maps to (`failure` and `error` both map to `fail`).
    pub fn status(self) -> PacketStatus {
        match self {
            Self::Success => PacketStatus::Success,
            Self::Failure | Self::Error => PacketStatus::Fail,
            Self::Skip => PacketStatus::Skip,
            Self::ExpectedFail => PacketStatus::ExpectedFail,
            Self::UnexpectedSuccess => PacketStatus::UnexpectedSuccess,
        }
    }

    /// The directive keyword the writer uses.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Success => "successful",
            Self::Failure => "failure",
            Self::Error => "error",
            Self::Skip => "skip",
            Self::ExpectedFail => "xfail",
            Self::UnexpectedSuccess => "uxsuccess",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Success => "success",
            other => other.keyword(),
        }
    }

    /// Name and MIME type of simple (bracketed) details.
    fn simple_detail(self) -> (&'static str, &'static str) {
        match self {
            Self::Success => ("message", TEXT_MIME),
            Self::Skip => ("reason", TEXT_MIME),
            _ => ("traceback", TRACEBACK_MIME),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Test,
    Outcome(Outcome),
    Progress,
    Tags,
    Time,
}

#[derive(Debug)]
struct OpenTest {
    id: String,
    /// Test-local tag set, copied from the global one on first change.
    tags: Option<Vec<String>>,
}

#[derive(Debug)]
enum Part {
    LookForContent,
    Name {
        mime: String,
    },
    ChunkLen {
        mime: String,
        name: String,
    },
    Chunk {
        mime: String,
        name: String,
        remaining: u64,
    },
}

#[derive(Debug)]
enum State {
    Outside,
    InTest,
    Simple { outcome: Outcome, any: bool },
    Multipart { outcome: Outcome, part: Part },
}

/// The streaming v1 parser (used by [`crate::Decoder`]).
#[derive(Debug)]
pub(crate) struct V1Parser {
    time: Option<Timestamp>,
    global_tags: Vec<String>,
    test: Option<OpenTest>,
    state: State,
    /// Start of a noise run inside the current feed, and its end.
    noise: Option<(usize, usize)>,
    /// Unconsumed bytes needed before the next feed can progress.
    want: usize,
    /// The id buffer of the last finished test, reused for the next one.
    spare_id: String,
    /// Buffers of removed tags, reused for new ones.
    spare_tags: Vec<String>,
}

impl Default for V1Parser {
    fn default() -> Self {
        Self {
            time: None,
            global_tags: Vec::new(),
            test: None,
            state: State::Outside,
            noise: None,
            want: 0,
            spare_id: String::new(),
            spare_tags: Vec::new(),
        }
    }
}

fn is_ws(b: u8) -> bool {
    // ' ', '\t', '\n', 0x0b, 0x0c, '\r'.
    b == b' ' || (b'\t'..=b'\r').contains(&b)
}

/// Python's `line.split(None, 1)` command recognition: the first token
/// (no leading whitespace, something after it), trailing colons stripped.
/// Returns the command and the label offset `len(token) + 1`.
fn directive(line: &[u8]) -> Option<(Cmd, usize)> {
    // The lines writers emit most: one comparison each. The token ends at
    // the space, so the result is the general rule's.
    let fast = match line.get(..6) {
        Some(b"time: ") => Some((Cmd::Time, 6)),
        Some(b"tags: ") => Some((Cmd::Tags, 6)),
        Some(b"test: ") => Some((Cmd::Test, 6)),
        Some(b"succes") if line.get(6..12) == Some(b"sful: ") => {
            Some((Cmd::Outcome(Outcome::Success), 12))
        }
        _ => None,
    };
    if let Some((cmd, offset)) = fast
        && line.get(offset).is_some_and(|&b| !is_ws(b))
    {
        return Some((cmd, offset));
    }
    let first = *line.first()?;
    if is_ws(first) {
        return None;
    }
    let tok_end = line.iter().position(|&b| is_ws(b)).unwrap_or(line.len());
    if !line[tok_end..].iter().any(|&b| !is_ws(b)) {
        return None;
    }
    let mut cmd = &line[..tok_end];
    while let [rest @ .., b':'] = cmd {
        cmd = rest;
    }
    Some((keyword(cmd)?, tok_end + 1))
}

/// The command a (colon-stripped) token names. Dispatches on the length
/// first, so the common keywords cost one or two comparisons.
fn keyword(cmd: &[u8]) -> Option<Cmd> {
    let c = match (cmd.len(), cmd) {
        (4, b"test") => Cmd::Test,
        (4, b"time") => Cmd::Time,
        (4, b"tags") => Cmd::Tags,
        (7, b"testing") => Cmd::Test,
        (7, b"failure") => Cmd::Outcome(Outcome::Failure),
        (7, b"success") => Cmd::Outcome(Outcome::Success),
        (10, b"successful") => Cmd::Outcome(Outcome::Success),
        (5, b"error") => Cmd::Outcome(Outcome::Error),
        (5, b"xfail") => Cmd::Outcome(Outcome::ExpectedFail),
        (8, b"progress") => Cmd::Progress,
        (9, b"uxsuccess") => Cmd::Outcome(Outcome::UnexpectedSuccess),
        // python-subunit tests `cmd in b'skip'`: any substring matches.
        (0..=4, c) if c.is_empty() || b"skip".windows(c.len()).any(|w| w == c) => {
            Cmd::Outcome(Outcome::Skip)
        }
        _ => return None,
    };
    Some(c)
}

/// Python's `line[offset:-1]`.
fn label(line: &[u8], offset: usize) -> &[u8] {
    let end = line.len().saturating_sub(1);
    line.get(offset..end).unwrap_or(&[])
}

/// The next whitespace-separated word of `s` from `*at`, moving `*at`
/// past it.
fn next_word<'a>(s: &'a [u8], at: &mut usize) -> Option<&'a [u8]> {
    let mut i = *at;
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    let start = i;
    while i < s.len() && !is_ws(s[i]) {
        i += 1;
    }
    *at = i;
    (i > start).then(|| &s[start..i])
}

/// The whitespace-separated words of `s`.
fn words(s: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || next_word(s, &mut at))
}

/// python-subunit's `(tags | added) - removed` over the UTF-8 words of
/// a `tags:` line. Compared as bytes (the set holds only UTF-8); removed
/// tags go to `spare` and new ones reuse its buffers, so a worker tag
/// added and removed around every test costs no allocation.
fn update_tags(set: &mut Vec<String>, words_line: &[u8], spare: &mut Vec<String>) {
    for w in words(words_line) {
        if w.first() == Some(&b'-') || set.iter().any(|t| t.as_bytes() == w) {
            continue;
        }
        // A tag removed lately (a worker tag, around every test) comes back
        // as it was: no validation, no copy.
        if let Some(i) = spare.iter().rposition(|t| t.as_bytes() == w) {
            set.push(spare.swap_remove(i));
            continue;
        }
        let Ok(w) = std::str::from_utf8(w) else {
            continue;
        };
        let mut tag = spare.pop().unwrap_or_default();
        tag.clear();
        tag.push_str(w);
        set.push(tag);
    }
    for w in words(words_line) {
        if let [b'-', gone @ ..] = w {
            while let Some(i) = set.iter().position(|t| t.as_bytes() == gone) {
                let tag = set.remove(i);
                if spare.len() < SPARE_TAGS {
                    spare.push(tag);
                }
            }
        }
    }
}

/// At most this many removed tags are kept for reuse.
const SPARE_TAGS: usize = 16;

/// Parses an ISO 8601 time as python's `iso8601.parse_date` does for the
/// forms subunit writers use: `YYYY-MM-DD[T| ]HH:MM[:SS[.f+]][Z|±HH[:MM]]`.
pub fn parse_time(s: &[u8]) -> Option<Timestamp> {
    match parse_time_utc(s) {
        Some(t) => t,
        None => parse_time_general(s),
    }
}

/// The layout every subunit writer uses, `YYYY-MM-DD HH:MM:SS[.f+]Z`
/// (`T` or space), read on bytes at fixed positions. `None`: not that
/// layout, or a field out of range (the general parser decides);
/// `Some(result)`: exactly what the general parser returns.
fn parse_time_utc(s: &[u8]) -> Option<Option<Timestamp>> {
    let (&b'Z', s) = s.split_last()? else {
        return None;
    };
    if s.len() < 19 {
        return None;
    }
    let (hd, frac) = s.split_at(19);
    let hd: &[u8; 19] = hd.try_into().ok()?;
    if hd[4] != b'-'
        || hd[7] != b'-'
        || !matches!(hd[10], b' ' | b'T')
        || hd[13] != b':'
        || hd[16] != b':'
    {
        return None;
    }
    let d = |i: usize| hd[i].wrapping_sub(b'0');
    let digits = [
        d(0),
        d(1),
        d(2),
        d(3),
        d(5),
        d(6),
        d(8),
        d(9),
        d(11),
        d(12),
        d(14),
        d(15),
        d(17),
        d(18),
    ];
    if digits.iter().fold(0u8, |acc, &v| acc | u8::from(v >= 10)) != 0 {
        return None;
    }
    let d2 = |i: usize| u32::from(d(i)) * 10 + u32::from(d(i + 1));
    let y = d2(0) * 100 + d2(2);
    let (mo, da, h, mi, sec) = (d2(5), d2(8), d2(11), d2(14), d2(17));
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut nanos = 0u32;
    if let Some((&sep, digits)) = frac.split_first() {
        if !matches!(sep, b'.' | b',') || digits.is_empty() {
            return None;
        }
        let mut scale = 1_000_000_000u32;
        for &b in digits {
            let v = b.wrapping_sub(b'0');
            if v >= 10 {
                return None;
            }
            if scale > 1 {
                scale /= 10;
                nanos += u32::from(v) * scale;
            }
        }
    }
    let days = crate::time::days_from_civil(i64::from(y), mo, da);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec);
    Some(
        u32::try_from(secs)
            .ok()
            .map(|secs| Timestamp::new(secs, nanos)),
    )
}

/// [`parse_time`] for every accepted form.
fn parse_time_general(s: &[u8]) -> Option<Timestamp> {
    let s = std::str::from_utf8(s).ok()?.trim();
    let num = |t: &str| -> Option<u32> {
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    let (date, rest) = s.split_at_checked(10)?;
    let mut d = date.split('-');
    let (y, mo, da) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&da) {
        return None;
    }
    let rest = rest.strip_prefix(['T', ' ', 't'])?;
    // Split off the zone.
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (hms, frac) = match clock.split_once(['.', ',']) {
        Some((a, b)) => (a, b),
        None => (clock, ""),
    };
    let mut t = hms.split(':');
    let h = num(t.next()?)?;
    let mi = num(t.next()?)?;
    let sec = match t.next() {
        Some(x) => num(x)?,
        None => 0,
    };
    if t.next().is_some() || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut nanos = 0u32;
    if !frac.is_empty() {
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits = &frac[..frac.len().min(9)];
        nanos = num(digits)? * 10u32.pow(9 - digits.len() as u32);
    }
    let offset_secs: i64 = match zone {
        "" | "Z" | "z" => 0,
        z => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let z = &z[1..];
            let (zh, zm) = match z.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None if z.len() == 4 => (num(&z[..2])?, num(&z[2..])?),
                None => (num(z)?, 0),
            };
            sign * i64::from(zh * 3600 + zm * 60)
        }
    };
    let days = crate::time::days_from_civil(i64::from(y), mo, da);
    let secs = days * 86_400 + i64::from(h * 3600 + mi * 60 + sec) - offset_secs;
    Some(Timestamp::new(u32::try_from(secs).ok()?, nanos))
}

fn parse_progress(line: &[u8], offset: usize) -> Option<Progress> {
    let v = std::str::from_utf8(line.get(offset..)?).ok()?.trim();
    match v {
        "push" => Some(Progress::Push),
        "pop" => Some(Progress::Pop),
        v if v.starts_with(['+', '-']) => v.parse().ok().map(Progress::Cur),
        v => v.parse().ok().map(Progress::Set),
    }
}

impl V1Parser {
    /// At the top level: no test open, no details block, no noise pending.
    pub(crate) fn at_rest(&self) -> bool {
        matches!(self.state, State::Outside) && self.test.is_none() && self.noise.is_none()
    }

    /// Bytes the buffer should hold next, given `left` unconsumed bytes.
    pub(crate) fn wants(&self, left: usize) -> usize {
        self.want.max(left + 1)
    }

    pub(crate) fn feed<S: Sink>(
        &mut self,
        buf: &[u8],
        base: u64,
        eof: bool,
        sink: &mut S,
    ) -> Result<usize, S::Error> {
        let mut pos = 0;
        self.want = 0;
        while pos < buf.len() {
            match std::mem::replace(&mut self.state, State::Outside) {
                State::Multipart {
                    outcome,
                    part:
                        Part::Chunk {
                            mime,
                            name,
                            remaining,
                        },
                } => {
                    // A chunk that fits the line limit is emitted whole, and
                    // carries EOF when the part's terminating `0\r\n`
                    // follows (one packet per single-chunk detail, as
                    // python-subunit emits): wait for those bytes, so the
                    // packets never depend on how the input was split.
                    let avail = (buf.len() - pos) as u64;
                    if !eof && remaining <= LINE_LIMIT as u64 && avail < remaining + 3 {
                        let wait = remaining + 3 - avail;
                        let whole_chunk_here = avail >= remaining;
                        let after = &buf[pos + remaining.min(avail) as usize..];
                        if !whole_chunk_here || b"0\r\n".starts_with(after) {
                            self.want = (buf.len() - pos) + wait as usize;
                            self.state = State::Multipart {
                                outcome,
                                part: Part::Chunk {
                                    mime,
                                    name,
                                    remaining,
                                },
                            };
                            break;
                        }
                    }
                    let take = remaining.min(avail) as usize;
                    let remaining = remaining - take as u64;
                    let after = &buf[pos + take..];
                    let last = remaining == 0 && after.starts_with(b"0\r\n");
                    self.flush_noise(buf, base, sink)?;
                    let r = self.file(
                        sink,
                        base + pos as u64,
                        &mime,
                        &name,
                        &buf[pos..pos + take],
                        last,
                    );
                    self.state = State::Multipart {
                        outcome,
                        part: if last {
                            Part::LookForContent
                        } else if remaining == 0 {
                            Part::ChunkLen { mime, name }
                        } else {
                            Part::Chunk {
                                mime,
                                name,
                                remaining,
                            }
                        },
                    };
                    r?;
                    pos += take + if last { 3 } else { 0 };
                    continue;
                }
                other => self.state = other,
            }
            let end = match memchr::memchr(b'\n', &buf[pos..]) {
                Some(k) => pos + k + 1,
                None if eof || buf.len() - pos >= LINE_LIMIT => buf.len(),
                None => break,
            };
            self.line(buf, base, pos, end, sink)?;
            pos = end;
        }
        self.flush_noise(buf, base, sink)?;
        if eof {
            self.lost_connection(base + pos as u64, sink)?;
        }
        Ok(pos)
    }

    fn state_set_part(&mut self, part: Part) {
        if let State::Multipart { part: p, .. } = &mut self.state {
            *p = part;
        }
    }

    fn flush_noise<S: Sink>(
        &mut self,
        buf: &[u8],
        base: u64,
        sink: &mut S,
    ) -> Result<(), S::Error> {
        if let Some((s, e)) = self.noise.take() {
            sink.noise(base + s as u64, &buf[s..e])?;
        }
        Ok(())
    }

    fn add_noise(&mut self, start: usize, end: usize) {
        self.noise = match self.noise {
            Some((s, e)) if e == start => Some((s, end)),
            _ => Some((start, end)),
        };
    }

    fn tags(&self) -> &[String] {
        match &self.test {
            Some(OpenTest { tags: Some(t), .. }) => t,
            _ => &self.global_tags,
        }
    }

    fn file<S: Sink>(
        &self,
        sink: &mut S,
        offset: u64,
        mime: &str,
        name: &str,
        content: &[u8],
        eof: bool,
    ) -> Result<(), S::Error> {
        let Some(test) = &self.test else {
            return Ok(());
        };
        let mut p = Packet::new(PacketStatus::Undefined)
            .with_test_id(&test.id)
            .with_mime_type(mime)
            .with_file(name, content)
            .with_eof(eof);
        p.timestamp = self.time;
        sink.packet(offset, &p)
    }

    fn status<S: Sink>(
        &self,
        sink: &mut S,
        offset: u64,
        status: PacketStatus,
    ) -> Result<(), S::Error> {
        let Some(test) = &self.test else {
            return Ok(());
        };
        let mut p = Packet::new(status).with_test_id(&test.id);
        p.timestamp = self.time;
        let tags = self.tags();
        if status != PacketStatus::InProgress && !tags.is_empty() {
            p.tags = Some(Tags::from_strings(tags));
        }
        sink.packet(offset, &p)
    }

    fn end_test<S: Sink>(
        &mut self,
        sink: &mut S,
        offset: u64,
        outcome: Outcome,
    ) -> Result<(), S::Error> {
        self.status(sink, offset, outcome.status())?;
        if let Some(test) = self.test.take() {
            self.spare_id = test.id;
        }
        self.state = State::Outside;
        Ok(())
    }

    fn lost_connection<S: Sink>(&mut self, offset: u64, sink: &mut S) -> Result<(), S::Error> {
        let what = match &self.state {
            State::Outside => return Ok(()),
            State::InTest => String::new(),
            State::Simple { outcome, .. } | State::Multipart { outcome, .. } => {
                format!("{} report of ", outcome.label())
            }
        };
        let id = self.test.as_ref().map(|t| t.id.clone()).unwrap_or_default();
        let msg = format!("lost connection during {what}test '{id}'");
        self.file(
            sink,
            offset,
            TRACEBACK_MIME,
            "traceback",
            msg.as_bytes(),
            true,
        )?;
        self.end_test(sink, offset, Outcome::Error)
    }

    fn line<S: Sink>(
        &mut self,
        buf: &[u8],
        base: u64,
        start: usize,
        end: usize,
        sink: &mut S,
    ) -> Result<(), S::Error> {
        let line = &buf[start..end];
        let off = base + start as u64;
        if !matches!(self.state, State::Outside | State::InTest) {
            self.flush_noise(buf, base, sink)?;
        }
        match &mut self.state {
            State::Simple { outcome, any } => {
                let outcome = *outcome;
                let (name, mime) = outcome.simple_detail();
                if line == b"]\n" {
                    if *any {
                        self.file(sink, off, mime, name, b"", true)?;
                    }
                    return self.end_test(sink, off, outcome);
                }
                *any = true;
                let content = if line.starts_with(b" ]") {
                    &line[1..]
                } else {
                    line
                };
                return self.file(sink, off, mime, name, content, false);
            }
            State::Multipart { outcome, part } => {
                let outcome = *outcome;
                let next = match std::mem::replace(part, Part::LookForContent) {
                    Part::LookForContent => {
                        if line == b"]\n" {
                            return self.end_test(sink, off, outcome);
                        }
                        match part_header(line) {
                            Some(mime) => Part::Name { mime },
                            None => {
                                sink.corrupt(off, line, &Corruption::V1Multipart)?;
                                Part::LookForContent
                            }
                        }
                    }
                    Part::Name { mime } => {
                        let name = &line[..line.len() - usize::from(line.ends_with(b"\n"))];
                        match std::str::from_utf8(name) {
                            Ok(name) => Part::ChunkLen {
                                mime,
                                name: name.to_string(),
                            },
                            Err(_) => {
                                sink.corrupt(off, line, &Corruption::V1Multipart)?;
                                Part::LookForContent
                            }
                        }
                    }
                    Part::ChunkLen { mime, name } => match chunk_len(line) {
                        Some(0) => {
                            self.file(sink, off, &mime, &name, b"", true)?;
                            Part::LookForContent
                        }
                        Some(n) => Part::Chunk {
                            mime,
                            name,
                            remaining: n,
                        },
                        None => {
                            sink.corrupt(off, line, &Corruption::V1Multipart)?;
                            if line == b"]\n" {
                                return self.end_test(sink, off, outcome);
                            }
                            Part::LookForContent
                        }
                    },
                    // Chunk bodies are handled byte-wise in `feed`.
                    chunk @ Part::Chunk { .. } => chunk,
                };
                self.state_set_part(next);
                return Ok(());
            }
            State::Outside | State::InTest => {}
        }
        let Some((cmd, offset)) = directive(line) else {
            self.add_noise(start, end);
            return Ok(());
        };
        match cmd {
            Cmd::Test => {
                if self.test.is_some() {
                    self.add_noise(start, end);
                    return Ok(());
                }
                let Ok(id) = std::str::from_utf8(label(line, offset)) else {
                    self.add_noise(start, end);
                    return Ok(());
                };
                self.flush_noise(buf, base, sink)?;
                let mut owned = std::mem::take(&mut self.spare_id);
                owned.clear();
                owned.push_str(id);
                self.test = Some(OpenTest {
                    id: owned,
                    tags: None,
                });
                self.state = State::InTest;
                self.status(sink, off, PacketStatus::InProgress)
            }
            Cmd::Outcome(outcome) => {
                let Some(test) = &self.test else {
                    self.add_noise(start, end);
                    return Ok(());
                };
                let l = label(line, offset);
                let id = test.id.as_bytes();
                if l == id {
                    self.flush_noise(buf, base, sink)?;
                    self.end_test(sink, off, outcome)
                } else if l.strip_prefix(id) == Some(b" [") {
                    self.flush_noise(buf, base, sink)?;
                    self.state = State::Simple {
                        outcome,
                        any: false,
                    };
                    Ok(())
                } else if l.strip_prefix(id) == Some(b" [ multipart") {
                    self.flush_noise(buf, base, sink)?;
                    self.state = State::Multipart {
                        outcome,
                        part: Part::LookForContent,
                    };
                    Ok(())
                } else {
                    self.add_noise(start, end);
                    Ok(())
                }
            }
            Cmd::Tags => {
                self.flush_noise(buf, base, sink)?;
                let words = line.get(offset..).unwrap_or(&[]);
                match &mut self.test {
                    Some(t) => {
                        let set = t.tags.get_or_insert_with(|| self.global_tags.clone());
                        update_tags(set, words, &mut self.spare_tags);
                    }
                    None => update_tags(&mut self.global_tags, words, &mut self.spare_tags),
                }
                Ok(())
            }
            Cmd::Time => {
                self.flush_noise(buf, base, sink)?;
                match parse_time(label(line, offset)) {
                    Some(t) => self.time = Some(t),
                    None => sink.corrupt(off, line, &Corruption::V1Time)?,
                }
                Ok(())
            }
            Cmd::Progress => {
                self.flush_noise(buf, base, sink)?;
                match parse_progress(line, offset) {
                    Some(p) => sink.progress(off, p),
                    None => sink.corrupt(off, line, &Corruption::V1Progress),
                }
            }
        }
    }
}

/// `Content-Type: type/subtype[;params]` → the MIME string.
fn part_header(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let space = memchr::memchr(b' ', line)?;
    if memchr::memchr_iter(b'/', &line[space + 1..]).count() != 1 {
        return None;
    }
    let line = std::str::from_utf8(line).ok()?;
    Some(line[space + 1..].to_string())
}

/// A chunk length line: hex digits then CRLF.
fn chunk_len(line: &[u8]) -> Option<u64> {
    let digits = line.strip_suffix(b"\r\n")?;
    if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}

/// One attachment of a v1 outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detail<'a> {
    /// Attachment name (`traceback`, `reason`, ...).
    pub name: &'a str,
    /// MIME type, `type/subtype[;params]`.
    pub mime_type: &'a str,
    /// Content.
    pub content: &'a [u8],
}

/// Writes the v1 text protocol, as python-subunit's `TestProtocolClient`
/// does (`successful:`, multipart details with uppercase hex chunk lengths
/// of at most 64 KiB, `time:` with microseconds).
#[derive(Debug)]
pub struct V1Writer<W: Write> {
    w: W,
}

impl<W: Write> V1Writer<W> {
    /// A writer over `w`.
    pub fn new(w: W) -> Self {
        Self { w }
    }

    /// The inner writer.
    pub fn into_inner(self) -> W {
        self.w
    }

    /// `time: YYYY-MM-DD HH:MM:SS.ffffffZ`.
    pub fn time(&mut self, t: Timestamp) -> io::Result<()> {
        let s = t.to_string().replacen('T', " ", 1);
        writeln!(self.w, "time: {s}")
    }

    /// `tags: a b -c`.
    pub fn tags(&mut self, added: &[&str], removed: &[&str]) -> io::Result<()> {
        self.w.write_all(b"tags:")?;
        for t in added {
            write!(self.w, " {t}")?;
        }
        for t in removed {
            write!(self.w, " -{t}")?;
        }
        self.w.write_all(b"\n")
    }

    /// `test: ID`.
    pub fn test(&mut self, id: &str) -> io::Result<()> {
        writeln!(self.w, "test: {id}")
    }

    /// `progress: ...`.
    pub fn progress(&mut self, p: Progress) -> io::Result<()> {
        match p {
            Progress::Set(n) => writeln!(self.w, "progress: {n}"),
            Progress::Cur(n) => writeln!(self.w, "progress: {n:+}"),
            Progress::Push => writeln!(self.w, "progress: push"),
            Progress::Pop => writeln!(self.w, "progress: pop"),
        }
    }

    /// An outcome line; with details, a multipart block.
    pub fn outcome(
        &mut self,
        outcome: Outcome,
        id: &str,
        details: Option<&[Detail<'_>]>,
    ) -> io::Result<()> {
        let kw = outcome.keyword();
        let Some(details) = details else {
            return writeln!(self.w, "{kw}: {id}");
        };
        writeln!(self.w, "{kw}: {id} [ multipart")?;
        for d in details {
            writeln!(self.w, "Content-Type: {}", d.mime_type)?;
            writeln!(self.w, "{}", d.name)?;
            for chunk in d.content.chunks(64 * 1024) {
                write!(self.w, "{:X}\r\n", chunk.len())?;
                self.w.write_all(chunk)?;
            }
            self.w.write_all(b"0\r\n")?;
        }
        self.w.write_all(b"]\n")
    }

    /// An outcome with simple (bracketed) details: lines starting with `]`
    /// are escaped with a leading space.
    pub fn outcome_simple(&mut self, outcome: Outcome, id: &str, text: &str) -> io::Result<()> {
        writeln!(self.w, "{}: {id} [", outcome.keyword())?;
        for line in text.split_inclusive('\n') {
            if line.starts_with(']') {
                self.w.write_all(b" ")?;
            }
            self.w.write_all(line.as_bytes())?;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            self.w.write_all(b"\n")?;
        }
        self.w.write_all(b"]\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives() {
        assert_eq!(directive(b"test: a\n"), Some((Cmd::Test, 6)));
        assert_eq!(directive(b"testing a\n"), Some((Cmd::Test, 8)));
        assert_eq!(directive(b"test:\n"), None);
        assert_eq!(directive(b" test: a\n"), None);
        assert_eq!(
            directive(b"successful: a\n"),
            Some((Cmd::Outcome(Outcome::Success), 12))
        );
        assert_eq!(
            directive(b"ki: a\n"),
            Some((Cmd::Outcome(Outcome::Skip), 4))
        );
        assert_eq!(directive(b"hello world\n"), None);
        assert_eq!(label(b"test: abc\n", 5), b" abc");
        assert_eq!(label(b"test: abc\n", 6), b"abc");
    }

    #[test]
    fn times() {
        let t = parse_time(b"2024-01-01 00:00:00.123456Z").expect("parses");
        assert_eq!(t, Timestamp::new(0x6592_0080, 123_456_000));
        assert_eq!(
            parse_time(b"2024-01-01T00:00:00Z"),
            Some(Timestamp::new(0x6592_0080, 0))
        );
        assert_eq!(
            parse_time(b"2024-01-01T02:00:00+02:00"),
            Some(Timestamp::new(0x6592_0080, 0))
        );
        assert_eq!(
            parse_time(b"2024-01-01 00:00"),
            Some(Timestamp::new(0x6592_0080, 0))
        );
        assert_eq!(parse_time(b"yesterday"), None);
        assert_eq!(parse_time(b"1960-01-01 00:00:00Z"), None);
    }

    #[test]
    fn part_headers() {
        assert_eq!(
            part_header(b"Content-Type: text/plain;charset=utf8\n"),
            Some("text/plain;charset=utf8".to_string())
        );
        assert_eq!(part_header(b"Content-Type: a/b c\n"), Some("a/b c".into()));
        assert_eq!(part_header(b"Content-Type: text\n"), None);
        assert_eq!(part_header(b"Content-Type: a/b/c\n"), None);
        assert_eq!(part_header(b"Content-Type:text/plain\n"), None);
        assert_eq!(part_header(b"C\xff: a/b\n"), None);
        assert_eq!(part_header(b"x  a/b"), Some(" a/b".into()));
    }

    #[test]
    fn whitespace_is_pythons_ascii_set() {
        let ws: Vec<u8> = (0..=255u8).filter(|&b| is_ws(b)).collect();
        assert_eq!(ws, [b'\t', b'\n', 0x0b, 0x0c, b'\r', b' ']);
    }

    #[test]
    fn chunk_lengths_are_hex() {
        assert_eq!(chunk_len(b"A\r\n"), Some(10));
        assert_eq!(chunk_len(b"1f\r\n"), Some(31));
        assert_eq!(chunk_len(b"0\r\n"), Some(0));
        assert_eq!(chunk_len(b"A\n"), None);
        assert_eq!(chunk_len(b"xyz\r\n"), None);
    }

    #[test]
    fn tag_updates() {
        let mut set = vec!["a".to_string()];
        let mut spare = Vec::new();
        update_tags(&mut set, b" b -a c\n", &mut spare);
        assert_eq!(set, ["b", "c"]);
        // Added and removed on one line: removed (set difference last).
        update_tags(&mut set, b"d -d b\n", &mut spare);
        assert_eq!(set, ["b", "c"]);
        update_tags(&mut set, b"-c \xff -\xfe -  c e\n", &mut spare);
        assert_eq!(set, ["b", "e"]);
        update_tags(&mut set, b"-e\n", &mut spare);
        assert_eq!(set, ["b"]);
        update_tags(&mut set, "\tw\u{e9} x\x0bb".as_bytes(), &mut spare);
        assert_eq!(set, ["b", "w\u{e9}", "x"]);
        update_tags(&mut set, b"-x\n", &mut spare);
        assert_eq!(spare, ["x"]);
        // A removed tag comes back from the spares.
        update_tags(&mut set, b"x\n", &mut spare);
        assert_eq!(set, ["b", "w\u{e9}", "x"]);
        assert!(spare.is_empty());
        // Spares stay few.
        let many: String = (0..40).map(|i| format!(" t{i}")).collect();
        update_tags(&mut set, many.as_bytes(), &mut spare);
        let gone: String = (0..40).map(|i| format!(" -t{i}")).collect();
        update_tags(&mut set, gone.as_bytes(), &mut spare);
        assert_eq!(set, ["b", "w\u{e9}", "x"]);
        assert_eq!(spare.len(), SPARE_TAGS);
        assert_eq!(
            words(b"  a\tbb \n c").collect::<Vec<_>>(),
            [&b"a"[..], b"bb", b"c"]
        );
        assert_eq!(words(b" \n").count(), 0);
    }

    /// The keyword table before it dispatched on length.
    fn keyword_reference(cmd: &[u8]) -> Option<Cmd> {
        Some(match cmd {
            b"test" | b"testing" => Cmd::Test,
            b"error" => Cmd::Outcome(Outcome::Error),
            b"failure" => Cmd::Outcome(Outcome::Failure),
            b"progress" => Cmd::Progress,
            c if c.is_empty() || b"skip".windows(c.len()).any(|w| w == c) => {
                Cmd::Outcome(Outcome::Skip)
            }
            b"success" | b"successful" => Cmd::Outcome(Outcome::Success),
            b"tags" => Cmd::Tags,
            b"time" => Cmd::Time,
            b"xfail" => Cmd::Outcome(Outcome::ExpectedFail),
            b"uxsuccess" => Cmd::Outcome(Outcome::UnexpectedSuccess),
            _ => return None,
        })
    }

    /// The directive rule without the fast paths.
    fn directive_reference(line: &[u8]) -> Option<(Cmd, usize)> {
        let first = *line.first()?;
        if is_ws(first) {
            return None;
        }
        let tok_end = line.iter().position(|&b| is_ws(b)).unwrap_or(line.len());
        if !line[tok_end..].iter().any(|&b| !is_ws(b)) {
            return None;
        }
        let mut cmd = &line[..tok_end];
        while let [rest @ .., b':'] = cmd {
            cmd = rest;
        }
        Some((keyword_reference(cmd)?, tok_end + 1))
    }

    #[test]
    fn fast_directives_equal_the_general_rule() {
        for kw in [
            "time",
            "tags",
            "test",
            "successful",
            "success",
            "skip",
            "testing",
        ] {
            for sep in [": ", ":", " ", ":: ", ":\t", ": \t"] {
                for rest in ["", "x", "x\n", " \n", "\n", "a b\n", " a\n", "\u{a0}\n"] {
                    let line = format!("{kw}{sep}{rest}");
                    assert_eq!(
                        directive(line.as_bytes()),
                        directive_reference(line.as_bytes()),
                        "{line:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn directives_equal_the_general_rule_prop(
            head in proptest::sample::select(vec!["time: ", "tags: ", "test: ", "successful: ", "succes", "sk:", ""]),
            rest in proptest::collection::vec(proptest::sample::select(vec![b' ', b'\t', b'\n', b':', b'a', b's', 0xC2, 0xA0]), 0..8),
        ) {
            let mut line = head.as_bytes().to_vec();
            line.extend(rest);
            proptest::prop_assert_eq!(directive(&line), directive_reference(&line));
        }
    }

    #[test]
    fn keywords_match_the_reference_table() {
        let words: [&[u8]; 24] = [
            b"",
            b"s",
            b"k",
            b"i",
            b"p",
            b"sk",
            b"ki",
            b"ip",
            b"ski",
            b"kip",
            b"skip",
            b"sp",
            b"test",
            b"testing",
            b"error",
            b"failure",
            b"progress",
            b"success",
            b"successful",
            b"tags",
            b"time",
            b"xfail",
            b"uxsuccess",
            b"tests",
        ];
        for w in words {
            assert_eq!(keyword(w), keyword_reference(w), "{w:?}");
            // One byte changed or appended never matches by accident.
            for i in 0..=w.len() {
                let mut v = w.to_vec();
                if i < w.len() {
                    v[i] ^= 0x20;
                } else {
                    v.push(b'x');
                }
                assert_eq!(keyword(&v), keyword_reference(&v), "{v:?}");
            }
        }
    }

    #[test]
    fn fast_times_equal_general_parser() {
        for s in [
            "2024-01-01 00:00:00.123456Z",
            "2024-01-01T00:00:00Z",
            "2024-01-01 00:00:00.Z",
            "2024-01-01 00:00:00,5Z",
            "2024-01-01 00:00:00.1234567891234Z",
            "2024-02-30 23:59:60.999999999Z",
            "2024-13-01 00:00:00Z",
            "2024-00-01 00:00:00Z",
            "2024-01-32 00:00:00Z",
            "2024-01-01 24:00:00Z",
            "2024-01-01 00:60:00Z",
            "2024-01-01 00:00:61Z",
            "0000-01-01 00:00:00Z",
            "1969-12-31 23:59:59Z",
            "2106-02-07 06:28:15Z",
            "2106-02-07 06:28:16Z",
            "9999-12-31 23:59:59Z",
            "2024-01-01t00:00:00Z",
            "2024-01-01 00:00:00.12a4Z",
            "2024-01-01 00:00:0xZ",
            "2024-01-01 00:00:00z",
            "2024/01/01 00:00:00Z",
        ] {
            let fast = parse_time_utc(s.as_bytes());
            let general = parse_time_general(s.as_bytes());
            if let Some(fast) = fast {
                assert_eq!(fast, general, "{s}");
            }
            assert_eq!(parse_time(s.as_bytes()), general, "{s}");
        }
        assert!(parse_time_utc(b"2024-05-01 12:00:00.377408Z").is_some());
    }

    proptest::proptest! {
        #[test]
        fn fast_times_equal_general_parser_prop(
            y in 0u32..10_000, mo in 0u32..14, d in 0u32..33, h in 0u32..26,
            mi in 0u32..62, sec in 0u32..63,
            sep in proptest::sample::select(vec![" ", "T", "t", "_"]),
            frac in "([.,][0-9]{0,12})?",
            zone in proptest::sample::select(vec!["Z", "z", "", "+01:00", "Z\n"]),
        ) {
            let s = format!("{y:04}-{mo:02}-{d:02}{sep}{h:02}:{mi:02}:{sec:02}{frac}{zone}");
            let general = parse_time_general(s.as_bytes());
            if let Some(fast) = parse_time_utc(s.as_bytes()) {
                proptest::prop_assert_eq!(fast, general, "{}", s);
            }
            proptest::prop_assert_eq!(parse_time(s.as_bytes()), general, "{}", s);
        }

        #[test]
        fn fast_times_never_disagree_on_noise(s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            if let Some(fast) = parse_time_utc(&s) {
                proptest::prop_assert_eq!(fast, parse_time_general(&s));
            }
        }
    }
}
