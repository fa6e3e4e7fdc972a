//! SDK-HMAC-SHA256 signing (being written).
