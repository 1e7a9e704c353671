//! PassFort timestamps: `YYYY-MM-DD hh:mm:ss`, no zone, taken as UTC.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// The wire format PassFort documents for `DateTime` fields.
pub const WIRE_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Parses a PassFort timestamp. Also accepts fractional seconds, a `T`
/// separator and RFC 3339 offsets, so a small format change upstream does not
/// break decoding.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    for format in [WIRE_FORMAT, "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(naive.and_utc());
        }
    }
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

/// Formats a time the way PassFort sends it.
pub fn format(time: &DateTime<Utc>) -> String {
    time.format(WIRE_FORMAT).to_string()
}

pub(crate) fn deserialize_opt<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<std::borrow::Cow<'de, str>> = Option::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(text) if text.is_empty() => Ok(None),
        Some(text) => parse(&text).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format_args!("invalid timestamp {text:?}, expected YYYY-MM-DD hh:mm:ss"))
        }),
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
        assert_eq!(format(&expected), "2020-03-18 14:33:23");
    }
}
