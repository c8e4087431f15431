// Package account holds people who sign in: users, their passwords, their
// server-side sessions and the throttle on failed sign-ins.
package account

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Role is what a user may do.
type Role string

// Roles.
const (
	Customer Role = "customer"
	Manager  Role = "manager"
)

// User is someone who can sign in.
type User struct {
	ID           int64
	Email        string
	Name         string
	Role         Role
	PasswordHash []byte
	Disabled     bool
	CreatedAt    time.Time
}

// Session is a signed-in browser, stored server side so it can be revoked.
type Session struct {
	TokenHash  []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end, whatever the activity
	// ImpersonatorID is the account manager acting as UserID; 0 for the
	// user's own sessions.
	ImpersonatorID int64
	Reason         string // why the manager is acting as the customer
	ReturnURL      string // where the app that sent the customer wants them back
	Embed          bool   // runs inside the app's frame
	Accent         string // the app's accent colour, "#rrggbb"
}

// Identity is who a request acts for and, when a manager acts as a
// customer, who is really there.
type Identity struct {
	User         User
	Impersonator *User     // the manager, while impersonating
	Reason       string    // the manager's stated reason
	EndsAt       time.Time // when an impersonation ends by itself
	ReturnURL    string    // the app's return URL, for sessions opened by a portal link
	Embed        bool      // the portal runs inside the app's frame
	Accent       string    // the app's accent colour, "#rrggbb"
}

// Errors callers tell apart.
var (
	ErrNotFound       = errors.New("account: not found")
	ErrBadCredentials = errors.New("account: email or password is incorrect")
	ErrNoSession      = errors.New("account: no valid session")
	ErrEmailTaken     = errors.New("account: email already in use")
	ErrForbidden      = errors.New("account: not allowed")
)

// InputError is input a person must correct; Message is written for them.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return "account: " + e.Message }

// ThrottledError says sign-in is paused for a while.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string { return "account: too many failed sign-ins" }

// Store is the persistence accounts need.
type Store interface {
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	// CreateUser stores a user; a customer gets the default free plan in the
	// same transaction, so no customer is ever without a subscription.
	CreateUser(ctx context.Context, u User) (int64, error)
	CreateSession(ctx context.Context, s Session) error
	// Session returns a session with its user, in one read.
	Session(ctx context.Context, tokenHash []byte) (Session, User, error)
	TouchSession(ctx context.Context, tokenHash []byte, at time.Time) error
	DeleteSession(ctx context.Context, tokenHash []byte) error
	SearchCustomers(ctx context.Context, query string, limit, offset int) ([]User, int, error)
}

// NormalizeEmail trims and lower-cases an address so lookups match however it was typed.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
