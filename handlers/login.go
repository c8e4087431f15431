package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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
	p := views.LoginPage{Page: h.basePage(c, "Sign in"), Next: safeNext(c.Query("next"))}
	if c.Query("notice") == "password-reset" {
		p.Flash = &views.Flash{Kind: "success", Message: "Your password is changed and every session of yours has ended. Sign in with the new password."}
	}
	h.render(c, http.StatusOK, views.Login(p))
}

// Login checks the credentials and starts a new session; the session the
// browser had before ends only once the password checks out, so a failed
// (or forged cross-site) attempt signs nobody out, and a cookie fixed by
// someone else is useless.
func (h *Handlers) Login(c *gin.Context) {
	email, password, next := c.PostForm("email"), c.PostForm("password"), c.PostForm("next")
	fail := func(status int, msg string) {
		h.render(c, status, views.Login(views.LoginPage{Page: h.basePage(c, "Sign in"), Email: email, Error: msg, Next: next}))
	}
	if strings.TrimSpace(email) == "" || password == "" {
		fail(http.StatusBadRequest, "Enter your email and password.")
		return
	}
	if len(email) > maxEmail || len(password) > maxPassword {
		email = truncate(email, 60)
		fail(http.StatusBadRequest, "That email or password is too long to be right. Check them and try again.")
		return
	}
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
	h.endPreviousSession(c)
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
	h.endPreviousSession(c)
	_ = h.Cookies.Clear(c)
	c.Redirect(http.StatusSeeOther, "/login")
}

// endPreviousSession ends the browser's current session, if any, before a
// new one replaces it. An impersonation ending this way is audited as a
// stop, wherever it happens (sign-out, sign-in, a portal link).
func (h *Handlers) endPreviousSession(c *gin.Context) {
	if id, ok := Identity(c); ok && id.Impersonator != nil {
		if err := h.auditStop(c, id); err != nil {
			h.Log.Error("audit impersonation stop", "err", err, "request_id", RequestID(c))
		}
	}
	if err := h.Accounts.Logout(c.Request.Context(), h.Cookies.Token(c)); err != nil {
		h.Log.Error("logout", "err", err, "request_id", RequestID(c))
	}
}

// safeNext keeps post-login redirects on this site: only absolute paths,
// never "//host" or "/\host", which browsers treat as another site. Any
// whitespace or control character is refused too: browsers strip a TAB or
// newline, so "/<TAB>/host" becomes "//host". It returns "" for anything
// else, meaning the user's home page.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || len(next) > maxNext {
		return ""
	}
	for _, r := range next {
		if unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return ""
		}
	}
	return next
}

// Sign-in input is bounded: an address is at most 254 characters, and
// bcrypt reads only the first 72 bytes of a password anyway.
const (
	maxEmail    = 254
	maxPassword = 1024
)

// maxNext bounds a remembered page address.
const maxNext = 2048

func minutes(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m <= 1 {
		return "a minute"
	}
	return fmt.Sprintf("%d minutes", m)
}
