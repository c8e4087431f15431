package account

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// ResetTTL is how long a password-reset link works.
const ResetTTL = time.Hour

// Reset-link requests allowed per hour, per account and per address. The
// account limit stops anyone flooding someone's inbox; the address limit
// stops one client probing many accounts.
const (
	resetsPerAccount = 3
	resetsPerAddress = 20
)

// PasswordReset is a one-time reset link; only the token's hash is stored.
type PasswordReset struct {
	TokenHash []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Mail is a message the account service asks to send, queued in the same
// transaction as the reset it carries.
type Mail struct {
	To      string
	Subject string
	Text    string
	HTML    string
}

// PasswordStore is what password reset and change need from the database.
type PasswordStore interface {
	// CreatePasswordReset stores the reset and queues its mail together.
	CreatePasswordReset(ctx context.Context, r PasswordReset, m Mail) error
	// PasswordResetUser returns the user of an unused, unexpired reset.
	PasswordResetUser(ctx context.Context, tokenHash []byte, now time.Time) (int64, error)
	// UsePasswordReset spends an unused, unexpired reset and, in the same
	// transaction, sets the user's password, ends every session of theirs
	// and spends their other resets. ErrNotFound when the link is spent or expired.
	UsePasswordReset(ctx context.Context, tokenHash []byte, now time.Time, passwordHash []byte) (int64, error)
	// SetPassword changes a password, ends every session of the user except
	// keepSession (nil for none) and spends their unused resets.
	SetPassword(ctx context.Context, userID int64, passwordHash, keepSession []byte, at time.Time) error
}

// ResetMailer composes the reset mail; link is the one-time URL.
type ResetMailer func(to, link string, expires time.Time) (Mail, error)

// ErrResetLinkInvalid is a reset link that is unknown, used or expired.
var ErrResetLinkInvalid = errors.New("account: this reset link is used, expired or unknown")

// RequestPasswordReset queues a reset link for the account with this
// email, if there is one. The answer is the same either way, so nobody can
// learn who has an account; requests are throttled per account and address.
func (s *Service) RequestPasswordReset(ctx context.Context, email, ip string) error {
	email = NormalizeEmail(email)
	if _, err := mail.ParseAddress(email); err != nil || email == "" {
		return &InputError{Field: "email", Message: "Enter the email address you sign in with."}
	}
	if wait := s.resets.Check(email, ip).Wait; wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	s.resets.Fail(email, ip) // counts the request, whatever comes of it
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.resetMail == nil || s.resetURL == nil {
		return errors.New("account: password reset mail is not configured")
	}
	token, err := newToken(resetTokenPrefix)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	r := PasswordReset{TokenHash: hashToken(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}
	m, err := s.resetMail(u.Email, s.resetURL(token), r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("account: compose reset mail: %w", err)
	}
	return s.passwords.CreatePasswordReset(ctx, r, m)
}

// CheckResetLink reports whether a reset link still works.
func (s *Service) CheckResetLink(ctx context.Context, token string) error {
	_, err := s.passwords.PasswordResetUser(ctx, hashToken(token), s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return ErrResetLinkInvalid
	}
	return err
}

// ResetPassword sets a new password through a reset link, once, and ends
// every session of the user.
func (s *Service) ResetPassword(ctx context.Context, token, password, confirm string) (User, error) {
	if err := s.CheckResetLink(ctx, token); err != nil {
		return User{}, err
	}
	hash, err := s.newPasswordHash(password, confirm)
	if err != nil {
		return User{}, err
	}
	id, err := s.passwords.UsePasswordReset(ctx, hashToken(token), s.clock.Now(), hash)
	if errors.Is(err, ErrNotFound) { // spent by a concurrent request
		return User{}, ErrResetLinkInvalid
	}
	if err != nil {
		return User{}, err
	}
	return s.store.UserByID(ctx, id)
}

// ChangePassword changes the signed-in user's password after checking the
// current one, and ends every other session of theirs. Wrong current
// passwords count against the sign-in throttle.
func (s *Service) ChangePassword(ctx context.Context, sessionToken string, userID int64, current, password, confirm, ip string) error {
	u, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := s.admit(ctx, u.Email, ip); err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword(u.PasswordHash, []byte(current)) != nil {
		s.throttle.Fail(u.Email, ip)
		return &InputError{Field: "current_password", Message: "Your current password is not correct."}
	}
	hash, err := s.newPasswordHash(password, confirm)
	if err != nil {
		return err
	}
	if current == password {
		return &InputError{Field: "password", Message: "Choose a password different from your current one."}
	}
	return s.passwords.SetPassword(ctx, userID, hash, hashToken(sessionToken), s.clock.Now())
}

// admit applies the sign-in throttle's verdict to a password check: refuse,
// or go ahead after its pause.
func (s *Service) admit(ctx context.Context, email, ip string) error {
	v := s.throttle.Check(email, ip)
	if v.Wait > 0 {
		return &ThrottledError{RetryAfter: v.Wait}
	}
	if v.Delay > 0 {
		select {
		case <-time.After(v.Delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// MaxPasswordLength is bcrypt's limit: it ignores bytes beyond 72.
const MaxPasswordLength = 72

func (s *Service) newPasswordHash(password, confirm string) ([]byte, error) {
	switch {
	case len(password) < MinPasswordLength:
		return nil, &InputError{Field: "password", Message: fmt.Sprintf("The new password must be at least %d characters.", MinPasswordLength)}
	case len(password) > MaxPasswordLength:
		return nil, &InputError{Field: "password", Message: fmt.Sprintf("The new password must be at most %d bytes.", MaxPasswordLength)}
	case password != confirm:
		return nil, &InputError{Field: "confirm", Message: "The two new passwords are not the same."}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return nil, fmt.Errorf("account: hash password: %w", err)
	}
	return hash, nil
}
