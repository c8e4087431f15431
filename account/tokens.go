package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIToken is a personal API token; only its hash is stored.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// PortalLink is what a one-time portal link grants once used.
type PortalLink struct {
	UserID    int64
	ReturnURL string
	Embed     bool
	Accent    string
	ExpiresAt time.Time
}

// TokenStore keeps API tokens and portal links.
type TokenStore interface {
	CreateAPIToken(ctx context.Context, t APIToken, hash []byte) (int64, error)
	APITokens(ctx context.Context, userID int64) ([]APIToken, error)
	APITokenByHash(ctx context.Context, hash []byte) (APIToken, error)
	RevokeAPIToken(ctx context.Context, userID, id int64, at time.Time) (bool, error)
	TouchAPIToken(ctx context.Context, id int64, at time.Time) error
	CreatePortalToken(ctx context.Context, hash []byte, l PortalLink, at time.Time) error
	// UsePortalToken marks an unused, unexpired link used and returns it, in
	// one statement, so a link works exactly once.
	UsePortalToken(ctx context.Context, hash []byte, now time.Time) (PortalLink, error)
}

// Token prefixes tell people (and secret scanners) what a string is.
const (
	apiTokenPrefix    = "bp_"
	portalTokenPrefix = "pl_"
	resetTokenPrefix  = "pr_"
	maxTokenName      = 100
	maxName           = 200
	maxTokensPerUser  = 20
)

// PortalLinkTTL is how long a portal link may wait before its first use.
const PortalLinkTTL = 5 * time.Minute

func newToken(prefix string) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(raw), nil
}

// Token errors a person can correct.
var (
	ErrInvalidName   = &InputError{Field: "name", Message: fmt.Sprintf("A token needs a name of 1 to %d characters.", maxTokenName)}
	ErrTooManyTokens = &InputError{Field: "name", Message: fmt.Sprintf("You can have at most %d active tokens; revoke one first.", maxTokensPerUser)}
)

// CreateAPIToken makes a personal token and returns it; it is never shown again.
func (s *Service) CreateAPIToken(ctx context.Context, userID int64, name string) (string, APIToken, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > maxTokenName {
		return "", APIToken{}, ErrInvalidName
	}
	existing, err := s.tokens.APITokens(ctx, userID)
	if err != nil {
		return "", APIToken{}, err
	}
	active := 0
	for _, t := range existing {
		if t.RevokedAt.IsZero() {
			active++
		}
	}
	if active >= maxTokensPerUser {
		return "", APIToken{}, ErrTooManyTokens
	}
	token, err := newToken(apiTokenPrefix)
	if err != nil {
		return "", APIToken{}, err
	}
	t := APIToken{UserID: userID, Name: name, CreatedAt: s.clock.Now()}
	t.ID, err = s.tokens.CreateAPIToken(ctx, t, hashToken(token))
	return token, t, err
}

// APITokens lists a user's tokens, newest first.
func (s *Service) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	return s.tokens.APITokens(ctx, userID)
}

// RevokeAPIToken stops one of the user's tokens from working and returns it.
func (s *Service) RevokeAPIToken(ctx context.Context, userID, id int64) (APIToken, error) {
	tokens, err := s.tokens.APITokens(ctx, userID)
	if err != nil {
		return APIToken{}, err
	}
	for _, t := range tokens {
		if t.ID != id {
			continue
		}
		ok, err := s.tokens.RevokeAPIToken(ctx, userID, id, s.clock.Now())
		if err == nil && !ok {
			return APIToken{}, ErrNotFound
		}
		return t, err
	}
	return APIToken{}, ErrNotFound
}

// AuthenticateAPIToken resolves a bearer token to its owner.
func (s *Service) AuthenticateAPIToken(ctx context.Context, token string) (User, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return User{}, ErrNoSession
	}
	t, err := s.tokens.APITokenByHash(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) || (err == nil && !t.RevokedAt.IsZero()) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, err
	}
	u, err := s.store.UserByID(ctx, t.UserID)
	if err != nil || u.Disabled {
		return User{}, ErrNoSession
	}
	now := s.clock.Now()
	if now.Sub(t.LastUsedAt) >= time.Minute {
		_ = s.tokens.TouchAPIToken(ctx, t.ID, now)
	}
	return u, nil
}

// CreatePortalLink returns a one-time sign-in token for the customer with
// this email, creating them (on the free plan) if new.
func (s *Service) CreatePortalLink(ctx context.Context, email, name string, l PortalLink) (string, User, bool, error) {
	u, created, err := s.customerByEmail(ctx, email, name)
	if err != nil {
		return "", User{}, false, err
	}
	token, err := newToken(portalTokenPrefix)
	if err != nil {
		return "", User{}, false, err
	}
	now := s.clock.Now()
	l.UserID, l.ExpiresAt = u.ID, now.Add(PortalLinkTTL)
	return token, u, created, s.tokens.CreatePortalToken(ctx, hashToken(token), l, now)
}

func (s *Service) customerByEmail(ctx context.Context, email, name string) (User, bool, error) {
	if err := ValidEmail(NormalizeEmail(email)); err != nil {
		return User{}, false, err
	}
	if len([]rune(name)) > maxName {
		return User{}, false, &InputError{Field: "name", Message: fmt.Sprintf("name must be at most %d characters.", maxName)}
	}
	u, err := s.store.UserByEmail(ctx, NormalizeEmail(email))
	switch {
	case err == nil && u.Role != Customer:
		return User{}, false, ErrForbidden
	case err == nil && u.Disabled:
		return User{}, false, ErrForbidden
	case err == nil:
		return u, false, nil
	case !errors.Is(err, ErrNotFound):
		return User{}, false, err
	}
	// A customer created through the API signs in only with portal links:
	// the random password is never told to anyone.
	pw, err := newToken("")
	if err != nil {
		return User{}, false, err
	}
	u, err = s.CreateUser(ctx, email, strings.TrimSpace(name), pw, Customer)
	if errors.Is(err, ErrEmailTaken) { // created concurrently
		u, err = s.store.UserByEmail(ctx, NormalizeEmail(email))
		return u, false, err
	}
	return u, err == nil, err
}

// UsePortalLink spends a portal link and opens a session for its customer.
func (s *Service) UsePortalLink(ctx context.Context, token string) (string, PortalLink, error) {
	if !strings.HasPrefix(token, portalTokenPrefix) {
		return "", PortalLink{}, ErrNoSession
	}
	l, err := s.tokens.UsePortalToken(ctx, hashToken(token), s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return "", PortalLink{}, ErrNoSession
	}
	if err != nil {
		return "", PortalLink{}, err
	}
	u, err := s.store.UserByID(ctx, l.UserID)
	if err != nil || u.Disabled {
		return "", PortalLink{}, ErrNoSession
	}
	now := s.clock.Now()
	t, err := s.createSession(ctx, Session{UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute),
		ReturnURL: l.ReturnURL, Embed: l.Embed, Accent: l.Accent})
	return t, l, err
}
