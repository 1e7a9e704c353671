//! The one parser of `PASSFORT_LOG` level names, for every binding.

use tracing::Level;

/// The level a `PASSFORT_LOG` value names: `debug`, `info`, `warning` (or
/// `warn`) or `error`, in any case, surrounding blanks ignored. `None` for
/// anything else, the empty string included.
pub fn parse_log_level(text: &str) -> Option<Level> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("debug") {
        Some(Level::DEBUG)
    } else if text.eq_ignore_ascii_case("info") {
        Some(Level::INFO)
    } else if text.eq_ignore_ascii_case("warning") || text.eq_ignore_ascii_case("warn") {
        Some(Level::WARN)
    } else if text.eq_ignore_ascii_case("error") {
        Some(Level::ERROR)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case() {
        assert_eq!(parse_log_level("debug"), Some(Level::DEBUG));
        assert_eq!(parse_log_level("INFO"), Some(Level::INFO));
        assert_eq!(parse_log_level("Warning"), Some(Level::WARN));
        assert_eq!(parse_log_level("warn"), Some(Level::WARN));
        assert_eq!(parse_log_level(" error\n"), Some(Level::ERROR));
    }

    #[test]
    fn anything_else_is_none() {
        for text in ["", "trace", "verbose", "1", "debug,info", "passfort=debug"] {
            assert_eq!(parse_log_level(text), None, "{text:?}");
        }
    }
}
