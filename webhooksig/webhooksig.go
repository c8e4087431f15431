// Package webhooksig signs and verifies webhook bodies with the
// "Billing-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">" scheme used
// for incoming provider events and outgoing app notifications alike.
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header is the HTTP header that carries the signature.
const Header = "Billing-Signature"

// Tolerance is how old a signature may be before it is refused, so a
// captured request cannot be replayed later.
const Tolerance = 5 * time.Minute

// Verification failures.
var (
	ErrMissing   = errors.New("webhook signature missing")
	ErrMalformed = errors.New("webhook signature malformed")
	ErrStale     = errors.New("webhook signature timestamp outside tolerance")
	ErrMismatch  = errors.New("webhook signature does not match")
)

// Sign returns the header value for body signed at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

// Verify checks header against body. Any of several v1 values may match
// (secret rotation), and any of several secrets may have made it.
func Verify(header string, body []byte, secrets [][]byte, now time.Time) error {
	if header == "" {
		return ErrMissing
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformed
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return ErrStale
	}
	for _, secret := range secrets {
		want := []byte(mac(secret, ts, body))
		for _, s := range sigs {
			if hmac.Equal(want, []byte(s)) {
				return nil
			}
		}
	}
	return ErrMismatch
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
