package handlers

import (
	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

const (
	userKey      = "portal.user"
	requestIDKey = "portal.request_id"
)

// SetUser records the signed-in user for the rest of the request.
func SetUser(c *gin.Context, u account.User) { c.Set(userKey, u) }

// CurrentUser returns the signed-in user.
func CurrentUser(c *gin.Context) (account.User, bool) {
	v, ok := c.Get(userKey)
	if !ok {
		return account.User{}, false
	}
	u, ok := v.(account.User)
	return u, ok
}

// SetRequestID records the request id for logs and the audit trail.
func SetRequestID(c *gin.Context, id string) { c.Set(requestIDKey, id) }

// RequestID returns the request's id.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// actor describes who is acting, for the audit log.
func actor(c *gin.Context) billing.Actor {
	u, _ := CurrentUser(c)
	return billing.Actor{UserID: u.ID, Email: u.Email, RequestID: RequestID(c), IP: c.ClientIP()}
}

// customer is the signed-in user as billing sees them.
func customer(c *gin.Context) billing.Customer {
	u, _ := CurrentUser(c)
	return billing.Customer{ID: u.ID, Email: u.Email}
}
