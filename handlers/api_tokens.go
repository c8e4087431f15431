package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// APITokensPage lists the user's personal API tokens.
func (h *Handlers) APITokensPage(c *gin.Context) {
	h.page(func(c *gin.Context) error { return h.renderTokens(c, http.StatusOK, "", "", "") })(c)
}

func (h *Handlers) renderTokens(c *gin.Context, status int, newToken, name, msg string) error {
	u, _ := CurrentUser(c)
	tokens, err := h.Accounts.APITokens(c.Request.Context(), u.ID)
	if err != nil {
		return err
	}
	p := views.TokensPage{Page: h.basePage(c, "API tokens"), NewToken: newToken, Name: name, Error: msg}
	p.Nav = "tokens"
	for _, t := range tokens {
		row := views.TokenRow{Name: t.Name, Created: day(t.CreatedAt), LastUsed: "never",
			RevokeURL: fmt.Sprintf("/settings/api-tokens/%d/revoke", t.ID)}
		if !t.LastUsedAt.IsZero() {
			row.LastUsed = day(t.LastUsedAt)
		}
		if !t.RevokedAt.IsZero() {
			row.Revoked = day(t.RevokedAt)
		}
		p.Tokens = append(p.Tokens, row)
	}
	h.render(c, status, views.Tokens(p))
	return nil
}

// CreateAPIToken makes a token and shows it once.
func (h *Handlers) CreateAPIToken(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		u, _ := CurrentUser(c)
		name := c.PostForm("name")
		token, t, err := h.Accounts.CreateAPIToken(c.Request.Context(), u.ID, name)
		var input *account.InputError
		if errors.As(err, &input) {
			return h.renderTokens(c, http.StatusBadRequest, "", name, input.Message)
		}
		if err != nil {
			return err
		}
		if err := h.auditToken(c, "api_token.created", "", t.Name); err != nil {
			return err
		}
		return h.renderTokens(c, http.StatusOK, token, "", "")
	})(c)
}

// RevokeAPIToken revokes one of the user's tokens.
func (h *Handlers) RevokeAPIToken(c *gin.Context) {
	h.page(func(c *gin.Context) error {
		u, _ := CurrentUser(c)
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil {
			return billing.ErrNotFound
		}
		t, err := h.Accounts.RevokeAPIToken(c.Request.Context(), u.ID, id)
		if errors.Is(err, account.ErrNotFound) {
			return billing.ErrNotFound
		} else if err != nil {
			return err
		}
		if err := h.auditToken(c, "api_token.revoked", t.Name, ""); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, "/settings/api-tokens")
		return nil
	})(c)
}

// auditToken records the creation or revocation of a personal API token:
// a token acts as its owner, so its life belongs in the audit log.
func (h *Handlers) auditToken(c *gin.Context, action, before, after string) error {
	u, _ := CurrentUser(c)
	return h.Billing.Audit(c.Request.Context(), billing.AuditEntry{Actor: actor(c),
		Subject: billing.Customer{ID: u.ID, Email: u.Email}, Action: action, Before: before, After: after})
}
