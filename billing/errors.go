package billing

import (
	"errors"
	"fmt"
	"strings"
)

// Errors that callers map to one HTTP status each.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
)

// FieldProblem is one thing wrong with one input field.
type FieldProblem struct {
	Field   string
	Message string
}

// ValidationError is bad input; its message is written for the customer.
type ValidationError struct {
	Problems []FieldProblem
}

func (e *ValidationError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, " ")
}

// Invalid builds a ValidationError for one field.
func Invalid(field, format string, args ...any) error {
	return &ValidationError{Problems: []FieldProblem{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// ConflictError is a request that clashes with the current state.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return e.Message }

// ProviderError is a payment provider that could not be reached or refused.
type ProviderError struct{ Err error }

func (e *ProviderError) Error() string { return "payment provider: " + e.Err.Error() }
func (e *ProviderError) Unwrap() error { return e.Err }

// IdempotencyClaim is what claiming an Idempotency-Key for a request found.
type IdempotencyClaim struct {
	Claimed    bool   // this request owns the key and runs
	InProgress bool   // another request with the key is running
	Mismatch   bool   // the key was used with another request
	Status     int    // the stored answer, when none of the above
	Body       []byte // its body
}
