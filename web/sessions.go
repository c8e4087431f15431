package web

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
)

// Cookie names: the portal's own session, and an embedded session, which
// lives in the app's partition of the browser's cookie jar.
const (
	cookieName      = "portal_session"
	embedCookieName = "portal_embed"
)

// sessionCookies keeps the server-side session's token in a signed and
// encrypted gorilla/sessions cookie. The cookie alone grants nothing: the
// token must name a live session row, so logout really ends it.
type sessionCookies struct {
	store *sessions.CookieStore
}

// embedOptions mark a cookie usable inside another site's frame: many
// browsers block third-party cookies, and inside a cross-site frame only a
// Partitioned one (CHIPS) is stored and sent.
func (s *sessionCookies) embedOptions() *sessions.Options {
	opts := *s.store.Options
	opts.SameSite, opts.Secure, opts.Partitioned = http.SameSiteNoneMode, true, true
	return &opts
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
	for _, c := range store.Codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(tokenSerializer{})
		}
	}
	return &sessionCookies{store: store}
}

// tokenSerializer stores the one value the cookie holds, the session
// token, as its bytes. The default gob serializer builds a decoder for
// every request, and that was an eighth of a page's CPU under load.
type tokenSerializer struct{}

func (tokenSerializer) Serialize(src any) ([]byte, error) {
	values, ok := src.(map[any]any)
	if !ok {
		return nil, errors.New("session cookie: unexpected values")
	}
	token, _ := values["t"].(string)
	return []byte(token), nil
}

func (tokenSerializer) Deserialize(src []byte, dst any) error {
	values, ok := dst.(*map[any]any)
	if !ok {
		return errors.New("session cookie: unexpected destination")
	}
	if *values == nil {
		*values = map[any]any{}
	}
	(*values)["t"] = string(src)
	return nil
}

// liveTokenKey holds, for the rest of a request, the token of the session
// loadUser found alive, so handlers end that session and not a dead one.
const liveTokenKey = "portal.session_token"

// Token returns the token of the request's session: the live one loadUser
// found, else the first cookie's, or "".
func (s *sessionCookies) Token(c *gin.Context) string {
	if t := c.GetString(liveTokenKey); t != "" {
		return t
	}
	for _, ct := range s.tokens(c) {
		return ct.token
	}
	return ""
}

// cookieToken is a session token and the cookie that carried it.
type cookieToken struct{ name, token string }

// tokens lists the tokens in the request's cookies. An embedded session's
// cookie comes first: inside the frame it is the only one. At the top
// level a leftover one may name a session long gone, so callers fall back
// to the next.
func (s *sessionCookies) tokens(c *gin.Context) []cookieToken {
	var out []cookieToken
	for _, name := range []string{embedCookieName, cookieName} {
		sess, err := s.store.Get(c.Request, name)
		if err != nil {
			continue
		}
		if t, _ := sess.Values["t"].(string); t != "" {
			out = append(out, cookieToken{name, t})
		}
	}
	return out
}

// Set stores a new token in a fresh cookie. A leftover embedded-session
// cookie is removed: it would otherwise be read first.
func (s *sessionCookies) Set(c *gin.Context, token string) error {
	if err := s.clear(c, embedCookieName); err != nil {
		return err
	}
	opts := *s.store.Options
	return s.save(c, cookieName, token, &opts)
}

// SetEmbed stores an embedded session's token in a partitioned cookie.
func (s *sessionCookies) SetEmbed(c *gin.Context, token string) error {
	return s.save(c, embedCookieName, token, s.embedOptions())
}

func (s *sessionCookies) save(c *gin.Context, name, token string, opts *sessions.Options) error {
	sess := sessions.NewSession(s.store, name)
	sess.Options, sess.IsNew = opts, true
	sess.Values["t"] = token
	return sess.Save(c.Request, c.Writer)
}

// Clear removes the session cookies the request carried.
func (s *sessionCookies) Clear(c *gin.Context) error {
	for _, name := range []string{cookieName, embedCookieName} {
		if err := s.clear(c, name); err != nil {
			return err
		}
	}
	return nil
}

// clear removes one cookie, if the request carried it.
func (s *sessionCookies) clear(c *gin.Context, name string) error {
	if _, err := c.Request.Cookie(name); err != nil {
		return nil
	}
	opts := *s.store.Options
	if name == embedCookieName {
		opts = *s.embedOptions()
	}
	opts.MaxAge = -1
	sess := sessions.NewSession(s.store, name)
	sess.Options = &opts
	return sess.Save(c.Request, c.Writer)
}
