//! Token secrets: 256 random bits shown once, stored only as a SHA-256 hash.

use rand::TryRngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// Prefix that makes camptrack tokens recognisable (for secret scanners and people).
const PREFIX: &str = "ct_";

/// A freshly generated token secret. It is printed once and never stored or logged.
pub struct TokenSecret(String);

impl TokenSecret {
    /// Draws 256 random bits from the operating system.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut bytes)
            .expect("the operating system's random number generator failed");
        Self(format!("{PREFIX}{}", hex::encode(bytes)))
    }

    /// The secret, to hand to the user exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stored in place of the secret.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl std::fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenSecret(***)")
    }
}

/// The stored form of a token: lower-case hex SHA-256. Tokens carry 256 bits of entropy, so
/// a fast hash is enough; lookups go by hash, so no secret is ever compared byte by byte.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = TokenSecret::generate();
        let b = TokenSecret::generate();
        assert_ne!(a.expose(), b.expose());
        assert!(a.expose().starts_with("ct_") && a.expose().len() == 67);
        assert_eq!(a.hash(), hash_token(a.expose()));
        assert_eq!(a.hash().len(), 64);
        assert_eq!(format!("{a:?}"), "TokenSecret(***)");
    }
}
