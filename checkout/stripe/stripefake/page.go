package stripefake

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

// pageTmpl is the fake's hosted page: enough for a browser test to pay
// (or save a card) with one of the test cards.
var pageTmpl = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · Fake Stripe Checkout</title></head>
<body style="font-family: sans-serif; max-width: 28rem; margin: 2rem auto; padding: 0 1rem">
<p>Fake Stripe Checkout (test mode)</p>
<h1>{{.Title}}</h1>
{{if .Error}}<p role="alert">{{.Error}}</p>{{end}}
{{if .Open}}
<form method="post">
<fieldset><legend>Card</legend>
<label><input type="radio" name="card" value="4242" checked> Visa ending 4242</label><br>
<label><input type="radio" name="card" value="0002"> Visa ending 0002 (declines)</label><br>
<label><input type="radio" name="card" value="3155"> Visa ending 3155 (3-D Secure for renewals)</label>
</fieldset>
<p><button type="submit">{{.Button}}</button></p>
</form>
<p><a href="{{.CancelURL}}">Back</a></p>
{{else}}<p role="status">This checkout session is {{.Status}}.</p>{{end}}
</body></html>`))

type pageData struct {
	Title, Button, Error, Status, CancelURL string
	Open                                    bool
}

func (s *Server) pageData(id string) (pageData, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.sessions[id]
	if !ok {
		return pageData{}, false
	}
	d := pageData{Title: "Save a card", Button: "Save card", Status: ss.Status, CancelURL: ss.CancelURL, Open: ss.Status == "open"}
	if ss.Mode == "payment" {
		amount := strings.ToUpper(ss.Currency) + " " + strconv.FormatFloat(float64(ss.Amount)/100, 'f', 2, 64)
		d.Title, d.Button = "Pay "+amount, "Pay "+amount
	}
	return d, true
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	d, ok := s.pageData(r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, d)
}

// submitPage pays (or saves the card) and sends the browser to the
// session's success URL once the events are out, as Stripe does.
func (s *Server) submitPage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	err := s.Complete(id, r.PostFormValue("card"))
	d, ok := s.pageData(id)
	switch {
	case !ok:
		http.NotFound(w, r)
	case errors.Is(err, ErrDeclined):
		d.Error = "Your card was declined. Try another card."
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusPaymentRequired)
		_ = pageTmpl.Execute(w, d)
	case err != nil:
		http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
	default:
		s.mu.Lock()
		to := s.sessions[id].SuccessURL
		s.mu.Unlock()
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}
