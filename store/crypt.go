package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// encPrefix marks an encrypted column value. Values without it are read as
// plaintext, so a key can be introduced on an existing database (old rows stay
// readable, new rows are encrypted).
const encPrefix = "enc1:"

// crypter seals free-text columns. A nil crypter stores plaintext.
type crypter struct{ aead cipher.AEAD }

func newCrypter(key []byte) (*crypter, error) {
	if len(key) == 0 {
		return nil, nil
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%w: key must be 16, 24 or 32 bytes, got %d", ErrConfig, len(key))
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: init AES-GCM: %w", err)
	}
	return &crypter{aead}, nil
}

// seal encrypts s with a fresh random nonce. The column name is the additional
// data, so a ciphertext copied into another column does not open.
func (c *crypter) seal(column, s string) string {
	if c == nil || s == "" {
		return s
	}
	ns := c.aead.NonceSize()
	buf := make([]byte, ns, ns+len(s)+c.aead.Overhead())
	// Since Go 1.24 crypto/rand.Read never returns an error (it crashes the
	// program rather than hand out predictable nonces).
	_, _ = rand.Read(buf)
	out := c.aead.Seal(buf, buf[:ns], []byte(s), []byte(column))
	return encPrefix + base64.RawStdEncoding.EncodeToString(out)
}

// open reverses seal; plaintext values pass through.
func (c *crypter) open(column, s string) (string, error) {
	if !strings.HasPrefix(s, encPrefix) {
		return s, nil
	}
	if c == nil {
		return "", fmt.Errorf("%w (column %s)", ErrNoKey, column)
	}
	raw, err := base64.RawStdEncoding.DecodeString(s[len(encPrefix):])
	ns := c.aead.NonceSize()
	if err != nil || len(raw) < ns+c.aead.Overhead() {
		return "", fmt.Errorf("%w (column %s: malformed)", ErrDecrypt, column)
	}
	pt, err := c.aead.Open(nil, raw[:ns], raw[ns:], []byte(column))
	if err != nil {
		return "", fmt.Errorf("%w (column %s)", ErrDecrypt, column)
	}
	return string(pt), nil
}

// ParseKey decodes the store key as given in CALMLINE_STORE_KEY: hex (32, 48 or 64
// digits) or standard base64 of 16, 24 or 32 bytes. Generate one with
// `openssl rand -hex 32`.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var key []byte
	if b, err := hex.DecodeString(s); err == nil {
		key = b
	} else if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		key = b
	} else {
		return nil, fmt.Errorf("%w: store key is neither hex nor base64", ErrConfig)
	}
	switch len(key) {
	case 16, 24, 32:
		return key, nil
	}
	return nil, fmt.Errorf("%w: store key must decode to 16, 24 or 32 bytes, got %d", ErrConfig, len(key))
}
