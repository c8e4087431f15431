package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/billingportal/portal/account"
	"github.com/billingportal/portal/views"
)

// LoginPage shows the sign-in form.
func (h *Handlers) LoginPage(c *gin.Context) {
	if _, ok := CurrentUser(c); ok {
		c.Redirect(http.StatusSeeOther, home(c))
		return
	}
	p := views.LoginPage{Page: views.Page{Title: "Sign in"}, Next: safeNext(c.Query("next"))}
	if c.Query("notice") == "password-reset" {
		p.Flash = &views.Flash{Kind: "success", Message: "Your password is changed and every session of yours has ended. Sign in with the new password."}
	}
	h.render(c, http.StatusOK, views.Login(p))
}

// Login checks the credentials and starts a new session; any session the
// browser had before is ended first, so a cookie fixed by someone else is useless.
func (h *Handlers) Login(c *gin.Context) {
	email, password, next := c.PostForm("email"), c.PostForm("password"), c.PostForm("next")
	fail := func(status int, msg string) {
		h.render(c, status, views.Login(views.LoginPage{Page: views.Page{Title: "Sign in"}, Email: email, Error: msg, Next: next}))
	}
	if strings.TrimSpace(email) == "" || password == "" {
		fail(http.StatusBadRequest, "Enter your email and password.")
		return
	}
	_ = h.Accounts.Logout(c.Request.Context(), h.Cookies.Token(c))
	token, u, err := h.Accounts.Login(c.Request.Context(), email, password, c.ClientIP())
	var throttled *account.ThrottledError
	switch {
	case errors.As(err, &throttled):
		c.Header("Retry-After", fmt.Sprint(int(throttled.RetryAfter.Seconds())+1))
		fail(http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-in attempts. Try again in %s.", minutes(throttled.RetryAfter)))
		return
	case errors.Is(err, account.ErrBadCredentials):
		fail(http.StatusUnauthorized, "That email and password don't match an account. Check them and try again.")
		return
	case err != nil:
		h.Log.Error("login", "err", err, "request_id", RequestID(c))
		fail(http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	if err := h.Cookies.Set(c, token); err != nil {
		h.Log.Error("set session cookie", "err", err)
		fail(http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	SetUser(c, u)
	if next = safeNext(next); next == "" {
		next = home(c)
	}
	c.Redirect(http.StatusSeeOther, next)
}

// Logout ends the session on the server and clears the cookie. Signing out
// while acting as a customer ends the impersonation too, and is audited so.
func (h *Handlers) Logout(c *gin.Context) {
	if id, ok := Identity(c); ok && id.Impersonator != nil {
		if err := h.auditStop(c, id); err != nil {
			h.Log.Error("audit impersonation stop", "err", err, "request_id", RequestID(c))
		}
	}
	if err := h.Accounts.Logout(c.Request.Context(), h.Cookies.Token(c)); err != nil {
		h.Log.Error("logout", "err", err, "request_id", RequestID(c))
	}
	_ = h.Cookies.Clear(c)
	c.Redirect(http.StatusSeeOther, "/login")
}

// safeNext keeps post-login redirects on this site: only absolute paths,
// never "//host" or "/\host", which browsers treat as another site. It
// returns "" for anything else, meaning the user's home page.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return ""
	}
	return next
}

func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
