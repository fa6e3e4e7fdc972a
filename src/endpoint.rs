//! Where each service lives.
//!
//! Endpoints are built from Huawei Cloud's naming pattern for any region string, not looked up in
//! a region list: official SDKs' lists go stale when regions open. An explicit endpoint always
//! wins, and may be plain `http://` (proxies, the embedded fake server).

use reqwest::Url;

use crate::Error;

/// A service this crate talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Service {
    /// DataArts Studio (DataArts Security permission sets): `https://dayu.{region}.myhuaweicloud.com`.
    DataArts,
    /// CodeArts ProjectMan: `https://projectman-ext.{region}.myhuaweicloud.com`.
    ProjectMan,
    /// Identity and Access Management: `https://iam.{region}.myhuaweicloud.com`, except in the
    /// sovereign regions of [`SOVEREIGN_IAM_ENDPOINTS`]; [`ENV_IAM_ENDPOINT`] overrides it.
    Iam,
}

/// Official environment variable that overrides the IAM endpoint.
pub const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";

/// Regions whose IAM endpoint is not on `myhuaweicloud.com` (the official IAM region table).
pub const SOVEREIGN_IAM_ENDPOINTS: &[(&str, &str)] =
    &[("eu-west-101", "https://iam.eu-west-101.myhuaweicloud.eu")];

/// `HUAWEICLOUD_SDK_IAM_ENDPOINT`, when set and not blank.
pub(crate) fn iam_endpoint_from_env() -> Option<String> {
    std::env::var(ENV_IAM_ENDPOINT)
        .ok()
        .filter(|v| !v.trim().is_empty())
}

impl Service {
    /// The host-name prefix of the service's regional endpoints.
    fn prefix(self) -> &'static str {
        match self {
            Service::DataArts => "dayu",
            Service::ProjectMan => "projectman-ext",
            Service::Iam => "iam",
        }
    }

    /// The regional endpoint of the service, e.g. `https://dayu.cn-north-4.myhuaweicloud.com`.
    ///
    /// ```
    /// use huaweicloud_openapi::endpoint::Service;
    /// assert_eq!(
    ///     Service::ProjectMan.regional_endpoint("ap-southeast-1")?,
    ///     "https://projectman-ext.ap-southeast-1.myhuaweicloud.com"
    /// );
    /// # Ok::<(), huaweicloud_openapi::Error>(())
    /// ```
    pub fn regional_endpoint(self, region: &str) -> Result<String, Error> {
        let valid = !region.is_empty()
            && region.len() <= 63
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !region.starts_with('-')
            && !region.ends_with('-');
        if !valid {
            return Err(Error::Config(format!(
                "{region:?} is not a region ID (lowercase letters, digits and '-', e.g. cn-north-4)"
            )));
        }
        if self == Service::Iam {
            if let Some((_, e)) = SOVEREIGN_IAM_ENDPOINTS.iter().find(|(r, _)| *r == region) {
                return Ok((*e).to_owned());
            }
        }
        Ok(format!(
            "https://{}.{region}.myhuaweicloud.com",
            self.prefix()
        ))
    }
}

/// Checks an explicit endpoint and returns it in the form the generated client expects: scheme,
/// host, optional port and path stem, without a trailing slash, query or fragment.
pub fn normalize(endpoint: &str) -> Result<String, Error> {
    let url = Url::parse(endpoint.trim())
        .map_err(|e| Error::Config(format!("endpoint {endpoint:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "endpoint {endpoint:?} must use http or https"
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::Config(format!("endpoint {endpoint:?} has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "endpoint {endpoint:?} must not have a query or fragment"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(
            "endpoint must not carry user credentials".to_string(),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// Whether `url` names this machine (`localhost`, `127.0.0.0/8`, `::1`), where plain `http://`
/// cannot be read or changed by anyone else on the network.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_well_formed_region_gets_an_endpoint() {
        assert_eq!(
            Service::DataArts.regional_endpoint("cn-north-4").unwrap(),
            "https://dayu.cn-north-4.myhuaweicloud.com"
        );
        // A region that did not exist when this was written.
        assert_eq!(
            Service::DataArts.regional_endpoint("me-east-9").unwrap(),
            "https://dayu.me-east-9.myhuaweicloud.com"
        );
    }

    #[test]
    fn iam_endpoints_follow_the_pattern_except_sovereign_regions() {
        assert_eq!(
            Service::Iam.regional_endpoint("cn-north-4").unwrap(),
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            Service::Iam.regional_endpoint("eu-west-101").unwrap(),
            "https://iam.eu-west-101.myhuaweicloud.eu"
        );
        // Only IAM has the exception.
        assert_eq!(
            Service::DataArts.regional_endpoint("eu-west-101").unwrap(),
            "https://dayu.eu-west-101.myhuaweicloud.com"
        );
    }

    #[test]
    fn malformed_regions_are_rejected() {
        for r in [
            "",
            "CN-NORTH-4",
            "cn north",
            "cn/north",
            "-cn",
            "a.b",
            "cn-north-4-",
        ] {
            assert!(
                matches!(
                    Service::DataArts.regional_endpoint(r),
                    Err(Error::Config(_))
                ),
                "{r:?}"
            );
        }
    }

    #[test]
    fn endpoints_are_normalized_and_checked() {
        assert_eq!(
            normalize("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            normalize("https://proxy.example/stem/").unwrap(),
            "https://proxy.example/stem"
        );
        for bad in [
            "ftp://x",
            "not a url",
            "http://h/?q=1",
            "http://u:p@h",
            "http://h/#f",
        ] {
            assert!(matches!(normalize(bad), Err(Error::Config(_))), "{bad}");
        }
    }
}
