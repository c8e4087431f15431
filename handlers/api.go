package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
)

// principal is who is calling the API: the app's backend with the server
// key, or a user with a personal token.
type principal struct {
	Server bool
	User   account.User // the token's owner, when not Server
}

const (
	principalKey = "portal.api.principal"
	// actingReasonKey holds a manager's X-Reason once the request names
	// another user: from then on it acts as that customer's account manager.
	actingReasonKey = "portal.api.acting_reason"
)

// key scopes idempotency keys and names the caller in logs.
func (p principal) key() string {
	if p.Server {
		return "server"
	}
	return "user:" + strconv.FormatInt(p.User.ID, 10)
}

// actsForAnyone reports whether the caller may act for other customers.
func (p principal) actsForAnyone() bool { return p.Server || p.User.Role == account.Manager }

// APIAuth authenticates every API request from its bearer token. The API
// reads no cookies, so a browser session cannot be used against it.
func (h *Handlers) APIAuth(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || token == "" {
		c.Header("WWW-Authenticate", `Bearer realm="billing portal"`)
		jsonError(c, http.StatusUnauthorized, "Send a token: Authorization: Bearer <server key or personal API token>.")
		return
	}
	if h.serverKey(c) {
		c.Set(principalKey, principal{Server: true})
		c.Next()
		return
	}
	u, err := h.Accounts.AuthenticateAPIToken(c.Request.Context(), token)
	if err != nil {
		if !errors.Is(err, account.ErrNoSession) {
			h.Log.Error("api auth", "err", err, "request_id", RequestID(c))
		}
		c.Header("WWW-Authenticate", `Bearer realm="billing portal", error="invalid_token"`)
		jsonError(c, http.StatusUnauthorized, "The token is not valid: it is unknown, revoked, or its account is disabled.")
		return
	}
	c.Set(principalKey, principal{User: u})
	c.Next()
}

// RequireServerKey allows only the server key.
func (h *Handlers) RequireServerKey(c *gin.Context) {
	if !caller(c).Server {
		jsonError(c, http.StatusForbidden, "Only the server key (BILLING_API_KEY) may call this endpoint.")
		return
	}
	c.Next()
}

func caller(c *gin.Context) principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(principal)
	return pr
}

// apiActor is the caller as the audit log names it. A manager's token
// acting for a customer is recorded like an impersonation, with the reason.
func apiActor(c *gin.Context) billing.Actor {
	p := caller(c)
	a := billing.Actor{Email: "api (server key)", RequestID: RequestID(c), IP: c.ClientIP()}
	if !p.Server {
		a.UserID, a.Email = p.User.ID, p.User.Email+" (api token)"
	}
	if reason := c.GetString(actingReasonKey); reason != "" {
		a.Impersonated, a.Reason = true, reason
	}
	return a
}

// actingReason reads the X-Reason a manager's token must send to act for a
// customer: like an impersonation, it says why, and the customer's history
// shows that their account manager acted.
func actingReason(c *gin.Context) (string, error) {
	reason := strings.TrimSpace(c.GetHeader("X-Reason"))
	switch {
	case reason == "":
		return "", billing.Invalid("X-Reason", "A manager's token acting for a customer (userId) must say why in the X-Reason header.")
	case len([]rune(reason)) > maxReason:
		return "", billing.Invalid("X-Reason", "Keep X-Reason under %d characters.", maxReason)
	}
	return reason, nil
}

// targetCustomer is the customer an API call acts for: userID when given
// (the server key or a manager may name anyone; others only themselves),
// else the token's owner.
func (h *Handlers) targetCustomer(c *gin.Context, userID *string) (account.User, error) {
	p := caller(c)
	if userID == nil || *userID == "" {
		if p.Server || p.User.Role != account.Customer {
			return account.User{}, billing.Invalid("userId", "userId is required: this key does not belong to a customer.")
		}
		return p.User, nil
	}
	id, err := strconv.ParseInt(*userID, 10, 64)
	if err != nil || id <= 0 {
		return account.User{}, billing.Invalid("userId", "userId %q is not a user id; ids are decimal strings such as \"2\".", truncate(*userID, 30))
	}
	if !p.actsForAnyone() && id != p.User.ID {
		return account.User{}, billing.ErrForbidden
	}
	if !p.Server && id != p.User.ID {
		reason, err := actingReason(c)
		if err != nil {
			return account.User{}, err
		}
		c.Set(actingReasonKey, reason)
	}
	u, err := h.Accounts.User(c.Request.Context(), id)
	if errors.Is(err, account.ErrNotFound) || (err == nil && u.Role != account.Customer) {
		return account.User{}, fmt.Errorf("user %d: %w", id, billing.ErrNotFound)
	}
	return u, err
}

// maxAPIBody bounds request bodies.
const maxAPIBody = 64 << 10

// decodeJSON reads exactly one JSON object into v, refusing unknown fields
// and wrong types with a message naming the field.
func decodeJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, maxAPIBody+1))
	if err != nil || len(body) > maxAPIBody {
		return billing.Invalid("body", "The body could not be read or is larger than 64 KiB.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == io.EOF:
		return billing.Invalid("body", "The body is empty; send a JSON object.")
	case errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF):
		return billing.Invalid("body", "The body is not valid JSON.")
	case errors.As(err, &typ):
		return billing.Invalid(typ.Field, "%s must be %s, not %s.", typ.Field, jsonType(typ.Type.Kind().String()), typ.Value)
	case err != nil && strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return billing.Invalid(field, "Unknown field %q.", field)
	case err != nil:
		return billing.Invalid("body", "The body is not a JSON object of the expected shape.")
	}
	if dec.More() {
		return billing.Invalid("body", "Send one JSON object, not several.")
	}
	return nil
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a number"
}

// apiFail answers an error as {code, message, details} with its status.
func (h *Handlers) apiFail(c *gin.Context, err error) {
	p := problemOf(err)
	if p.status >= 500 {
		h.Log.Error("api", "err", err, "path", c.Request.URL.Path, "request_id", RequestID(c))
	}
	jsonError(c, p.status, p.message, p.details...)
}
