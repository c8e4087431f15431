// Package demohost is a small example app that embeds the portal, so that
// `go run . -demo` shows embedding working between two different sites: the
// app is reached as localhost, the portal as 127.0.0.1.
package demohost

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"
)

// Host is the example app.
type Host struct {
	portal string // the portal's base URL, e.g. http://127.0.0.1:8080
	origin string // this app's own origin, e.g. http://localhost:8081
	apiKey string // the portal's server key, kept on this app's server side
	client *http.Client
}

// New returns the example app.
func New(portalURL, origin, apiKey string) *Host {
	return &Host{portal: portalURL, origin: origin, apiKey: apiKey, client: &http.Client{Timeout: 10 * time.Second}}
}

//go:embed host.js
var hostJS []byte

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme Notes · Billing</title>
<link rel="stylesheet" href="/host.css">
<script src="/host.js" defer></script></head>
<body>
<header><strong>Acme Notes</strong> <span>an example app embedding the billing portal</span></header>
<main>
<p>Signed in to Acme Notes as <strong>{{.Email}}</strong>. Your plan: <strong data-testid="app-plan">{{.Plan}}</strong> (<span data-testid="app-status">{{.Status}}</span>).</p>
{{if .Returned}}<p class="note" data-testid="app-returned">Back from checkout. If you paid, your new plan is shown above.</p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{else}}
<iframe id="billing-portal" title="Billing" src="{{.Link}}" data-portal-origin="{{.PortalOrigin}}"></iframe>{{end}}
<p class="hint">Try another customer: {{range .Customers}}<a href="/?customer={{.}}">{{.}}</a> {{end}}</p>
</main></body></html>`))

const css = `body{font-family:system-ui,sans-serif;margin:0;background:#f0fdfa;color:#0f172a}
header{background:#0f766e;color:#fff;padding:12px 20px}header span{opacity:.8;font-size:14px;margin-left:8px}
main{max-width:960px;margin:0 auto;padding:16px}iframe{width:100%;border:1px solid #99f6e4;border-radius:12px;background:#fff;height:600px;display:block}
.note{background:#ccfbf1;padding:8px 12px;border-radius:8px}.error{background:#fee2e2;padding:8px 12px;border-radius:8px}
.hint{font-size:14px}a{color:#0f766e}`

// Handler serves the example app.
func (h *Host) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /plan", h.plan)
	mux.HandleFunc("GET /host.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write(hostJS)
	})
	mux.HandleFunc("GET /host.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write([]byte(css))
	})
	return mux
}

func (h *Host) home(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("customer")
	if email == "" {
		email = "alice@example.com"
	}
	data := struct {
		Email, Plan, Status, Link, PortalOrigin, Error string
		Returned                                       bool
		Customers                                      []string
	}{Email: email, PortalOrigin: h.portal, Returned: r.URL.Query().Has("checkout_session"),
		Customers: []string{"alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"}}
	var err error
	data.Link, data.Plan, data.Status, err = h.portalFor(r.Context(), email)
	if err != nil {
		data.Error = "The billing portal could not be reached: " + err.Error()
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; frame-src "+h.portal+"; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, data)
}

// plan answers the customer's current plan, for the page to refresh after
// the portal in its frame reports a change.
func (h *Host) plan(w http.ResponseWriter, r *http.Request) {
	email := r.URL.Query().Get("customer")
	if email == "" {
		email = "alice@example.com"
	}
	var found struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := h.call(r.Context(), http.MethodGet, "/api/v1/users?email="+url.QueryEscape(email), nil, &found); err != nil || len(found.Data) == 0 {
		http.Error(w, "the billing portal could not be reached", http.StatusBadGateway)
		return
	}
	plan, status, err := h.currentPlan(r.Context(), found.Data[0].ID)
	if err != nil {
		http.Error(w, "the billing portal could not be reached", http.StatusBadGateway)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"plan": plan, "status": status})
}

// portalFor asks the portal, server to server, for a one-time embedded link
// and for the customer's plan, as an app's backend would.
func (h *Host) portalFor(ctx context.Context, email string) (link, plan, status string, err error) {
	var s struct {
		URL    string `json:"url"`
		UserID string `json:"user_id"`
	}
	back := h.origin + "/?" + url.Values{"customer": {email}}.Encode()
	if err := h.call(ctx, http.MethodPost, "/api/v1/portal/sessions", map[string]any{"email": email, "return_url": back, "embed": true, "accent": "#0f766e"}, &s); err != nil {
		return "", "", "", err
	}
	plan, status, err = h.currentPlan(ctx, s.UserID)
	return s.URL, plan, status, err
}

// currentPlan asks the portal for a customer's plan and status.
func (h *Host) currentPlan(ctx context.Context, userID string) (plan, status string, err error) {
	var cur struct {
		Data struct {
			Current struct {
				Status string `json:"status"`
				Plan   struct {
					Name string `json:"plan_name"`
				} `json:"subscription_plan"`
			} `json:"current_subscription"`
		} `json:"data"`
	}
	if err := h.call(ctx, http.MethodGet, "/api/v1/profile/subscriptions/current?userId="+url.QueryEscape(userID), nil, &cur); err != nil {
		return "", "", err
	}
	return cur.Data.Current.Plan.Name, cur.Data.Current.Status, nil
}

func (h *Host) call(ctx context.Context, method, path string, body, out any) error {
	var buf bytes.Buffer
	if body != nil {
		if err := json.NewEncoder(&buf).Encode(body); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, h.portal+path, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+h.apiKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s answered %s", method, path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}
