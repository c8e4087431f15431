package webhooksig

import (
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	secret := []byte("whsec_test")
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1"}`)
	good := Sign(secret, now, body)
	cases := []struct {
		name   string
		header string
		body   []byte
		at     time.Time
		want   error
	}{
		{"valid", good, body, now, nil},
		{"valid within tolerance", good, body, now.Add(4 * time.Minute), nil},
		{"missing", "", body, now, ErrMissing},
		{"garbage", "nonsense", body, now, ErrMalformed},
		{"no v1", "t=1800000000", body, now, ErrMalformed},
		{"stale", good, body, now.Add(6 * time.Minute), ErrStale},
		{"from the future", good, body, now.Add(-6 * time.Minute), ErrStale},
		{"body changed", good, []byte(`{"id":"evt_2"}`), now, ErrMismatch},
		{"other secret", Sign([]byte("other"), now, body), body, now, ErrMismatch},
		{"rotation: second v1 matches", Sign([]byte("old"), now, body) + ",v1=" + mac(secret, "1800000000", body), body, now, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Verify(c.header, c.body, [][]byte{secret}, c.at)
			if !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}
