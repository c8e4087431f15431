package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Clock tells the wall time; sessions follow real time, not billing time.
type Clock interface{ Now() time.Time }

// Service signs people in and out.
type Service struct {
	store    Store
	tokens   TokenStore
	clock    Clock
	throttle Limiter
	idle     time.Duration
	absolute time.Duration
	cost     int
	// dummyHash is compared against when no user matches, so a missing
	// account costs the same time as a wrong password.
	dummyHash []byte
	passwords PasswordStore
	resets    *Throttle // reset-link requests per account and address; never told of a success, so it only refuses
	resetMail ResetMailer
	resetURL  func(token string) string
}

// Config sets session lifetimes and the password hashing cost.
type Config struct {
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	// PasswordCost is bcrypt's cost; 0 means bcrypt.DefaultCost. Tests
	// lower it because the race detector makes each hash take seconds.
	PasswordCost int
	// Passwords stores reset links and password changes.
	Passwords PasswordStore
	// Throttles keeps the counts of the reset-link throttle (apart from
	// the sign-in throttle's, under their own prefix); nil keeps them in
	// memory.
	Throttles ThrottleStore
	// ResetMail composes the reset mail; ResetURL makes a token's link.
	ResetMail ResetMailer
	ResetURL  func(token string) string
}

// NewService returns an account service.
func NewService(store Store, tokens TokenStore, clock Clock, throttle Limiter, cfg Config) *Service {
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
	return &Service{store: store, tokens: tokens, clock: clock, throttle: throttle, idle: cfg.IdleTimeout, absolute: cfg.AbsoluteTimeout,
		cost: cfg.PasswordCost, dummyHash: dummy, passwords: cfg.Passwords, resetMail: cfg.ResetMail, resetURL: cfg.ResetURL,
		resets: NewThrottle(PrefixedThrottleStore(throttles(cfg), "reset/"), clock, time.Hour, resetsPerAccount, resetsPerAddress, 0)}
}

func throttles(cfg Config) ThrottleStore {
	if cfg.Throttles == nil {
		return NewMemoryThrottleStore()
	}
	return cfg.Throttles
}

// MinPasswordLength is the shortest password accepted for new accounts.
const MinPasswordLength = 8

// CreateUser validates and stores a new user with a bcrypt password hash.
func (s *Service) CreateUser(ctx context.Context, email, name, password string, role Role) (User, error) {
	email = NormalizeEmail(email)
	if err := ValidEmail(email); err != nil {
		return User{}, err
	}
	if role != Customer && role != Manager {
		return User{}, &InputError{Field: "role", Message: fmt.Sprintf("The role must be customer or manager, not %q.", role)}
	}
	if len(password) < MinPasswordLength {
		return User{}, &InputError{Field: "password", Message: fmt.Sprintf("The password must be at least %d characters.", MinPasswordLength)}
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
	v := s.throttle.Check(email, ip)
	if v.Wait > 0 {
		return "", User{}, &ThrottledError{RetryAfter: v.Wait}
	}
	if v.Delay > 0 {
		select {
		case <-time.After(v.Delay):
		case <-ctx.Done():
			return "", User{}, ctx.Err()
		}
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
	s.throttle.Succeed(email, ip)
	token, err := s.StartSession(ctx, u.ID)
	return token, u, err
}

// StartSession opens a fresh server-side session for a user.
func (s *Service) StartSession(ctx context.Context, userID int64) (string, error) {
	now := s.clock.Now()
	return s.createSession(ctx, Session{UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.absolute)})
}

func (s *Service) createSession(ctx context.Context, sess Session) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	sess.TokenHash = hashToken(token)
	return token, s.store.CreateSession(ctx, sess)
}

// Authenticate resolves a session token to whom it acts for, enforcing the
// idle and absolute timeouts, and records the activity.
func (s *Service) Authenticate(ctx context.Context, token string) (Identity, error) {
	if token == "" {
		return Identity{}, ErrNoSession
	}
	h := hashToken(token)
	sess, user, err := s.store.Session(ctx, h)
	if errors.Is(err, ErrNotFound) {
		return Identity{}, ErrNoSession
	}
	if err != nil {
		return Identity{}, err
	}
	now := s.clock.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.idle {
		_ = s.store.DeleteSession(ctx, h)
		return Identity{}, ErrNoSession
	}
	id := Identity{User: user, ReturnURL: sess.ReturnURL, Embed: sess.Embed, Accent: sess.Accent}
	if user.Disabled {
		return Identity{}, ErrNoSession
	}
	if sess.ImpersonatorID != 0 {
		m, err := s.store.UserByID(ctx, sess.ImpersonatorID)
		if err != nil || m.Disabled || m.Role != Manager {
			return Identity{}, ErrNoSession
		}
		id.Impersonator, id.Reason, id.EndsAt = &m, sess.Reason, sess.ExpiresAt
	}
	// Touch at most once a minute: the idle timeout needs no finer grain and
	// this keeps a page view from being a write.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.store.TouchSession(ctx, h, now); err != nil {
			return Identity{}, err
		}
	}
	return id, nil
}

// ImpersonationLimit is how long a manager may act as a customer at a time.
const ImpersonationLimit = 30 * time.Minute

// StartImpersonation ends the manager's session (token) and opens one in
// which the manager acts as the customer, for at most ImpersonationLimit.
// Only managers may, only as active customers, never nested.
func (s *Service) StartImpersonation(ctx context.Context, token string, customerID int64, reason string) (string, Identity, error) {
	id, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", Identity{}, err
	}
	if id.Impersonator != nil || id.User.Role != Manager {
		return "", Identity{}, ErrForbidden
	}
	cust, err := s.store.UserByID(ctx, customerID)
	if err != nil {
		return "", Identity{}, err
	}
	if cust.Role != Customer || cust.Disabled {
		return "", Identity{}, ErrForbidden
	}
	if err := s.store.DeleteSession(ctx, hashToken(token)); err != nil {
		return "", Identity{}, err
	}
	now := s.clock.Now()
	manager := id.User
	t, err := s.createSession(ctx, Session{UserID: cust.ID, ImpersonatorID: manager.ID, Reason: reason,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ImpersonationLimit)})
	return t, Identity{User: cust, Impersonator: &manager, Reason: reason, EndsAt: now.Add(ImpersonationLimit)}, err
}

// StopImpersonation ends an impersonation session and gives the manager a
// fresh session of their own.
func (s *Service) StopImpersonation(ctx context.Context, token string) (string, Identity, error) {
	id, err := s.Authenticate(ctx, token)
	if err != nil {
		return "", Identity{}, err
	}
	if id.Impersonator == nil {
		return "", Identity{}, ErrForbidden
	}
	if err := s.store.DeleteSession(ctx, hashToken(token)); err != nil {
		return "", Identity{}, err
	}
	t, err := s.StartSession(ctx, id.Impersonator.ID)
	return t, id, err
}

// CustomerByEmail finds a customer by their whole address, ignoring case.
func (s *Service) CustomerByEmail(ctx context.Context, email string) (User, error) {
	u, err := s.store.UserByEmail(ctx, NormalizeEmail(email))
	if err == nil && u.Role != Customer {
		return User{}, ErrNotFound
	}
	return u, err
}

// SearchCustomers finds customers by email or name, a page at a time.
func (s *Service) SearchCustomers(ctx context.Context, query string, limit, offset int) ([]User, int, error) {
	return s.store.SearchCustomers(ctx, strings.TrimSpace(query), limit, offset)
}

// User returns a user by id.
func (s *Service) User(ctx context.Context, id int64) (User, error) { return s.store.UserByID(ctx, id) }

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
