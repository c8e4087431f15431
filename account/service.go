package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Clock tells the wall time; sessions follow real time, not billing time.
type Clock interface{ Now() time.Time }

// Service signs people in and out.
type Service struct {
	store    Store
	clock    Clock
	throttle *Throttle
	idle     time.Duration
	absolute time.Duration
	cost     int
	// dummyHash is compared against when no user matches, so a missing
	// account costs the same time as a wrong password.
	dummyHash []byte
}

// Config sets session lifetimes and the password hashing cost.
type Config struct {
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// PasswordCost is bcrypt's cost; 0 means bcrypt.DefaultCost. Tests
	// lower it because the race detector makes each hash take seconds.
	PasswordCost int
}

// NewService returns an account service.
func NewService(store Store, clock Clock, throttle *Throttle, cfg Config) *Service {
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = 30 * time.Minute
	}
	if cfg.AbsoluteTimeout == 0 {
		cfg.AbsoluteTimeout = 12 * time.Hour
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	dummy, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), cfg.PasswordCost)
	return &Service{store: store, clock: clock, throttle: throttle, idle: cfg.IdleTimeout, absolute: cfg.AbsoluteTimeout,
		cost: cfg.PasswordCost, dummyHash: dummy}
}

// MinPasswordLength is the shortest password accepted for new accounts.
const MinPasswordLength = 8

// CreateUser validates and stores a new user with a bcrypt password hash.
func (s *Service) CreateUser(ctx context.Context, email, name, password string, role Role) (User, error) {
	email = NormalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil || email == "" {
		return User{}, fmt.Errorf("account: %q is not an email address", email)
	}
	if role != Customer && role != Manager {
		return User{}, fmt.Errorf("account: role must be customer or manager, not %q", role)
	}
	if len(password) < MinPasswordLength {
		return User{}, fmt.Errorf("account: password must be at least %d characters", MinPasswordLength)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("account: hash password: %w", err)
	}
	u := User{Email: email, Name: name, Role: role, PasswordHash: hash, CreatedAt: s.clock.Now()}
	u.ID, err = s.store.CreateUser(ctx, u)
	return u, err
}

// Login checks a password and opens a new session. It returns the token for
// the cookie. Failures say nothing about whether the account exists.
func (s *Service) Login(ctx context.Context, email, password, ip string) (string, User, error) {
	email = NormalizeEmail(email)
	if wait := s.throttle.Wait(email, ip); wait > 0 {
		return "", User{}, &ThrottledError{RetryAfter: wait}
	}
	u, err := s.store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", User{}, err
	}
	hash := s.dummyHash
	if err == nil {
		hash = u.PasswordHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil || u.Disabled {
		s.throttle.Fail(email, ip)
		return "", User{}, ErrBadCredentials
	}
	s.throttle.Succeed(email)
	token, err := s.StartSession(ctx, u.ID)
	return token, u, err
}

// StartSession opens a fresh server-side session for a user.
func (s *Service) StartSession(ctx context.Context, userID int64) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := s.clock.Now()
	err := s.store.CreateSession(ctx, Session{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute)})
	return token, err
}

// Authenticate resolves a session token to its user, enforcing the idle and
// absolute timeouts, and records the activity.
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, ErrNoSession
	}
	h := hashToken(token)
	sess, err := s.store.Session(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return User{}, ErrNoSession
	}
	if err != nil {
		return User{}, err
	}
	now := s.clock.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.idle {
		_ = s.store.DeleteSession(ctx, h)
		return User{}, ErrNoSession
	}
	u, err := s.store.UserByID(ctx, sess.UserID)
	if err != nil || u.Disabled {
		return User{}, ErrNoSession
	}
	// Touch at most once a minute: the idle timeout needs no finer grain and
	// this keeps a page view from being a write.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.store.TouchSession(ctx, h, now); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// Logout ends a session for good.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, hashToken(token))
}

func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
