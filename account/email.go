package account

import (
	"fmt"
	"net/mail"
	"strings"
)

// maxEmail is the longest address SMTP allows (RFC 5321's path limit).
const maxEmail = 254

// ValidEmail accepts a plain address, user@example.com, and nothing else:
// no display name ("Bob <bob@example.com>"), no quoted local part, no
// domain without a dot ("a@b"), no whitespace. net/mail accepts all of
// those, because they are valid in a mail header; an account's email is
// not a header.
func ValidEmail(email string) error {
	bad := &InputError{Field: "email", Message: fmt.Sprintf("%q is not an email address such as name@example.com.", shorten(email, 60))}
	if email == "" || len(email) > maxEmail || strings.ContainsAny(email, "\"<>()[]\\,; \t\r\n") {
		return bad
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return bad
	}
	local, domain, _ := strings.Cut(email, "@")
	if local == "" || !validDomain(domain) {
		return bad
	}
	return nil
}

// validDomain wants at least two dot-separated labels of letters, digits
// and inner hyphens.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r > 127) {
				return false
			}
		}
	}
	return true
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
