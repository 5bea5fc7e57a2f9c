//! Secrets Steward must read back (second-factor keys) are sealed at rest with AES-256-GCM
//! under a key from configuration (`STEWARD_SECRET_KEY`, 64 hex characters), so a copy of
//! the database alone does not give anyone the DPO's second factor.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{CoreError, CoreResult};

const PREFIX: &str = "sealed1:";

#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// From 64 hexadecimal characters.
    pub fn from_hex(s: &str) -> Result<SecretKey, String> {
        let bytes = hex::decode(s.trim())
            .map_err(|_| "the secret key must be 64 hexadecimal characters".to_string())?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| {
            "the secret key must be 64 hexadecimal characters (32 bytes)".to_string()
        })?;
        Ok(SecretKey(key))
    }

    /// A new random key, as hex (for `steward demo` and for `steward secret-key`).
    pub fn generate_hex() -> String {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .expect("the system's random source");
        hex::encode(key)
    }

    fn key(&self) -> LessSafeKey {
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte key"))
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .expect("the system's random source");
        let mut data = plain.as_bytes().to_vec();
        self.key()
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .expect("sealing cannot fail for a valid key");
        format!("{PREFIX}{}{}", hex::encode(nonce), hex::encode(data))
    }

    /// Opens a sealed value. A value stored before sealing existed is returned as it is.
    pub fn open(&self, stored: &str) -> CoreResult<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let bad = || {
            CoreError::Internal("a sealed secret could not be opened: is STEWARD_SECRET_KEY the key it was sealed with?".into())
        };
        let bytes = hex::decode(rest).map_err(|_| bad())?;
        if bytes.len() < NONCE_LEN {
            return Err(bad());
        }
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let mut data = data.to_vec();
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| bad())?;
        let plain = self
            .key()
            .open_in_place(nonce, Aad::empty(), &mut data)
            .map_err(|_| bad())?;
        String::from_utf8(plain.to_vec()).map_err(|_| bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key() {
        let k = SecretKey::from_hex(&SecretKey::generate_hex()).unwrap();
        let sealed = k.seal("JBSWY3DPEHPK3PXP");
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(k.open(&sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert_ne!(
            k.seal("JBSWY3DPEHPK3PXP"),
            sealed,
            "a fresh nonce each time"
        );
        let other = SecretKey::from_hex(&SecretKey::generate_hex()).unwrap();
        assert!(other.open(&sealed).is_err());
        assert_eq!(k.open("PLAINLEGACY").unwrap(), "PLAINLEGACY");
        assert!(SecretKey::from_hex("abc").is_err());
    }
}
