//! PassFort timestamps: `YYYY-MM-DD hh:mm:ss`, no zone, taken as UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};

/// The wire format PassFort documents for `DateTime` fields.
pub const WIRE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a PassFort timestamp. Also accepts fractional seconds, a `T`
/// separator and RFC 3339 offsets, so a small format change upstream does not
/// break decoding.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(time) = parse_wire_format(text) {
        return Some(time);
    }
    for format in [WIRE_FORMAT, "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// `YYYY-MM-DD hh:mm:ss` read digit by digit: the format of nearly every
/// timestamp PassFort sends, several per resource, so worth a fast path.
fn parse_wire_format(text: &str) -> Option<DateTime<Utc>> {
    let bytes = text.as_bytes();
    if bytes.len() != 19 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[10] != b' ' || bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        bytes[range].iter().try_fold(0u32, |total, byte| byte.is_ascii_digit().then(|| total * 10 + u32::from(byte - b'0')))
    };
    let date = NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
    let time = NaiveTime::from_hms_opt(number(11..13)?, number(14..16)?, number(17..19)?)?;
    Some(date.and_time(time).and_utc())
}

/// Formats a time the way PassFort sends it.
pub fn format(time: &DateTime<Utc>) -> String {
    time.format(WIRE_FORMAT).to_string()
}

pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<std::borrow::Cow<'de, str>> = Option::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse(&text)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format_args!("invalid timestamp {text:?}, expected YYYY-MM-DD hh:mm:ss"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_the_documented_format_as_utc() {
        let expected = Utc.with_ymd_and_hms(2020, 3, 18, 14, 33, 23).unwrap();
        assert_eq!(parse("2020-03-18 14:33:23"), Some(expected));
        assert_eq!(parse("2020-03-18T14:33:23.250Z").map(|t| t.timestamp()), Some(expected.timestamp()));
        assert_eq!(parse("18/03/2020"), None);
        assert_eq!(parse("2020-13-18 14:33:23"), None, "month 13");
        assert_eq!(parse("2020-03-18 14:33:6x"), None);
        assert_eq!(parse("2020-02-29 23:59:59").map(|t| t.to_string()), Some("2020-02-29 23:59:59 UTC".into()));
        assert_eq!(format(&expected), "2020-03-18 14:33:23");
    }
}
