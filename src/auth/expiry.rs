//! The `expires_at` timestamps of IAM tokens and temporary credentials.

use std::time::SystemTime;

use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use crate::Error;

/// Parses an `expires_at` as IAM and the metadata service write it: UTC (`Z` or an offset) with
/// 0 to 9 fractional digits, e.g. `2026-05-10T18:42:00Z`, `2026-05-10T18:42:00.000Z`,
/// `2026-05-10T18:42:00.123456Z`.
///
/// ```
/// use huaweicloud_openapi::auth::parse_expires_at;
/// let a = parse_expires_at("2020-01-04T09:05:22Z")?;
/// let b = parse_expires_at("2020-01-04T09:05:22.000Z")?;
/// let c = parse_expires_at("2020-01-04T09:05:22.000000Z")?;
/// assert!(a == b && b == c);
/// # Ok::<(), huaweicloud_openapi::Error>(())
/// ```
pub fn parse_expires_at(text: &str) -> Result<SystemTime, Error> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(SystemTime::from)
        .map_err(|e| Error::Credentials(format!("cannot read the expiry time {text:?}: {e}")))
}

/// A time as RFC 3339 UTC, for `Debug` output and logs.
pub(crate) fn format(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(&Rfc3339)
        .unwrap_or_else(|_| format!("{at:?}"))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn zero_three_and_six_fractional_digits() {
        let base = UNIX_EPOCH + Duration::from_secs(1_578_128_722);
        assert_eq!(parse_expires_at("2020-01-04T09:05:22Z").unwrap(), base);
        assert_eq!(
            parse_expires_at("2020-01-04T09:05:22.701Z").unwrap(),
            base + Duration::from_millis(701)
        );
        assert_eq!(
            parse_expires_at("2020-01-04T09:05:22.701000Z").unwrap(),
            base + Duration::from_millis(701)
        );
        assert_eq!(
            parse_expires_at("2020-01-04T09:05:22.123456Z").unwrap(),
            base + Duration::from_micros(123_456)
        );
        assert!(parse_expires_at("2020-01-04 09:05").is_err());
        assert!(parse_expires_at("").is_err());
    }
}
