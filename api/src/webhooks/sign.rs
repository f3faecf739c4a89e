//! Signatures per the Standard Webhooks convention (standardwebhooks.com): the secret is
//! `whsec_` + base64 of 32 random bytes; the signature is
//! `v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")), where the
//! key is the base64-decoded part of the secret after `whsec_`. Several signatures (during
//! a secret rotation) are separated by spaces.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2_011::Sha256;

/// The prefix of every webhook secret.
pub const PREFIX: &str = "whsec_";

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let mut bytes = [0_u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random number generator failed");
    format!("{PREFIX}{}", STANDARD.encode(bytes))
}

/// The `v1,<base64>` signature of `body` sent as message `id` at `timestamp` (Unix
/// seconds) with `secret`.
///
/// ```
/// use camptrack::webhooks::sign::sign;
/// // The Standard Webhooks reference example.
/// let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let body = br#"{"test": 2432232314}"#;
/// assert_eq!(
///     sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
///     "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/// );
/// ```
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = secret.strip_prefix(PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(key)
        .unwrap_or_else(|_| key.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes a key of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}
