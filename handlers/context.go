package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

const (
	identityKey  = "portal.identity"
	requestIDKey = "portal.request_id"
)

// SetIdentity records who the request acts for for the rest of the request.
func SetIdentity(c *gin.Context, id account.Identity) { c.Set(identityKey, id) }

// SetUser records a signed-in user acting as themselves.
func SetUser(c *gin.Context, u account.User) { SetIdentity(c, account.Identity{User: u}) }

// Identity returns who the request acts for.
func Identity(c *gin.Context) (account.Identity, bool) {
	v, ok := c.Get(identityKey)
	if !ok {
		return account.Identity{}, false
	}
	id, ok := v.(account.Identity)
	return id, ok
}

// CurrentUser returns the user the request acts for: while a manager
// impersonates a customer, the customer.
func CurrentUser(c *gin.Context) (account.User, bool) {
	id, ok := Identity(c)
	return id.User, ok
}

// Impersonating reports whether a manager is acting as the customer.
func Impersonating(c *gin.Context) bool {
	id, _ := Identity(c)
	return id.Impersonator != nil
}

// SetRequestID records the request id for logs and the audit trail.
func SetRequestID(c *gin.Context, id string) { c.Set(requestIDKey, id) }

// RequestID returns the request's id.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// actor describes who is acting, for the audit log: the manager, marked as
// impersonating, when a manager acts as the customer.
func actor(c *gin.Context) billing.Actor {
	id, _ := Identity(c)
	a := billing.Actor{UserID: id.User.ID, Email: id.User.Email, RequestID: RequestID(c), IP: c.ClientIP()}
	if m := id.Impersonator; m != nil {
		a.UserID, a.Email, a.Impersonated, a.Reason = m.ID, m.Email, true, id.Reason
	}
	return a
}

// customer is the signed-in user as billing sees them.
func customer(c *gin.Context) billing.Customer {
	u, _ := CurrentUser(c)
	return billing.Customer{ID: u.ID, Email: u.Email}
}
