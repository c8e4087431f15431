package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/billing"
	"github.com/billingportal/portal/views"
)

// ForgotPasswordPage asks for the email to send a reset link to.
func (h *Handlers) ForgotPasswordPage(c *gin.Context) {
	h.render(c, http.StatusOK, views.Forgot(views.ForgotPage{Page: h.basePage(c, "Reset your password")}))
}

// ForgotPassword queues a reset link. The page says the same whether or
// not the account exists; only a malformed address or the throttle differ,
// and neither depends on the account.
func (h *Handlers) ForgotPassword(c *gin.Context) {
	email := c.PostForm("email")
	p := views.ForgotPage{Page: h.basePage(c, "Reset your password"), Email: email}
	err := h.Accounts.RequestPasswordReset(c.Request.Context(), email, c.ClientIP())
	var input *account.InputError
	var throttled *account.ThrottledError
	switch {
	case errors.As(err, &input):
		p.Error = input.Message
		h.render(c, http.StatusBadRequest, views.Forgot(p))
	case errors.As(err, &throttled):
		c.Header("Retry-After", fmt.Sprint(int(throttled.RetryAfter.Seconds())+1))
		p.Error = fmt.Sprintf("Too many reset requests. Try again in %s, and use the newest mail you got.", minutes(throttled.RetryAfter))
		h.render(c, http.StatusTooManyRequests, views.Forgot(p))
	case err != nil:
		h.Log.Error("password reset request", "err", err, "request_id", RequestID(c))
		p.Error = "Something went wrong on our side. Please try again."
		h.render(c, http.StatusInternalServerError, views.Forgot(p))
	default:
		if h.MailWake != nil {
			h.MailWake()
		}
		p.Sent = true
		h.render(c, http.StatusOK, views.Forgot(p))
	}
}

// ResetPasswordPage shows the new-password form, or says the link is spent.
func (h *Handlers) ResetPasswordPage(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer") // the token is in the address
	p := views.ResetPage{Page: h.basePage(c, "Choose a new password"), Action: "/password/reset/" + c.Param("token")}
	err := h.Accounts.CheckResetLink(c.Request.Context(), c.Param("token"))
	switch {
	case errors.Is(err, account.ErrResetLinkInvalid):
		p.Invalid = true
		h.render(c, http.StatusNotFound, views.Reset(p))
	case err != nil:
		h.page(func(*gin.Context) error { return err })(c)
	default:
		h.render(c, http.StatusOK, views.Reset(p))
	}
}

// ResetPassword sets the new password, ends every session of the user and
// sends them to sign in with it.
func (h *Handlers) ResetPassword(c *gin.Context) {
	c.Header("Referrer-Policy", "no-referrer")
	p := views.ResetPage{Page: h.basePage(c, "Choose a new password"), Action: "/password/reset/" + c.Param("token")}
	u, err := h.Accounts.ResetPassword(c.Request.Context(), c.Param("token"), c.PostForm("password"), c.PostForm("confirm"))
	var input *account.InputError
	switch {
	case errors.Is(err, account.ErrResetLinkInvalid):
		p.Invalid = true
		h.render(c, http.StatusNotFound, views.Reset(p))
		return
	case errors.As(err, &input):
		p.Errors = map[string]string{input.Field: input.Message}
		h.render(c, http.StatusBadRequest, views.Reset(p))
		return
	case err != nil:
		h.page(func(*gin.Context) error { return err })(c)
		return
	}
	h.auditPassword(c, u, "password.reset", "set through a reset link; every session ended")
	// The browser starts signed out, whoever it was signed in as, like a login.
	if err := h.Accounts.Logout(c.Request.Context(), h.Cookies.Token(c)); err != nil {
		h.Log.Error("logout after reset", "err", err, "request_id", RequestID(c))
	}
	_ = h.Cookies.Clear(c)
	c.Redirect(http.StatusSeeOther, "/login?notice=password-reset")
}

// PasswordPage is the signed-in user's password change form.
func (h *Handlers) PasswordPage(c *gin.Context) {
	h.renderPassword(c, http.StatusOK, nil, nil)
}

func (h *Handlers) renderPassword(c *gin.Context, status int, errs map[string]string, flash *views.Flash) {
	p := views.PasswordPage{Page: h.basePage(c, "Change password"), Settings: h.settingsTabs(c, "/settings/password"), Errors: errs}
	p.Nav, p.Flash = "settings", flash
	h.render(c, status, views.ChangePassword(p))
}

// ChangePassword changes the password after checking the current one; the
// user's other sessions end, this one goes on.
func (h *Handlers) ChangePassword(c *gin.Context) {
	u, _ := CurrentUser(c)
	err := h.Accounts.ChangePassword(c.Request.Context(), h.Cookies.Token(c), u.ID, c.PostForm("current_password"),
		c.PostForm("password"), c.PostForm("confirm"), c.ClientIP())
	var input *account.InputError
	var throttled *account.ThrottledError
	switch {
	case errors.As(err, &input):
		h.renderPassword(c, http.StatusBadRequest, map[string]string{input.Field: input.Message}, nil)
	case errors.As(err, &throttled):
		c.Header("Retry-After", fmt.Sprint(int(throttled.RetryAfter.Seconds())+1))
		h.renderPassword(c, http.StatusTooManyRequests, map[string]string{"current_password": fmt.Sprintf(
			"Too many wrong passwords. Try again in %s.", minutes(throttled.RetryAfter))}, nil)
	case err != nil:
		h.page(func(*gin.Context) error { return err })(c)
	default:
		h.auditPassword(c, u, "password.changed", "changed by the user; every other session ended")
		h.renderPassword(c, http.StatusOK, nil, &views.Flash{Kind: "success",
			Message: "Your password is changed. You were signed out on every other browser and device."})
	}
}

// auditPassword records a password change; a failure to record it is
// logged, since the password has changed either way.
func (h *Handlers) auditPassword(c *gin.Context, u account.User, action, after string) {
	err := h.Billing.Audit(c.Request.Context(), billing.AuditEntry{
		Actor:   billing.Actor{UserID: u.ID, Email: u.Email, RequestID: RequestID(c), IP: c.ClientIP()},
		Subject: billing.Customer{ID: u.ID, Email: u.Email}, Action: action, After: after})
	if err != nil {
		h.Log.Error("audit password change", "err", err, "request_id", RequestID(c))
	}
}

// settingsTabs are the settings pages this user may open: a manager acting
// as a customer, or an embedded session, sees only the email settings.
func (h *Handlers) settingsTabs(c *gin.Context, current string) []views.Tab {
	id, _ := Identity(c)
	var tabs []views.Tab
	if id.User.Role == account.Customer {
		tabs = append(tabs, views.Tab{Label: "Emails", Href: "/settings/emails"})
	}
	if id.Impersonator == nil && !id.Embed {
		tabs = append(tabs, views.Tab{Label: "Password", Href: "/settings/password"}, views.Tab{Label: "API tokens", Href: "/settings/api-tokens"})
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == current
	}
	return tabs
}
