//! Incremental server-sent-events framing (the parts of the WHATWG spec upstreams use).
//!
//! Bytes go in as they arrive, split anywhere (inside a line, inside a multi-byte UTF-8
//! character); complete events come out. An unfinished line waits for more bytes.

use llmux_types::{Error, ErrorKind};

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, if the event had one.
    pub event: Option<String>,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
}

/// Stateful SSE parser.
#[derive(Debug, Default)]
pub struct SseParser {
    /// Bytes after the last complete line.
    pending: Vec<u8>,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds bytes; appends every event completed by them to `out`.
    pub fn feed(&mut self, bytes: &[u8], out: &mut Vec<SseEvent>) -> Result<(), Error> {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(pos) = memchr::memchr(b'\n', &self.pending[start..]) {
            let end = start + pos;
            let mut line = &self.pending[start..end];
            if let [rest @ .., b'\r'] = line {
                line = rest;
            }
            let line = std::str::from_utf8(line).map_err(|e| {
                Error::new(ErrorKind::Api, format!("upstream stream is not UTF-8: {e}"))
            })?;
            Self::take_line(&mut self.event, &mut self.data, line, out);
            start = end + 1;
        }
        self.pending.drain(..start);
        Ok(())
    }

    /// End of body: a final event without its blank line is still dispatched; a cut-off
    /// line is an error.
    pub fn finish(&mut self, out: &mut Vec<SseEvent>) -> Result<(), Error> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            let line = std::str::from_utf8(&rest).map_err(|e| {
                Error::new(ErrorKind::Api, format!("upstream stream is not UTF-8: {e}"))
            })?;
            let line = line.trim_end_matches('\r');
            Self::take_line(&mut self.event, &mut self.data, line, out);
        }
        Self::take_line(&mut self.event, &mut self.data, "", out);
        Ok(())
    }

    fn take_line(
        event: &mut Option<String>,
        data: &mut Option<String>,
        line: &str,
        out: &mut Vec<SseEvent>,
    ) {
        if line.is_empty() {
            if let Some(d) = data.take() {
                out.push(SseEvent {
                    event: event.take(),
                    data: d,
                });
            } else {
                *event = None;
            }
            return;
        }
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => match data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => *data = Some(value.to_owned()),
            },
            "event" => *event = Some(value.to_owned()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(body: &[u8], cuts: &[usize]) -> Vec<SseEvent> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        let mut last = 0;
        for &c in cuts {
            p.feed(&body[last..c], &mut out).unwrap();
            last = c;
        }
        p.feed(&body[last..], &mut out).unwrap();
        p.finish(&mut out).unwrap();
        out
    }

    const BODY: &[u8] = "event: message_start\r\ndata: {\"t\":\"h\u{e9}llo \u{1f600}\"}\r\n\r\n: comment\ndata: a\ndata: b\n\ndata: [DONE]\n\n".as_bytes();

    #[test]
    fn parses_events_fields_and_multiline_data() {
        let events = parse_in_pieces(BODY, &[]);
        assert_eq!(events.len(), 3);
        assert_eq!(events[0].event.as_deref(), Some("message_start"));
        assert_eq!(events[0].data, "{\"t\":\"h\u{e9}llo \u{1f600}\"}");
        assert_eq!(events[1].data, "a\nb");
        assert_eq!(events[2].data, "[DONE]");
    }

    #[test]
    fn every_split_position_gives_the_same_events() {
        let whole = parse_in_pieces(BODY, &[]);
        for cut in 0..=BODY.len() {
            assert_eq!(parse_in_pieces(BODY, &[cut]), whole, "cut at {cut}");
        }
        for a in 0..BODY.len() {
            let b = (a + 7).min(BODY.len());
            assert_eq!(parse_in_pieces(BODY, &[a, b]), whole, "cuts at {a},{b}");
        }
    }

    #[test]
    fn last_event_without_blank_line_is_dispatched() {
        let events = parse_in_pieces(b"data: x", &[]);
        assert_eq!(
            events,
            vec![SseEvent {
                event: None,
                data: "x".into()
            }]
        );
    }
}
