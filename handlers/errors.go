package handlers

import (
	"errors"
	"net/http"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

// problem is what a domain error means to the person or program that
// caused it: one status and one message per kind of error, the same for
// pages and JSON.
type problem struct {
	status  int
	message string
	details []detail
}

// problemOf maps an error to its problem. This is the only place errors
// become statuses.
func problemOf(err error) problem {
	var verr *billing.ValidationError
	var conflict *billing.ConflictError
	var perr *billing.ProviderError
	switch {
	case errors.As(err, &verr):
		p := problem{status: http.StatusBadRequest, message: verr.Error()}
		for _, fp := range verr.Problems {
			p.details = append(p.details, detail{Type: "field_violation", Field: fp.Field, Message: fp.Message})
		}
		return p
	case errors.Is(err, billing.ErrNotFound), errors.Is(err, account.ErrNotFound):
		return problem{status: http.StatusNotFound, message: "We couldn't find that. It may belong to another account or no longer exist."}
	case errors.Is(err, billing.ErrForbidden), errors.Is(err, account.ErrForbidden):
		return problem{status: http.StatusForbidden, message: "You are not allowed to do that."}
	case errors.As(err, &conflict):
		return problem{status: http.StatusConflict, message: conflict.Message}
	case errors.As(err, &perr):
		return problem{status: http.StatusBadGateway,
			message: "Our payment provider could not be reached. Nothing was charged and your plan is unchanged; please try again in a minute."}
	case errors.Is(err, billing.ErrBadWebhook):
		return problem{status: http.StatusBadRequest, message: "The webhook's signature is missing, stale or wrong, or its body is not an event.",
			details: []detail{{Type: "webhook", Message: err.Error()}}}
	}
	return problem{status: http.StatusInternalServerError, message: "Something went wrong on our side. Nothing was changed; please try again."}
}
