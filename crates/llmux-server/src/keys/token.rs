//! Virtual-key tokens: made from the OS's randomness, stored only as their sha256.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new `sk-` key: 16 random bytes, URL-safe base64 (LiteLLM's `token_urlsafe(16)`).
pub fn generate() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "sk-{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// The sha256 hex of a key: what is stored and what identifies it.
pub fn hash(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(key.as_bytes());
    // Once per request (the key's identity): by table, not through `fmt` per byte.
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

/// The stored token for a key as an admin names it: an `sk-` key is hashed, anything
/// else is taken to be the hash already (LiteLLM accepts both).
pub fn token_of(key_or_hash: &str) -> String {
    if key_or_hash.starts_with("sk-") || key_or_hash.len() != 64 {
        hash(key_or_hash)
    } else {
        key_or_hash.to_ascii_lowercase()
    }
}

/// `sk-...abcd` (LiteLLM's `abbreviate_api_key`).
pub fn key_name(key: &str) -> String {
    let tail: String = key
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("sk-...{tail}")
}

/// LiteLLM's durations: `30s`, `30m`, `30h`, `30d`, `1w`, `1mo` (30 days); milliseconds.
pub fn duration_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = t.split_at(split);
    let n: i64 = n.parse().ok()?;
    let unit_ms: i64 = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        "w" => 7 * 86_400_000,
        "mo" => 30 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(unit_ms).filter(|ms| *ms > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_random_and_hashed_to_hex() {
        let a = generate();
        assert!(a.starts_with("sk-") && a.len() == 25, "{a}");
        assert_ne!(a, generate());
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(token_of("sk-x"), hash("sk-x"));
        assert_eq!(token_of(&hash("sk-x")), hash("sk-x"));
        assert_eq!(key_name("sk-abcdefgh"), "sk-...efgh");
    }

    #[test]
    fn durations_in_litellm_units() {
        assert_eq!(duration_ms("30s"), Some(30_000));
        assert_eq!(duration_ms("2h"), Some(7_200_000));
        assert_eq!(duration_ms("1mo"), Some(2_592_000_000));
        assert_eq!(duration_ms("1y"), None);
        assert_eq!(duration_ms("99999999999999999999d"), None);
        assert_eq!(duration_ms("d"), None);
    }
}
