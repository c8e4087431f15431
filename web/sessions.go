package web

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"
)

// cookieName is the portal's session cookie.
const cookieName = "portal_session"

// sessionCookies keeps the server-side session's token in a signed and
// encrypted gorilla/sessions cookie. The cookie alone grants nothing: the
// token must name a live session row, so logout really ends it.
type sessionCookies struct {
	store *sessions.CookieStore
}

func newSessionCookies(secret string, maxAge time.Duration) *sessionCookies {
	hashKey := sha256.Sum256([]byte("portal session hash key\x00" + secret))
	blockKey := sha256.Sum256([]byte("portal session block key\x00" + secret))
	store := sessions.NewCookieStore(hashKey[:], blockKey[:])
	store.Options = &sessions.Options{
		Path: "/", MaxAge: int(maxAge.Seconds()), HttpOnly: true,
		// Browsers accept Secure cookies from http://127.0.0.1 and http://localhost, so this holds in development too.
		Secure: true, SameSite: http.SameSiteLaxMode,
	}
	store.MaxAge(int(maxAge.Seconds()))
	return &sessionCookies{store: store}
}

// Token returns the session token in the request's cookie, or "".
func (s *sessionCookies) Token(c *gin.Context) string {
	sess, err := s.store.Get(c.Request, cookieName)
	if err != nil {
		return ""
	}
	t, _ := sess.Values["t"].(string)
	return t
}

// Set stores a new token in a fresh cookie.
func (s *sessionCookies) Set(c *gin.Context, token string) error {
	sess := sessions.NewSession(s.store, cookieName)
	opts := *s.store.Options
	sess.Options = &opts
	sess.IsNew = true
	sess.Values["t"] = token
	return sess.Save(c.Request, c.Writer)
}

// Clear removes the cookie from the browser.
func (s *sessionCookies) Clear(c *gin.Context) error {
	sess := sessions.NewSession(s.store, cookieName)
	opts := *s.store.Options
	opts.MaxAge = -1
	sess.Options = &opts
	return sess.Save(c.Request, c.Writer)
}
